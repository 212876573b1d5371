#pragma once
// Encoded terminal modes of pty-req (RFC 4254 §8): opcode/value pairs ended by TTY_OP_END. Opcodes
// 1..159 carry a uint32 argument; 160..255 are undefined and end the parse (the rest cannot be
// interpreted). What a local terminal's termios means in these terms is the gateway's business.
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "ssh/wire/bytes.hpp"

namespace ssh::connection::terminal_modes {

// RFC 4254 §8 opcodes (IUTF8 from RFC 8160).
enum Opcode : std::uint8_t {
  kEnd = 0,
  kVINTR = 1,
  kVQUIT = 2,
  kVERASE = 3,
  kVKILL = 4,
  kVEOF = 5,
  kVEOL = 6,
  kVEOL2 = 7,
  kVSTART = 8,
  kVSTOP = 9,
  kVSUSP = 10,
  kVDSUSP = 11,
  kVREPRINT = 12,
  kVWERASE = 13,
  kVLNEXT = 14,
  kVFLUSH = 15,
  kVSWTCH = 16,
  kVSTATUS = 17,
  kVDISCARD = 18,
  kIGNPAR = 30,
  kPARMRK = 31,
  kINPCK = 32,
  kISTRIP = 33,
  kINLCR = 34,
  kIGNCR = 35,
  kICRNL = 36,
  kIUCLC = 37,
  kIXON = 38,
  kIXANY = 39,
  kIXOFF = 40,
  kIMAXBEL = 41,
  kIUTF8 = 42,
  kISIG = 50,
  kICANON = 51,
  kXCASE = 52,
  kECHO = 53,
  kECHOE = 54,
  kECHOK = 55,
  kECHONL = 56,
  kNOFLSH = 57,
  kTOSTOP = 58,
  kIEXTEN = 59,
  kECHOCTL = 60,
  kECHOKE = 61,
  kPENDIN = 62,
  kOPOST = 70,
  kOLCUC = 71,
  kONLCR = 72,
  kOCRNL = 73,
  kONOCR = 74,
  kONLRET = 75,
  kCS7 = 90,
  kCS8 = 91,
  kPARENB = 92,
  kPARODD = 93,
  kISPEED = 128,
  kOSPEED = 129,
};

using Mode = std::pair<std::uint8_t, std::uint32_t>;

// The modes in order, then TTY_OP_END.
Bytes encode(const std::vector<Mode>& modes);
// The pairs up to TTY_OP_END or the first undefined opcode; nullopt when a value is cut short.
std::optional<std::vector<Mode>> decode(ByteView encoded);

}  // namespace ssh::connection::terminal_modes
