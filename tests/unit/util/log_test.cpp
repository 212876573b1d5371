#include "gateway/util/log.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/log_stamp.hpp"

namespace {

using namespace std::chrono_literals;
namespace log = gateway::log;
using log::Level;

// Every test leaves the process-wide logger as the program starts with it: standard error, info.
class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sshplex_log_test_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/gateway.log";
  }
  void TearDown() override {
    std::string error;
    EXPECT_TRUE(log::set_target({}, error)) << error;
    log::set_level(Level::info);
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }

  void log_to_file() {
    log::TargetSpec spec;
    spec.target = log::Target::file;
    spec.file = path_;
    std::string error;
    ASSERT_TRUE(log::set_target(spec, error)) << error;
    ASSERT_EQ(log::target(), log::Target::file);
  }

  std::vector<std::string> file_lines() const {
    std::ifstream in(path_);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

  std::string file_text() const {
    std::ifstream in(path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  // The message part of a file line: what follows "YYYY-MM-DD HH:MM:SS.mmm ".
  static std::string message_of(const std::string& line) {
    if (!testsupport::has_log_stamp(line)) return "<no timestamp: " + line + ">";
    return line.substr(testsupport::kLogStampShape.size());
  }

  std::vector<std::string> file_messages() const {
    std::vector<std::string> out;
    for (const auto& line : file_lines()) out.push_back(message_of(line));
    return out;
  }

  std::string dir_;
  std::string path_;
};

TEST_F(LogTest, DefaultsAreStandardErrorAtInfo) {
  EXPECT_EQ(log::level(), Level::info);
  EXPECT_EQ(log::target(), log::Target::standard_error);
}

TEST_F(LogTest, EnabledIsAThreshold) {
  log::set_level(Level::info);
  EXPECT_TRUE(log::enabled(Level::error));
  EXPECT_TRUE(log::enabled(Level::info));
  EXPECT_FALSE(log::enabled(Level::verbose));
  EXPECT_FALSE(log::enabled(Level::debug1));

  log::set_level(Level::error);
  EXPECT_EQ(log::level(), Level::error);
  EXPECT_TRUE(log::enabled(Level::error));
  EXPECT_FALSE(log::enabled(Level::info));

  log::set_level(Level::debug2);
  EXPECT_TRUE(log::enabled(Level::verbose));
  EXPECT_TRUE(log::enabled(Level::debug1));
  EXPECT_TRUE(log::enabled(Level::debug2));
  EXPECT_FALSE(log::enabled(Level::debug3));

  log::set_level(Level::debug3);
  EXPECT_TRUE(log::enabled(Level::debug3));
}

TEST_F(LogTest, LevelForCountsVerboseFlagsAndQuietWins) {
  EXPECT_EQ(log::level_for(0, false), Level::info);
  EXPECT_EQ(log::level_for(1, false), Level::verbose);
  EXPECT_EQ(log::level_for(2, false), Level::debug1);
  EXPECT_EQ(log::level_for(3, false), Level::debug2);
  EXPECT_EQ(log::level_for(4, false), Level::debug3);
  // More -v than there are levels stays at the most detailed one.
  EXPECT_EQ(log::level_for(9, false), Level::debug3);
  // -q means errors only, whatever else was given.
  EXPECT_EQ(log::level_for(0, true), Level::error);
  EXPECT_EQ(log::level_for(3, true), Level::error);
}

TEST_F(LogTest, FileLinesCarryALocalTimestamp) {
  log_to_file();
  const std::time_t before = std::time(nullptr);
  log::info("hello %s %d", "world", 42);
  const std::time_t after = std::time(nullptr);

  const auto lines = file_lines();
  ASSERT_EQ(lines.size(), 1u);
  ASSERT_TRUE(testsupport::has_log_stamp(lines[0])) << lines[0];
  EXPECT_EQ(lines[0].substr(testsupport::kLogStampShape.size()), "hello world 42");

  // The stamp is local time, within the second(s) the call took.
  std::tm parsed{};
  ASSERT_NE(::strptime(lines[0].substr(0, 19).c_str(), "%Y-%m-%d %H:%M:%S", &parsed), nullptr);
  parsed.tm_isdst = -1;
  const std::time_t stamp = std::mktime(&parsed);
  EXPECT_GE(stamp, before - 1);
  EXPECT_LE(stamp, after + 1);
}

TEST_F(LogTest, FileIsAppendedNotTruncated) {
  {
    std::ofstream out(path_);
    out << "earlier line\n";
  }
  log_to_file();
  log::error("first");
  // Opening the same file again (a reload) keeps appending.
  log_to_file();
  log::error("second");

  const auto lines = file_lines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "earlier line");
  EXPECT_EQ(message_of(lines[1]), "first");
  EXPECT_EQ(message_of(lines[2]), "second");
}

TEST_F(LogTest, OneLinePerMessageWithControlCharactersMasked) {
  log_to_file();
  // A server-supplied string must not be able to start a forged line of its own.
  log::info("banner: %s", "line one\nline two\r\x1b[31m\x7f\tend");
  log::write(Level::info, std::string_view("nul\0byte", 8));

  const auto lines = file_lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(message_of(lines[0]), "banner: line one?line two??[31m?\tend");
  EXPECT_EQ(message_of(lines[1]), "nul?byte");
}

TEST_F(LogTest, LevelsFilterAndDebugLinesArePrefixed) {
  log_to_file();
  log::set_level(Level::info);
  log::error("e1");
  log::info("i1");
  log::verbose("v1");
  log::debug("d1");
  log::write(Level::debug3, "w1");

  log::set_level(Level::debug2);
  log::verbose("v2");
  log::debug("d2");
  log::debug2("dd2");
  log::write(Level::debug3, "w2");

  log::set_level(Level::debug3);
  log::write(Level::debug3, "w3");

  log::set_level(Level::error);
  log::info("i4");
  log::error("e4");

  EXPECT_EQ(file_messages(), (std::vector<std::string>{"e1", "i1", "v2", "debug1: d2", "debug2: dd2",
                                                       "debug3: w3", "e4"}));
}

TEST_F(LogTest, LongMessagesAreCutNotOverrun) {
  log_to_file();
  const std::string big(10000, 'x');
  log::info("%s", big.c_str());
  const auto messages = file_messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_GE(messages[0].size(), 1000u);
  EXPECT_LT(messages[0].size(), big.size());
  EXPECT_EQ(messages[0].find_first_not_of('x'), std::string::npos);
}

TEST_F(LogTest, FailedTargetChangeKeepsThePreviousTarget) {
  log_to_file();
  log::info("before");

  log::TargetSpec bad_file;
  bad_file.target = log::Target::file;
  bad_file.file = dir_ + "/missing-dir/x.log";
  std::string error;
  EXPECT_FALSE(log::set_target(bad_file, error));
  EXPECT_NE(error.find("missing-dir/x.log"), std::string::npos) << error;
  EXPECT_EQ(log::target(), log::Target::file);

  log::TargetSpec bad_facility;
  bad_facility.target = log::Target::syslog;
  bad_facility.syslog_facility = "KERNEL";
  error.clear();
  EXPECT_FALSE(log::set_target(bad_facility, error));
  EXPECT_NE(error.find("KERNEL"), std::string::npos) << error;
  EXPECT_EQ(log::target(), log::Target::file);

  log::info("after");
  EXPECT_EQ(file_messages(), (std::vector<std::string>{"before", "after"}));
}

TEST_F(LogTest, SyslogFacilityNamesAreCaseInsensitive) {
  log::TargetSpec spec;
  spec.target = log::Target::syslog;
  spec.syslog_facility = "local3";
  std::string error;
  EXPECT_TRUE(log::set_target(spec, error)) << error;
  EXPECT_EQ(log::target(), log::Target::syslog);
  spec.syslog_facility = "Daemon";
  EXPECT_TRUE(log::set_target(spec, error)) << error;
  EXPECT_EQ(log::target(), log::Target::syslog);
}

TEST_F(LogTest, SwitchingAwayFromTheFileStopsWritingToIt) {
  log_to_file();
  log::info("kept");
  std::string error;
  ASSERT_TRUE(log::set_target({}, error)) << error;
  EXPECT_EQ(log::target(), log::Target::standard_error);
  ::testing::internal::CaptureStderr();
  log::info("to stderr");
  log::verbose("filtered");
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(err, "to stderr\n");
  EXPECT_EQ(file_text().find("to stderr"), std::string::npos);
  EXPECT_EQ(file_messages(), (std::vector<std::string>{"kept"}));
}

TEST(LogRateLimited, AllowsOncePerIntervalAndCountsTheRest) {
  log::RateLimited limit(1000ms);
  const auto t0 = log::RateLimited::Clock::time_point{} + 100s;

  EXPECT_TRUE(limit.allow(t0));
  EXPECT_EQ(limit.suppressed(), 0u);
  EXPECT_FALSE(limit.allow(t0));
  EXPECT_FALSE(limit.allow(t0 + 500ms));
  EXPECT_FALSE(limit.allow(t0 + 999ms));
  // The interval is over: the line goes out and reports the three held back.
  EXPECT_TRUE(limit.allow(t0 + 1000ms));
  EXPECT_EQ(limit.suppressed(), 3u);

  // A new interval started at the allowed line, not at the first one.
  EXPECT_FALSE(limit.allow(t0 + 1999ms));
  EXPECT_TRUE(limit.allow(t0 + 2000ms));
  EXPECT_EQ(limit.suppressed(), 1u);

  // Quiet for a long time: the next line is allowed with nothing to report.
  EXPECT_TRUE(limit.allow(t0 + 60s));
  EXPECT_EQ(limit.suppressed(), 0u);
}

TEST(LogRateLimited, FirstCallIsAllowedWhateverTheClockSays) {
  // steady_clock's epoch is arbitrary: even its zero point must not be mistaken for "too soon".
  log::RateLimited limit(10s);
  EXPECT_TRUE(limit.allow(log::RateLimited::Clock::time_point{}));
  EXPECT_FALSE(limit.allow(log::RateLimited::Clock::time_point{} + 1s));
}

TEST(LogRateLimited, IndependentLimitersDoNotShareState) {
  log::RateLimited a(1s);
  log::RateLimited b(1s);
  const auto t0 = log::RateLimited::Clock::time_point{} + 5s;
  EXPECT_TRUE(a.allow(t0));
  EXPECT_TRUE(b.allow(t0));
  EXPECT_FALSE(a.allow(t0 + 1ms));
  EXPECT_TRUE(b.allow(t0 + 1s));
  EXPECT_EQ(b.suppressed(), 0u);
}

TEST_F(LogTest, RateLimitedLogWritesTheSuppressedCountOnTheNextLine) {
  log_to_file();
  log::RateLimited limit(150ms);
  EXPECT_TRUE(limit.log(Level::error, "accept failed: %s", "Too many open files"));
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(limit.log(Level::error, "accept failed: %s", "Too many open files"));
  std::this_thread::sleep_for(200ms);
  EXPECT_TRUE(limit.log(Level::error, "accept failed: %s", "Too many open files"));
  EXPECT_FALSE(limit.log(Level::error, "accept failed: %s", "Too many open files"));
  std::this_thread::sleep_for(200ms);
  EXPECT_TRUE(limit.log(Level::error, "accept failed: %s", "again"));
  std::this_thread::sleep_for(200ms);
  EXPECT_TRUE(limit.log(Level::error, "accept failed: %s", "quiet"));

  EXPECT_EQ(file_messages(), (std::vector<std::string>{
                                 "accept failed: Too many open files",
                                 "accept failed: Too many open files (5 similar messages suppressed)",
                                 "accept failed: again (1 similar message suppressed)",
                                 "accept failed: quiet",
                             }));
}

TEST_F(LogTest, RateLimitedLogIgnoresLinesBelowTheLevel) {
  log_to_file();
  log::set_level(Level::error);
  log::RateLimited limit(10s);
  // Not shown at this level, so not counted as suppressed either and not starting the interval.
  EXPECT_FALSE(limit.log(Level::info, "refused client"));
  EXPECT_TRUE(limit.log(Level::error, "refused client"));
  EXPECT_EQ(limit.suppressed(), 0u);
  EXPECT_EQ(file_messages(), (std::vector<std::string>{"refused client"}));
}

}  // namespace

namespace {

TEST_F(LogTest, ScopesAddFieldsInnermostLastAndRemoveThemOnExit) {
  EXPECT_TRUE(log::current_fields().empty());
  {
    const std::string number = "2";
    log::Scope connection(log::kConnectionField, number);
    {
      const std::string peer = "127.0.0.1:5000";
      log::Scope client(log::kPeerField, peer);
      ASSERT_EQ(log::current_fields().size(), 2u);
      EXPECT_STREQ(log::current_fields()[0].name, "SSHPLEX_CONNECTION");
      EXPECT_EQ(log::current_fields()[0].value, "2");
      EXPECT_STREQ(log::current_fields()[1].name, "SSHPLEX_PEER");
      EXPECT_EQ(log::current_fields()[1].value, "127.0.0.1:5000");
    }
    ASSERT_EQ(log::current_fields().size(), 1u);
  }
  EXPECT_TRUE(log::current_fields().empty());
}

// systemd's JOURNAL_STREAM names the device and inode of the stream it gave as standard error;
// only when descriptor 2 is still that stream do lines go to the journal.
TEST_F(LogTest, StandardErrorBecomesTheJournalOnlyWhenJournalStreamNamesIt) {
  struct stat st {};
  ASSERT_EQ(::fstat(STDERR_FILENO, &st), 0);
  const std::string own = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  std::string error;
  for (const auto& [value, expected] : std::vector<std::pair<std::string, log::Target>>{
           {own, log::Target::journal},
           {std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino + 1), log::Target::standard_error},
           {"garbage", log::Target::standard_error},
           {"", log::Target::standard_error}}) {
    ::setenv("JOURNAL_STREAM", value.c_str(), 1);
    ASSERT_TRUE(log::set_target({}, error)) << error;
    EXPECT_EQ(log::target(), expected) << "JOURNAL_STREAM=" << value;
  }
  ::unsetenv("JOURNAL_STREAM");
  ASSERT_TRUE(log::set_target({}, error));
  EXPECT_EQ(log::target(), log::Target::standard_error);
}

}  // namespace
