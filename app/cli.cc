#include "app/cli.h"

#include <charconv>

namespace kiln::app {
namespace {

Result<int> ParseInt(const std::string& flag, const std::string& text, int lo, int hi) {
  int v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < lo || v > hi) {
    return InvalidArgument(flag + " must be a number from " + std::to_string(lo) + " to " +
                           std::to_string(hi));
  }
  return v;
}

}  // namespace

std::string HelpText() {
  return "kiln: a self-hosted bot-builder engine with an embedded LLM.\n"
         "\n"
         "Usage:\n"
         "  kiln serve [--host H] [--port P] [--data DIR] [--threads N] [--idle-timeout S]\n"
         "             [--log-level L] [--port-file F]\n"
         "  kiln --version\n"
         "  kiln --help\n"
         "\n"
         "serve options:\n"
         "  --host H         address to listen on (default 127.0.0.1)\n"
         "  --port P         port; 0 picks a free one (default 8080)\n"
         "  --data DIR       data folder, created if missing (default ./data)\n"
         "  --threads N      I/O threads (default 2)\n"
         "  --idle-timeout S close keep-alive connections idle for S seconds (default 60)\n"
         "  --log-level L    debug, info, warning, error (default info)\n"
         "  --port-file F    write the bound port to F once listening\n"
         "\n"
         "Environment:\n"
         "  KILN_ADMIN_KEY   the admin API key; if unset, one is generated on first start\n"
         "                   and printed once\n";
}

Result<Command> ParseCommandLine(const std::vector<std::string>& args) {
  Command cmd;
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    cmd.kind = Command::Kind::kHelp;
    return cmd;
  }
  if (args[0] == "--version" || args[0] == "version") {
    cmd.kind = Command::Kind::kVersion;
    return cmd;
  }
  if (args[0] != "serve")
    return InvalidArgument("unknown command '" + args[0] + "'; see kiln --help");
  cmd.kind = Command::Kind::kServe;
  for (size_t i = 1; i < args.size(); ++i) {
    std::string flag = args[i];
    std::string value;
    size_t eq = flag.find('=');
    bool inline_value = flag.starts_with("--") && eq != std::string::npos;
    if (inline_value) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    }
    if (flag == "--help" || flag == "-h") {
      cmd.kind = Command::Kind::kHelp;
      return cmd;
    }
    if (!inline_value) {
      if (i + 1 >= args.size()) return InvalidArgument(flag + " needs a value");
      value = args[++i];
    }
    if (flag == "--host") {
      cmd.serve.host = value;
    } else if (flag == "--port") {
      KILN_ASSIGN_OR_RETURN(cmd.serve.port, ParseInt(flag, value, 0, 65535));
    } else if (flag == "--data") {
      if (value.empty()) return InvalidArgument("--data must not be empty");
      cmd.serve.data_dir = value;
    } else if (flag == "--threads") {
      KILN_ASSIGN_OR_RETURN(cmd.serve.io_threads, ParseInt(flag, value, 1, 64));
    } else if (flag == "--idle-timeout") {
      KILN_ASSIGN_OR_RETURN(cmd.serve.idle_timeout_s, ParseInt(flag, value, 1, 86400));
    } else if (flag == "--port-file") {
      cmd.serve.port_file = value;
    } else if (flag == "--log-level") {
      cmd.serve.log_level = value;
    } else {
      return InvalidArgument("unknown option '" + flag + "'; see kiln --help");
    }
  }
  return cmd;
}

}  // namespace kiln::app
