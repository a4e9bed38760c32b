// Server-Sent Events parsing for the streamable HTTP transport: a POST's
// response may be a text/event-stream whose events each carry one JSON-RPC
// message. HttpFetch hands over the whole body (the server closes the stream
// after the response), so this parses a complete stream at once. Pure
// functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace kiln::plugins::mcp_internal {

struct SseEvent {
  std::string event;  // the "event:" field; "" means the default, "message"
  std::string data;   // "data:" lines joined by '\n'
  std::string id;     // the "id:" field, if any
};

// Parses `body` by the WHATWG event-stream rules: lines end in CRLF, LF or
// CR; "field: value" with one leading space of the value removed; a line
// starting with ':' is a comment; a blank line dispatches the event; events
// without data are not dispatched; a leading UTF-8 BOM is skipped. Unlike a
// browser, an event left unterminated at the end of the body is still
// dispatched: the body is known to be complete, and a server that closes
// right after its last data line has still said what it meant.
// kTooLarge when one event's data exceeds `max_event_bytes`; at most
// `max_events` events are returned (kTooLarge past that).
Result<std::vector<SseEvent>> ParseSse(std::string_view body, size_t max_event_bytes,
                                       size_t max_events = 10000);

}  // namespace kiln::plugins::mcp_internal
