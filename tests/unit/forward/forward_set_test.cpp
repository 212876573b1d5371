// The one list of forwards: any kind added, cancelled (by whole spec or by listening side) and
// matched to a configuration the same way; cancelled forwards stay until their connections end.
#include "gateway/forward/forward_set.hpp"

#include <gtest/gtest.h>

namespace gateway {
namespace {

struct FakeForward final : Forward {
  explicit FakeForward(std::string name, std::vector<std::string>& log) : name_(std::move(name)), log_(log) {}
  ~FakeForward() override { log_.push_back("destroyed " + name_); }
  std::string describe() const override { return name_; }
  bool start(std::string& error) override {
    if (name_.find("9999") != std::string::npos) {
      error = "cannot listen on 9999";
      return false;
    }
    log_.push_back("started " + name_);
    return true;
  }
  void stop_listening() override { log_.push_back("stopped " + name_); }
  void close() override { log_.push_back("closed " + name_); }
  std::size_t active_connections() const override { return connections; }
  std::size_t connections = 0;

 private:
  std::string name_;
  std::vector<std::string>& log_;
};

config::ForwardSpec spec(config::ForwardKind kind, const std::string& text) {
  auto parsed = config::parse_forward(kind, text);
  EXPECT_TRUE(parsed.spec) << parsed.error;
  return *parsed.spec;
}

class ForwardSetTest : public ::testing::Test {
 protected:
  // Declared first: the set's forwards write to the log until they are destroyed with it.
  std::vector<std::string> log;
  std::vector<FakeForward*> made;
  ForwardSet set{[this](const config::ForwardSpec& s, std::string&) {
    auto f = std::make_unique<FakeForward>(ForwardSet::key(s), log);
    made.push_back(f.get());
    return f;
  }};
};

TEST_F(ForwardSetTest, AddsEveryKindOnceAndSaysWhyNot) {
  std::string error;
  EXPECT_TRUE(set.add(spec(config::ForwardKind::local, "8080:db:5432"), error));
  EXPECT_TRUE(set.add(spec(config::ForwardKind::dynamic, "1080"), error));
  EXPECT_TRUE(set.add(spec(config::ForwardKind::remote, "9000:localhost:80"), error));
  EXPECT_EQ(set.size(), 3u);
  EXPECT_FALSE(set.add(spec(config::ForwardKind::local, "8080:db:5432"), error));
  EXPECT_NE(error.find("already exists"), std::string::npos);
  EXPECT_FALSE(set.add(spec(config::ForwardKind::local, "9999:db:5432"), error));
  EXPECT_EQ(error, "cannot listen on 9999");
  EXPECT_EQ(set.size(), 3u);
  EXPECT_EQ(ForwardSet::key(spec(config::ForwardKind::remote, "9000:localhost:80")), "R 9000:localhost:80");
}

TEST_F(ForwardSetTest, CancelByListeningSideKeepsConnectionsUntilTheyEnd) {
  std::string error;
  ASSERT_TRUE(set.add(spec(config::ForwardKind::local, "8080:db:5432"), error));
  made[0]->connections = 2;
  // -KL 8080, as ~C and -O cancel name it.
  EXPECT_TRUE(set.cancel(spec(config::ForwardKind::dynamic, "8080")) == false) << "a dynamic 8080 does not exist";
  auto listen_only = spec(config::ForwardKind::dynamic, "8080");
  listen_only.kind = config::ForwardKind::local;
  EXPECT_TRUE(set.cancel(listen_only));
  EXPECT_EQ(set.size(), 0u);
  EXPECT_EQ(set.active_connections(), 2u) << "the cancelled forward's connections carry on";
  EXPECT_EQ(std::count(log.begin(), log.end(), "destroyed L 8080:db:5432"), 0);
  made[0]->connections = 0;
  // Destroyed at the next change once its last connection ended.
  ASSERT_TRUE(set.add(spec(config::ForwardKind::dynamic, "1080"), error));
  EXPECT_EQ(std::count(log.begin(), log.end(), "destroyed L 8080:db:5432"), 1);
}

TEST_F(ForwardSetTest, ApplyKeepsWhatStaysAndChangesTheRest) {
  std::string error;
  ASSERT_TRUE(set.add(spec(config::ForwardKind::local, "8080:db:5432"), error));
  ASSERT_TRUE(set.add(spec(config::ForwardKind::dynamic, "1080"), error));
  log.clear();
  const auto errors =
      set.apply({spec(config::ForwardKind::dynamic, "1080"), spec(config::ForwardKind::remote, "9000:h:1"),
                 spec(config::ForwardKind::local, "9999:x:1")});
  EXPECT_EQ(errors, std::vector<std::string>{"cannot listen on 9999"});
  // The one that could not start is not kept.
  EXPECT_EQ(log, (std::vector<std::string>{"stopped L 8080:db:5432", "destroyed L 8080:db:5432", "started R 9000:h:1",
                                           "destroyed L 9999:x:1"}));
  EXPECT_EQ(set.size(), 2u);
  EXPECT_EQ(set.describe().size(), 2u);
}

}  // namespace
}  // namespace gateway
