#include "gateway/session/terminal.hpp"

#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <utility>

#include "gateway/util/log.hpp"

namespace gateway::session {
namespace {

namespace tm = ssh::connection::terminal_modes;

// What atexit() and the fatal-signal handler restore: one terminal at a time is in raw mode.
int g_raw_fd = -1;
termios g_raw_saved{};

void restore_terminal() {
  if (g_raw_fd >= 0) ::tcsetattr(g_raw_fd, TCSADRAIN, &g_raw_saved);
}

void on_fatal_signal(int signum) {
  restore_terminal();
  ::signal(signum, SIG_DFL);
  ::raise(signum);
}

void install_restorers() {
  static std::once_flag once;
  std::call_once(once, [] {
    std::atexit(restore_terminal);
    // A crash must not leave the user's shell without echo.
    for (int s : {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL, SIGQUIT}) ::signal(s, on_fatal_signal);
  });
}

std::uint32_t baud_of(speed_t speed) {
  switch (speed) {
    case B0:
      return 0;
    case B50:
      return 50;
    case B75:
      return 75;
    case B110:
      return 110;
    case B134:
      return 134;
    case B150:
      return 150;
    case B200:
      return 200;
    case B300:
      return 300;
    case B600:
      return 600;
    case B1200:
      return 1200;
    case B1800:
      return 1800;
    case B2400:
      return 2400;
    case B4800:
      return 4800;
    case B9600:
      return 9600;
    case B19200:
      return 19200;
    case B38400:
      return 38400;
    case B57600:
      return 57600;
    case B115200:
      return 115200;
    case B230400:
      return 230400;
    default:
      return 9600;  // as ssh: unknown speeds are sent as 9600
  }
}

}  // namespace

std::vector<tm::Mode> modes_of(const termios& tio) {
  std::vector<tm::Mode> modes;
  modes.emplace_back(tm::kOSPEED, baud_of(::cfgetospeed(&tio)));
  modes.emplace_back(tm::kISPEED, baud_of(::cfgetispeed(&tio)));
  // Control characters; a disabled one is sent as 255 (RFC 4254 §8).
  const std::pair<std::uint8_t, int> chars[] = {
      {tm::kVINTR, VINTR},   {tm::kVQUIT, VQUIT},       {tm::kVERASE, VERASE},     {tm::kVKILL, VKILL},
      {tm::kVEOF, VEOF},     {tm::kVEOL, VEOL},         {tm::kVEOL2, VEOL2},       {tm::kVSTART, VSTART},
      {tm::kVSTOP, VSTOP},   {tm::kVSUSP, VSUSP},       {tm::kVREPRINT, VREPRINT}, {tm::kVWERASE, VWERASE},
      {tm::kVLNEXT, VLNEXT}, {tm::kVDISCARD, VDISCARD},
  };
  for (const auto& [opcode, index] : chars) {
    const cc_t c = tio.c_cc[index];
    modes.emplace_back(opcode, c == _POSIX_VDISABLE ? 255u : static_cast<std::uint32_t>(c));
  }
  const auto flag = [&modes](std::uint8_t opcode, tcflag_t field, tcflag_t bit) {
    modes.emplace_back(opcode, (field & bit) != 0 ? 1u : 0u);
  };
  flag(tm::kIGNPAR, tio.c_iflag, IGNPAR);
  flag(tm::kPARMRK, tio.c_iflag, PARMRK);
  flag(tm::kINPCK, tio.c_iflag, INPCK);
  flag(tm::kISTRIP, tio.c_iflag, ISTRIP);
  flag(tm::kINLCR, tio.c_iflag, INLCR);
  flag(tm::kIGNCR, tio.c_iflag, IGNCR);
  flag(tm::kICRNL, tio.c_iflag, ICRNL);
  flag(tm::kIUCLC, tio.c_iflag, IUCLC);
  flag(tm::kIXON, tio.c_iflag, IXON);
  flag(tm::kIXANY, tio.c_iflag, IXANY);
  flag(tm::kIXOFF, tio.c_iflag, IXOFF);
  flag(tm::kIMAXBEL, tio.c_iflag, IMAXBEL);
  flag(tm::kIUTF8, tio.c_iflag, IUTF8);
  flag(tm::kISIG, tio.c_lflag, ISIG);
  flag(tm::kICANON, tio.c_lflag, ICANON);
  flag(tm::kECHO, tio.c_lflag, ECHO);
  flag(tm::kECHOE, tio.c_lflag, ECHOE);
  flag(tm::kECHOK, tio.c_lflag, ECHOK);
  flag(tm::kECHONL, tio.c_lflag, ECHONL);
  flag(tm::kNOFLSH, tio.c_lflag, NOFLSH);
  flag(tm::kTOSTOP, tio.c_lflag, TOSTOP);
  flag(tm::kIEXTEN, tio.c_lflag, IEXTEN);
  flag(tm::kECHOCTL, tio.c_lflag, ECHOCTL);
  flag(tm::kECHOKE, tio.c_lflag, ECHOKE);
  flag(tm::kPENDIN, tio.c_lflag, PENDIN);
  flag(tm::kOPOST, tio.c_oflag, OPOST);
  flag(tm::kOLCUC, tio.c_oflag, OLCUC);
  flag(tm::kONLCR, tio.c_oflag, ONLCR);
  flag(tm::kOCRNL, tio.c_oflag, OCRNL);
  flag(tm::kONOCR, tio.c_oflag, ONOCR);
  flag(tm::kONLRET, tio.c_oflag, ONLRET);
  // The character size is a two-bit field: exactly one of CS7 and CS8 is set.
  modes.emplace_back(tm::kCS7, (tio.c_cflag & CSIZE) == CS7 ? 1u : 0u);
  modes.emplace_back(tm::kCS8, (tio.c_cflag & CSIZE) == CS8 ? 1u : 0u);
  flag(tm::kPARENB, tio.c_cflag, PARENB);
  flag(tm::kPARODD, tio.c_cflag, PARODD);
  return modes;
}

std::optional<ssh::connection::session_request::WindowSize> window_size(int fd) {
  winsize ws{};
  if (::ioctl(fd, TIOCGWINSZ, &ws) != 0) return std::nullopt;
  return ssh::connection::session_request::WindowSize{ws.ws_col, ws.ws_row, ws.ws_xpixel, ws.ws_ypixel};
}

RawMode::RawMode(int fd) : fd_(fd) {
  termios tio{};
  if (!::isatty(fd) || ::tcgetattr(fd, &tio) != 0) return;
  saved_ = tio;
  enter();
}

RawMode::~RawMode() {
  leave();
}

void RawMode::enter() {
  if (!saved_ || active_) return;
  termios raw = *saved_;
  // As ssh's raw mode: bytes pass as typed, the remote side's pty does the terminal work.
  raw.c_iflag |= IGNPAR;
  raw.c_iflag &= ~static_cast<tcflag_t>(ISTRIP | INLCR | IGNCR | ICRNL | IXON | IXANY | IXOFF | IUCLC);
  raw.c_lflag &= ~static_cast<tcflag_t>(ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHONL | IEXTEN);
  raw.c_oflag &= ~static_cast<tcflag_t>(OPOST);
  raw.c_cc[VMIN] = 1;
  raw.c_cc[VTIME] = 0;
  install_restorers();
  g_raw_fd = fd_;
  g_raw_saved = *saved_;
  if (::tcsetattr(fd_, TCSADRAIN, &raw) == 0) {
    active_ = true;
    log::set_raw_terminal(true);
  }
}

void RawMode::leave() {
  if (!active_) return;
  ::tcsetattr(fd_, TCSADRAIN, &*saved_);
  active_ = false;
  g_raw_fd = -1;
  log::set_raw_terminal(false);
}

}  // namespace gateway::session
