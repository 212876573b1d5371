// ssh's escape sequences: recognised only at the start of a line, held back until the next byte
// says what they are, everything else passed through unchanged and in order.
#include "gateway/session/escape.hpp"

#include <gtest/gtest.h>

namespace gateway::session {
namespace {

struct Trace {
  std::string out;  // data, with commands shown as <command>
  bool stop_at_disconnect = true;
  EscapeFilter::Sink sink() {
    return {[this](ssh::ByteView b) { out.append(b.begin(), b.end()); },
            [this](EscapeCommand c) {
              out += "<" + std::to_string(static_cast<int>(c)) + ">";
              return !(stop_at_disconnect && c == EscapeCommand::disconnect);
            }};
  }
};

std::string run(EscapeFilter& f, std::initializer_list<std::string_view> pieces) {
  Trace t;
  for (auto p : pieces) f.feed(ssh::as_bytes(p), t.sink());
  return t.out;
}

const std::string kDisconnect = "<" + std::to_string(static_cast<int>(EscapeCommand::disconnect)) + ">";
const std::string kHelp = "<" + std::to_string(static_cast<int>(EscapeCommand::help)) + ">";

TEST(EscapeFilter, OnlyAtTheStartOfALine) {
  EscapeFilter f('~');
  EXPECT_EQ(run(f, {"~."}), kDisconnect) << "the very first byte is a line start";
  EscapeFilter g('~');
  EXPECT_EQ(run(g, {"ls ~.\r~?"}), "ls ~.\r" + kHelp);
  EscapeFilter h('~');
  EXPECT_EQ(run(h, {"a\n~?b"}), "a\n" + kHelp + "b");
}

TEST(EscapeFilter, HeldBackAcrossReads) {
  EscapeFilter f('~');
  EXPECT_EQ(run(f, {"x\r", "~", "."}), "x\r" + kDisconnect);
  EscapeFilter g('~');
  EXPECT_EQ(run(g, {"\r~", "z"}), "\r~z") << "not a command: both go through";
}

TEST(EscapeFilter, DoubledEscapeSendsOneAndUnknownSendsBoth) {
  EscapeFilter f('~');
  EXPECT_EQ(run(f, {"~~x"}), "~x");
  EscapeFilter g('~');
  EXPECT_EQ(run(g, {"~q\r~\r"}), "~q\r~\r") << "~ then CR is a line end again";
}

TEST(EscapeFilter, DisconnectDropsTheRest) {
  EscapeFilter f('~');
  EXPECT_EQ(run(f, {"~.rm -rf /\r"}), kDisconnect);
}

TEST(EscapeFilter, OtherCharacterOrNone) {
  EscapeFilter f('%');
  EXPECT_EQ(run(f, {"~.%?"}), "~.%?") << "~ is an ordinary character, and % is not at a line start here";
  EscapeFilter g('%');
  EXPECT_EQ(run(g, {"%."}), kDisconnect);
  EscapeFilter none(-1);
  EXPECT_EQ(run(none, {"~.\r~?"}), "~.\r~?");
  EscapeFilter ctrl(']' & 31);
  EXPECT_EQ(ctrl.name('.'), "^].");
}

TEST(EscapeFilter, HelpNamesTheEscapeCharacter) {
  EscapeFilter f('~');
  const std::string help = f.help(true);
  EXPECT_NE(help.find(" ~.   - terminate connection\r\n"), std::string::npos) << help;
  EXPECT_NE(help.find("~C"), std::string::npos);
  EXPECT_EQ(f.help(false).find("~C"), std::string::npos) << "no ~C line when the command line is off";
  EXPECT_EQ(f.name('\x1a'), "~^Z");
}

}  // namespace
}  // namespace gateway::session
