#include "gateway/vpn/resolv_conf_file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "gateway/util/log.hpp"
#include "tun/address.hpp"

namespace gateway::vpn {
namespace {

// The first line of the file we write: restoring checks it, so a file rewritten since by someone
// else (NetworkManager, the admin) is never clobbered with an old copy.
constexpr std::string_view kMarker = "# sshplex: DNS through the VPN; the previous file is restored when it stops\n";
constexpr std::string_view kPrefix = "resolv.conf.";
constexpr std::string_view kLinkSuffix = ".link";

std::string errno_text(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

std::optional<std::string> read_all(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[4096];
  ssize_t n = 0;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  if (n < 0) return std::nullopt;
  return out;
}

bool write_fd(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::string dir_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

// `text` into `path` through a temporary file beside it and rename (readers see the old or the new
// file, never half of one), durable before it is visible.
bool write_atomically(const std::string& path, std::string_view text, mode_t mode, std::string& error) {
  const std::string tmp = dir_of(path) + "/.sshplex-tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) {
    error = errno_text(tmp);
    return false;
  }
  const bool ok = write_fd(fd, text) && ::fchmod(fd, mode) == 0 && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const int saved_errno = errno;
    error = errno_text(path);
    ::unlink(tmp.c_str());
    errno = saved_errno;  // the caller tells a mount point (EBUSY) from a real failure
    return false;
  }
  return true;
}

// As above; a path that is a mount point (a bind-mounted resolv.conf) cannot be renamed over and is
// rewritten in place instead.
bool write_file(const std::string& path, std::string_view text, mode_t mode, std::string& error) {
  if (write_atomically(path, text, mode, error)) return true;
  if (errno != EBUSY && errno != EXDEV) return false;
  const int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) {
    error = errno_text(path);
    return false;
  }
  const bool ok = write_fd(fd, text) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) error = errno_text(path);
  return ok;
}

bool make_link(const std::string& path, const std::string& target, std::string& error) {
  const std::string tmp = dir_of(path) + "/.sshplex-tmp." + std::to_string(::getpid());
  ::unlink(tmp.c_str());
  if (::symlink(target.c_str(), tmp.c_str()) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
    error = errno_text(path);
    ::unlink(tmp.c_str());
    return false;
  }
  return true;
}

// Puts `saved` (a copy, or a link's target when `is_link`) back at `path` unless `path` was
// rewritten by someone else since; the copy is removed either way once nothing is left to do.
bool put_back(const std::string& path, const std::string& saved, bool is_link, std::string& error) {
  const auto current = read_all(path);
  if (current && current->rfind(kMarker, 0) != 0) {
    log::error("Warning: VPN DNS: %s was changed by someone else meanwhile; leaving it (the previous copy was %s)",
               path.c_str(), saved.c_str());
    ::unlink(saved.c_str());
    return true;
  }
  const auto content = read_all(saved);
  if (!content) {
    error = errno_text(saved);
    return false;
  }
  bool ok = false;
  if (is_link) {
    ok = make_link(path, *content, error);
  } else {
    struct stat st {};
    const mode_t mode = ::stat(saved.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0644;
    ok = write_file(path, *content, mode, error);
  }
  if (ok) ::unlink(saved.c_str());
  return ok;
}

bool process_alive(pid_t pid) {
  return ::kill(pid, 0) == 0 || errno == EPERM;
}

}  // namespace

std::optional<ResolvConfFile> ResolvConfFile::replace(const std::string& path, const std::string& state_dir,
                                                      const tun::IpAddress& dns, std::string& error) {
  if (::mkdir(state_dir.c_str(), 0755) != 0 && errno != EEXIST) {
    error = errno_text(state_dir);
    return std::nullopt;
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    error = errno_text(path);
    return std::nullopt;
  }
  const std::string base = state_dir + "/" + std::string(kPrefix) + std::to_string(::getpid());
  std::string saved;
  if (S_ISLNK(st.st_mode)) {
    std::vector<char> target(PATH_MAX + 1);
    const ssize_t n = ::readlink(path.c_str(), target.data(), PATH_MAX);
    if (n < 0) {
      error = errno_text(path);
      return std::nullopt;
    }
    saved = base + std::string(kLinkSuffix);
    if (!write_atomically(saved, std::string_view(target.data(), static_cast<std::size_t>(n)), 0600, error))
      return std::nullopt;
  } else {
    const auto content = read_all(path);
    if (!content) {
      error = errno_text(path);
      return std::nullopt;
    }
    saved = base;
    if (!write_atomically(saved, *content, st.st_mode & 07777, error)) return std::nullopt;
  }
  const std::string text =
      std::string(kMarker) + "# (saved in " + saved + ")\nnameserver " + tun::to_string(dns) + "\n";
  if (!write_file(path, text, 0644, error)) {
    ::unlink(saved.c_str());
    return std::nullopt;
  }
  log::verbose("VPN DNS: %s now names %s (the previous one is saved in %s)", path.c_str(), tun::to_string(dns).c_str(),
               saved.c_str());
  return ResolvConfFile(path, saved);
}

ResolvConfFile::ResolvConfFile(ResolvConfFile&& other) noexcept
    : path_(std::move(other.path_)), saved_(std::move(other.saved_)) {
  other.saved_.clear();
}

ResolvConfFile::~ResolvConfFile() {
  std::string error;
  if (!restore(error)) {
    log::error("VPN DNS: could not restore %s: %s (the copy %s is restored at the next start)", path_.c_str(),
               error.c_str(), saved_.c_str());
  }
}

bool ResolvConfFile::restore(std::string& error) {
  if (saved_.empty()) return true;
  const bool is_link = saved_.ends_with(kLinkSuffix);
  if (!put_back(path_, saved_, is_link, error)) return false;
  log::verbose("VPN DNS: %s restored", path_.c_str());
  saved_.clear();
  return true;
}

int restore_resolv_leftovers(const std::string& state_dir, const std::string& path) {
  DIR* dir = ::opendir(state_dir.c_str());
  if (dir == nullptr) return 0;
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(dir)) names.emplace_back(entry->d_name);
  ::closedir(dir);
  int restored = 0;
  for (const auto& name : names) {
    if (!name.starts_with(kPrefix)) continue;
    std::string_view rest = std::string_view(name).substr(kPrefix.size());
    const bool is_link = rest.ends_with(kLinkSuffix);
    if (is_link) rest.remove_suffix(kLinkSuffix.size());
    if (rest.empty() || rest.find_first_not_of("0123456789") != std::string_view::npos || rest.size() > 9) continue;
    const auto pid = static_cast<pid_t>(std::stol(std::string(rest)));
    if (pid == ::getpid() || process_alive(pid)) continue;
    std::string error;
    if (put_back(path, state_dir + "/" + name, is_link, error)) {
      log::info("VPN DNS: restored %s left by process %d, which ended without restoring it", path.c_str(),
                static_cast<int>(pid));
      ++restored;
    } else {
      log::error("VPN DNS: could not restore %s from %s/%s: %s", path.c_str(), state_dir.c_str(), name.c_str(),
                 error.c_str());
    }
  }
  return restored;
}

}  // namespace gateway::vpn
