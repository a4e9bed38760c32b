// Leveled logging to stderr, one line per message, safe from any thread.
//
//   KILN_LOG(INFO) << "listening on " << port;
//
// The minimum level is set once at start-up by the app (SetLogLevel).
#pragma once

#include <sstream>
#include <string_view>

namespace kiln {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3, kOff = 4 };

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
// Parses "debug", "info", "warning", "error", "off"; returns false on anything else.
bool ParseLogLevel(std::string_view text, LogLevel* level);

namespace internal {

class LogMessage {
 public:
  LogMessage(LogLevel level, const char* file, int line);
  ~LogMessage();
  std::ostream& stream() { return stream_; }

 private:
  LogLevel level_;
  std::ostringstream stream_;
};

}  // namespace internal
}  // namespace kiln

#define KILN_LOG_LEVEL_DEBUG ::kiln::LogLevel::kDebug
#define KILN_LOG_LEVEL_INFO ::kiln::LogLevel::kInfo
#define KILN_LOG_LEVEL_WARNING ::kiln::LogLevel::kWarning
#define KILN_LOG_LEVEL_ERROR ::kiln::LogLevel::kError

#define KILN_LOG(severity)                                 \
  if (KILN_LOG_LEVEL_##severity < ::kiln::GetLogLevel()) { \
  } else                                                   \
    ::kiln::internal::LogMessage(KILN_LOG_LEVEL_##severity, __FILE__, __LINE__).stream()
