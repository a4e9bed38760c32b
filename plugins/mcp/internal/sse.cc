#include "plugins/mcp/internal/sse.h"

namespace kiln::plugins::mcp_internal {
namespace {

// Splits off the next line (without its terminator) from `*rest`.
std::string_view NextLine(std::string_view* rest) {
  size_t end = rest->find_first_of("\r\n");
  if (end == std::string_view::npos) {
    std::string_view line = *rest;
    *rest = {};
    return line;
  }
  std::string_view line = rest->substr(0, end);
  size_t skip = 1;
  if ((*rest)[end] == '\r' && end + 1 < rest->size() && (*rest)[end + 1] == '\n') skip = 2;
  rest->remove_prefix(end + skip);
  return line;
}

}  // namespace

Result<std::vector<SseEvent>> ParseSse(std::string_view body, size_t max_event_bytes,
                                       size_t max_events) {
  if (body.substr(0, 3) == "\xEF\xBB\xBF") body.remove_prefix(3);
  std::vector<SseEvent> events;
  SseEvent current;
  bool has_data = false;
  auto dispatch = [&]() -> Status {
    if (has_data) {
      if (events.size() >= max_events) {
        return TooLarge("the event stream holds more than " + std::to_string(max_events) +
                        " events");
      }
      events.push_back(std::move(current));
    }
    current = SseEvent();
    has_data = false;
    return Status::OK();
  };
  while (!body.empty()) {
    std::string_view line = NextLine(&body);
    if (line.empty()) {
      KILN_RETURN_IF_ERROR(dispatch());
      continue;
    }
    if (line.front() == ':') continue;  // a comment (keep-alives are sent this way)
    size_t colon = line.find(':');
    std::string_view field = line.substr(0, colon);
    std::string_view value;
    if (colon != std::string_view::npos) {
      value = line.substr(colon + 1);
      if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    }
    if (field == "data") {
      const size_t grown = current.data.size() + (has_data ? 1 : 0) + value.size();
      if (grown > max_event_bytes) {
        return TooLarge("an event of the stream carries more than " +
                        std::to_string(max_event_bytes) + " bytes");
      }
      if (has_data) current.data += '\n';
      current.data.append(value);
      has_data = true;
    } else if (field == "event") {
      current.event.assign(value.substr(0, 256));
    } else if (field == "id") {
      // An id holding NUL is ignored, as the standard says.
      if (value.find('\0') == std::string_view::npos) current.id.assign(value.substr(0, 256));
    }
    // "retry" and unknown fields change nothing for a stream read at once.
  }
  KILN_RETURN_IF_ERROR(dispatch());
  return events;
}

}  // namespace kiln::plugins::mcp_internal
