// weather_plugin: the weather example served over HTTP.
//
//   weather_plugin [--host 127.0.0.1] [--port 0] [--public-url URL] [--log]
//
// Prints "listening on HOST:PORT" once it accepts connections (port 0 picks a
// free one), then serves until SIGINT or SIGTERM.
#include <signal.h>

#include <charconv>
#include <cstdio>
#include <string>
#include <string_view>

#include "kiln_plugin.h"
#include "weather.h"

namespace {

constexpr const char* kUsage =
    "usage: weather_plugin [--host HOST] [--port N] [--public-url URL] [--log]\n"
    "  --host        address to listen on (default 127.0.0.1)\n"
    "  --port        port, 0 for any free one (default 8081)\n"
    "  --public-url  servers[0].url of /openapi.json when Kiln reaches this by another name\n"
    "  --log         one line per request on stderr\n";

bool ParsePort(std::string_view text, int* port) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *port);
  return ec == std::errc() && end == text.data() + text.size() && *port >= 0 && *port <= 65535;
}

}  // namespace

int main(int argc, char** argv) {
  kiln::plugins::sdk::ServerOptions options;
  options.port = 8081;
  options.title = "Weather";
  options.description = "Made-up, deterministic weather for a few cities (a Kiln plugin example)";
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--host" && has_value) {
      options.host = argv[++i];
    } else if (arg == "--port" && has_value) {
      if (!ParsePort(argv[++i], &options.port)) {
        std::fprintf(stderr, "weather_plugin: --port takes 0-65535\n");
        return 2;
      }
    } else if (arg == "--public-url" && has_value) {
      options.public_url = argv[++i];
    } else if (arg == "--log") {
      options.log_requests = true;
    } else if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else {
      std::fprintf(stderr, "weather_plugin: unknown argument %s\n%s", argv[i], kUsage);
      return 2;
    }
  }

  // Blocked before any thread starts, so that every thread inherits the mask
  // and only sigwait below sees the signals.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  kiln::plugins::sdk::Server server(options);
  weather::AddRoutes(server);
  if (std::string error = server.Listen(); !error.empty()) {
    std::fprintf(stderr, "weather_plugin: %s\n", error.c_str());
    return 1;
  }
  server.Start();
  std::printf("listening on %s:%d\n", options.host.c_str(), server.port());
  std::fflush(stdout);
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  server.Stop();
  return 0;
}
