// The `kiln` command line: parsing is separate from running so it can be tested.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"

namespace kiln::app {

struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string data_dir = "./data";
  int io_threads = 2;
  int idle_timeout_s = 60;  // keep-alive connections idle this long are closed
  std::string port_file;    // when set, the bound port is written here once listening
  std::string log_level = "info";
};

struct Command {
  enum class Kind { kServe, kVersion, kHelp } kind = Kind::kHelp;
  ServeOptions serve;
};

// Parses argv[1..]. InvalidArgument with a message fit for the terminal.
Result<Command> ParseCommandLine(const std::vector<std::string>& args);

std::string HelpText();

}  // namespace kiln::app
