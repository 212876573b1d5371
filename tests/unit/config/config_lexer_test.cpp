#include "gateway/config/config_lexer.hpp"

#include <gtest/gtest.h>

namespace {

using namespace gateway::config;

ConfigLine split(std::string_view text) {
  ConfigLine line;
  std::string error;
  EXPECT_TRUE(split_config_line(text, line, error)) << text << ": " << error;
  return line;
}

TEST(ConfigLexer, KeywordAndArguments) {
  auto l = split("  Port 2222");
  EXPECT_EQ(l.keyword, "Port");
  EXPECT_EQ(l.args, std::vector<std::string>{"2222"});
  EXPECT_EQ(split("Port=2222").args, std::vector<std::string>{"2222"});
  EXPECT_EQ(split("Port = 2222").args, std::vector<std::string>{"2222"});
  EXPECT_EQ(split("\tHost a b\t!c\r").args, (std::vector<std::string>{"a", "b", "!c"}));
}

TEST(ConfigLexer, BlankAndComments) {
  EXPECT_TRUE(split("").keyword.empty());
  EXPECT_TRUE(split("   ").keyword.empty());
  EXPECT_TRUE(split("# Port 22").keyword.empty());
  EXPECT_TRUE(split("   # indented").keyword.empty());
  EXPECT_EQ(split("Port 22 # trailing").args, std::vector<std::string>{"22"});
  EXPECT_EQ(split("User a#b").args, std::vector<std::string>{"a#b"});
}

TEST(ConfigLexer, Quotes) {
  EXPECT_EQ(split("IdentityFile \"/path/with space/id\"").args, std::vector<std::string>{"/path/with space/id"});
  EXPECT_EQ(split("SetEnv \"A=x y\" B=z").args, (std::vector<std::string>{"A=x y", "B=z"}));
  EXPECT_EQ(split("User \"\"").args, std::vector<std::string>{""});
  EXPECT_EQ(split("User \"# not a comment\"").args, std::vector<std::string>{"# not a comment"});
  EXPECT_EQ(split(R"(IdentityFile a\ b)").args, std::vector<std::string>{"a b"});
  EXPECT_EQ(split(R"(User "say \"hi\"")").args, std::vector<std::string>{"say \"hi\""});
  EXPECT_EQ(split("User 'single q'").args, std::vector<std::string>{"single q"});
  EXPECT_EQ(split(R"(User c:\dir)").args, std::vector<std::string>{R"(c:\dir)"});
}

TEST(ConfigLexer, Errors) {
  ConfigLine l;
  std::string error;
  EXPECT_FALSE(split_config_line("User \"unterminated", l, error));
  EXPECT_NE(error.find("unterminated"), std::string::npos);
  EXPECT_FALSE(split_config_line("=value", l, error));
}

}  // namespace
