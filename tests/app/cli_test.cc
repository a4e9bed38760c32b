#include "app/cli.h"

#include <gtest/gtest.h>

namespace kiln::app {
namespace {

TEST(Cli, ServeDefaultsAndFlags) {
  auto cmd = ParseCommandLine({"serve"});
  ASSERT_TRUE(cmd.ok());
  EXPECT_EQ(cmd->kind, Command::Kind::kServe);
  EXPECT_EQ(cmd->serve.host, "127.0.0.1");
  EXPECT_EQ(cmd->serve.port, 8080);
  EXPECT_EQ(cmd->serve.data_dir, "./data");

  cmd = ParseCommandLine({"serve", "--host", "0.0.0.0", "--port=9000", "--data", "/srv/kiln",
                          "--threads", "4", "--idle-timeout", "5"});
  ASSERT_TRUE(cmd.ok()) << cmd.status().ToString();
  EXPECT_EQ(cmd->serve.host, "0.0.0.0");
  EXPECT_EQ(cmd->serve.port, 9000);
  EXPECT_EQ(cmd->serve.data_dir, "/srv/kiln");
  EXPECT_EQ(cmd->serve.io_threads, 4);
  EXPECT_EQ(cmd->serve.idle_timeout_s, 5);
}

TEST(Cli, VersionAndHelp) {
  EXPECT_EQ(ParseCommandLine({"--version"})->kind, Command::Kind::kVersion);
  EXPECT_EQ(ParseCommandLine({"--help"})->kind, Command::Kind::kHelp);
  EXPECT_EQ(ParseCommandLine({})->kind, Command::Kind::kHelp);
  EXPECT_EQ(ParseCommandLine({"serve", "--help"})->kind, Command::Kind::kHelp);
  EXPECT_NE(HelpText().find("kiln serve"), std::string::npos);
}

TEST(Cli, BadInputSaysWhatIsWrong) {
  EXPECT_NE(ParseCommandLine({"launch"}).status().message().find("unknown command"),
            std::string::npos);
  EXPECT_NE(ParseCommandLine({"serve", "--port"}).status().message().find("needs a value"),
            std::string::npos);
  EXPECT_NE(ParseCommandLine({"serve", "--port", "70000"}).status().message().find("--port"),
            std::string::npos);
  EXPECT_NE(ParseCommandLine({"serve", "--port", "8o8o"}).status().message().find("--port"),
            std::string::npos);
  EXPECT_NE(
      ParseCommandLine({"serve", "--colour", "red"}).status().message().find("unknown option"),
      std::string::npos);
  EXPECT_FALSE(ParseCommandLine({"serve", "--data", ""}).ok());
}

}  // namespace
}  // namespace kiln::app
