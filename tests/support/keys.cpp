#include "support/keys.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "support/files.hpp"
#include "support/process.hpp"

namespace testsupport {

std::string key_type_name(KeyType t) {
  switch (t) {
    case KeyType::Ed25519:
      return "ed25519";
    case KeyType::Ecdsa256:
      return "ecdsa256";
    case KeyType::Ecdsa384:
      return "ecdsa384";
    case KeyType::Ecdsa521:
      return "ecdsa521";
    case KeyType::Rsa3072:
      return "rsa3072";
  }
  return "unknown";
}

std::string key_type_ssh_name(KeyType t) {
  switch (t) {
    case KeyType::Ed25519:
      return "ssh-ed25519";
    case KeyType::Ecdsa256:
      return "ecdsa-sha2-nistp256";
    case KeyType::Ecdsa384:
      return "ecdsa-sha2-nistp384";
    case KeyType::Ecdsa521:
      return "ecdsa-sha2-nistp521";
    case KeyType::Rsa3072:
      return "ssh-rsa";
  }
  return "unknown";
}

namespace {

std::vector<std::string> keygen_type_args(KeyType t) {
  switch (t) {
    case KeyType::Ed25519:
      return {"-t", "ed25519"};
    case KeyType::Ecdsa256:
      return {"-t", "ecdsa", "-b", "256"};
    case KeyType::Ecdsa384:
      return {"-t", "ecdsa", "-b", "384"};
    case KeyType::Ecdsa521:
      return {"-t", "ecdsa", "-b", "521"};
    case KeyType::Rsa3072:
      return {"-t", "rsa", "-b", "3072"};
  }
  return {};
}

}  // namespace

std::string fingerprint_of(const std::string& public_path) {
  std::string out;
  if (!run_quiet({"ssh-keygen", "-l", "-E", "sha256", "-f", public_path}, &out)) return {};
  // "256 SHA256:xxxx comment (ED25519)"
  std::istringstream in(out);
  std::string bits;
  std::string fp;
  in >> bits >> fp;
  return fp;
}

KeyPair generate_key(const std::string& dir, const std::string& name, KeyType type, const std::string& passphrase,
                     std::string* error) {
  KeyPair kp;
  kp.type = type;
  std::string path = dir + "/" + name;
  std::vector<std::string> argv{"ssh-keygen", "-q"};
  for (auto& a : keygen_type_args(type)) argv.push_back(a);
  argv.insert(argv.end(), {"-N", passphrase, "-C", "sshplex-test-" + name, "-f", path});
  std::string out;
  if (!run_quiet(argv, &out)) {
    if (error != nullptr) *error = "ssh-keygen failed: " + out;
    return kp;
  }
  kp.private_path = path;
  kp.public_path = path + ".pub";
  kp.public_line = strip_key_comment(read_file(kp.public_path));
  kp.fingerprint = fingerprint_of(kp.public_path);
  return kp;
}

namespace {

// Keys are shared across test processes (ctest runs each test in its own process, and RSA-3072
// generation costs seconds) in a per-user directory under $TMPDIR, trusted only if it is ours,
// a real directory and private. Otherwise a per-process directory is used.
std::string shared_key_dir() {
  const char* base = std::getenv("TMPDIR");
  std::string dir = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/sshplex-test-keys-" +
                    std::to_string(::geteuid());
  ::mkdir(dir.c_str(), 0700);
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & 077) != 0) {
    return {};
  }
  return dir;
}

// Reuses dir/name if a previous process completed it (the .pub is written last by ssh-keygen).
KeyPair load_or_generate(const std::string& dir, const std::string& name, KeyType type, std::string* error) {
  const std::string path = dir + "/" + name;
  if (!read_file(path).empty() && !read_file(path + ".pub").empty()) {
    KeyPair kp;
    kp.type = type;
    kp.private_path = path;
    kp.public_path = path + ".pub";
    kp.public_line = strip_key_comment(read_file(kp.public_path));
    kp.fingerprint = fingerprint_of(kp.public_path);
    if (!kp.fingerprint.empty()) return kp;
  }
  std::error_code ec;
  std::filesystem::remove(path, ec);
  std::filesystem::remove(path + ".pub", ec);
  return generate_key(dir, name, type, {}, error);
}

}  // namespace

const KeyPair& cached_key(KeyType type, std::string_view slot) {
  static std::mutex mu;
  static std::unique_ptr<TempDir> private_dir;
  static std::map<std::pair<int, std::string>, KeyPair> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto key = std::make_pair(static_cast<int>(type), std::string(slot));
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;

  const std::string name = std::string(slot) + "_" + key_type_name(type);
  std::string error;
  KeyPair kp;
  std::string dir = shared_key_dir();
  if (!dir.empty()) {
    int lock_fd = ::open((dir + "/.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock_fd >= 0 && ::flock(lock_fd, LOCK_EX) == 0) {
      kp = load_or_generate(dir, name, type, &error);
    }
    if (lock_fd >= 0) ::close(lock_fd);
  }
  if (kp.private_path.empty()) {
    if (!private_dir) private_dir = std::make_unique<TempDir>("sshplex-keycache");
    kp = generate_key(private_dir->str(), name, type, {}, &error);
  }
  if (kp.private_path.empty()) throw std::runtime_error(error);
  return cache.emplace(key, std::move(kp)).first->second;
}

}  // namespace testsupport
