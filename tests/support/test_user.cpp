#include "support/test_user.hpp"

#include <fcntl.h>
#include <openssl/rand.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <filesystem>

#include "support/files.hpp"
#include "support/process.hpp"

namespace testsupport {
namespace {

constexpr const char* kUserName = "sshplex-test";
constexpr const char* kStateDir = "/var/lib/sshplex-test-state";
constexpr const char* kHomeDir = "/var/lib/sshplex-test-state/home";

std::string random_password() {
  static const char* alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  std::array<unsigned char, 20> raw{};
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) return {};
  std::string out;
  for (unsigned char c : raw) out.push_back(alphabet[c % 57]);
  return out;
}

}  // namespace

TestUserLock::TestUserLock() {
  fd_ = ::open("/run/sshplex-test-user.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ >= 0 && ::flock(fd_, LOCK_EX) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

TestUserLock::~TestUserLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

bool ensure_test_user(TestUser* user, std::string* reason) {
  if (::geteuid() != 0) {
    *reason = "needs root to create the local test account '" + std::string(kUserName) + "'";
    return false;
  }
  if (find_program("useradd").empty() || find_program("chpasswd").empty()) {
    *reason = "useradd/chpasswd not installed";
    return false;
  }
  TestUserLock lock;
  if (!lock.held()) {
    *reason = "cannot take /run/sshplex-test-user.lock";
    return false;
  }
  std::error_code ec;
  std::filesystem::create_directories(kHomeDir, ec);
  ::chmod(kStateDir, 0755);
  ::chmod(kHomeDir, 0755);
  std::string out;
  bool created = false;
  if (::getpwnam(kUserName) == nullptr) {
    created = true;
    if (!run_quiet({"useradd", "-M", "-d", kHomeDir, "-s", "/bin/sh", kUserName}, &out)) {
      *reason = "useradd failed: " + out;
      return false;
    }
  }
  const std::string pw_file = std::string(kStateDir) + "/password";
  // A freshly created account has no password yet, whatever an old state file says.
  std::string password = created ? std::string() : read_file(pw_file);
  passwd* pw = ::getpwnam(kUserName);
  bool home_ok = pw != nullptr && std::string(pw->pw_dir) == kHomeDir;
  if (!home_ok && !run_quiet({"usermod", "-d", kHomeDir, "-s", "/bin/sh", kUserName}, &out)) {
    *reason = "usermod failed: " + out;
    return false;
  }
  if (password.empty()) {
    password = random_password();
    if (password.empty() ||
        !run_quiet({"chpasswd"}, &out, std::chrono::seconds(30), std::string(kUserName) + ":" + password + "\n")) {
      *reason = "chpasswd failed: " + out;
      return false;
    }
    if (!write_file(pw_file, password, 0600)) {
      *reason = "cannot write " + pw_file;
      return false;
    }
  }
  pw = ::getpwnam(kUserName);
  if (pw == nullptr) {
    *reason = "account missing after useradd";
    return false;
  }
  user->name = kUserName;
  user->password = password;
  user->home = kHomeDir;
  user->uid = pw->pw_uid;
  user->gid = pw->pw_gid;
  return true;
}

}  // namespace testsupport
