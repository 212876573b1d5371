// The pure parts of ProxyCommand's link: the argv it runs and how an exit is told.
#include "gateway/core/link_process.hpp"

#include <gtest/gtest.h>

namespace {

using gateway::proxy_command_argv;
using gateway::proxy_exit_text;

TEST(ProcessLink, CommandRunsThroughTheUsersShellWithExec) {
  EXPECT_EQ(proxy_command_argv("nc %h 22", "/bin/bash"),
            (std::vector<std::string>{"/bin/bash", "-c", "exec nc %h 22"}));
  EXPECT_EQ(proxy_command_argv("socat - TCP:db:22", nullptr),
            (std::vector<std::string>{"/bin/sh", "-c", "exec socat - TCP:db:22"}));
  EXPECT_EQ(proxy_command_argv("x", "")[0], "/bin/sh");
}

TEST(ProcessLink, ExitIsToldAsStatusOrSignal) {
  EXPECT_EQ(proxy_exit_text(3, 0), "exited with status 3");
  EXPECT_EQ(proxy_exit_text(0, 9), "killed by signal 9");
}

}  // namespace
