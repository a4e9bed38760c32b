// ReadResponse (internal/response_reader.h): HTTP/1.1 response framing.
#include "plugins/net/internal/response_reader.h"

#include <cstdint>
#include <string>
#include <utility>

namespace kiln::plugins::internal {
namespace {

constexpr size_t kReadSize = 16 << 10;
constexpr size_t kMaxChunkLine = 4096;  // size, extensions and all

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

Status BodyTooLarge(size_t max) {
  return TooLarge("the response body is larger than " + std::to_string(max) + " bytes");
}

// A read buffer over a ByteSource, for the line-oriented parts of a response.
class BufferedReader {
 public:
  explicit BufferedReader(ByteSource* source) : source_(source) {}

  // Nothing read from the source is left unconsumed.
  bool drained() const { return pos_ == buf_.size(); }

  // One line without its line end (CRLF or LF). False at the end of the
  // stream when nothing of a line was read; kUnavailable past `max_len`.
  Result<bool> ReadLine(std::string* line, size_t max_len, std::string_view what) {
    size_t scanned = pos_;
    for (;;) {
      size_t lf = buf_.find('\n', scanned);
      if (lf != std::string::npos) {
        if (lf - pos_ > max_len) break;
        line->assign(buf_, pos_, lf - pos_);
        if (!line->empty() && line->back() == '\r') line->pop_back();
        pos_ = lf + 1;
        return true;
      }
      if (buf_.size() - pos_ > max_len) break;
      scanned = buf_.size() - pos_;  // offsets move with the buffer in Fill
      KILN_ASSIGN_OR_RETURN(bool more, Fill());
      scanned += pos_;
      if (!more) {
        if (buf_.size() == pos_) return false;
        return Unavailable("the server closed the connection in the middle of " +
                           std::string(what));
      }
    }
    return Unavailable("the response's " + std::string(what) + " is too long");
  }

  // Appends exactly `n` bytes to `out`.
  Status ReadExact(size_t n, std::string* out) {
    size_t from_buffer = std::min(n, buf_.size() - pos_);
    out->append(buf_, pos_, from_buffer);
    pos_ += from_buffer;
    n -= from_buffer;
    while (n > 0) {  // straight into `out`, without the buffer's copy
      size_t want = std::min(n, kReadSize * 4);
      size_t old = out->size();
      out->resize(old + want);
      Result<size_t> got = source_->Read(out->data() + old, want);
      out->resize(old + (got.ok() ? *got : 0));
      if (!got.ok()) return got.status();
      if (*got == 0) {
        return Unavailable("the server closed the connection " + std::to_string(n) +
                           " bytes before the body's end");
      }
      n -= *got;
    }
    return Status::OK();
  }

  // Appends everything up to the end of the stream; kTooLarge as soon as
  // `out` would pass `max` bytes.
  Status ReadToEnd(std::string* out, size_t max) {
    out->append(buf_, pos_, std::string::npos);
    pos_ = buf_.size();
    while (out->size() <= max) {
      size_t old = out->size();
      out->resize(old + kReadSize);
      Result<size_t> got = source_->Read(out->data() + old, kReadSize);
      out->resize(old + (got.ok() ? *got : 0));
      if (!got.ok()) return got.status();
      if (*got == 0) return Status::OK();
    }
    return BodyTooLarge(max);
  }

 private:
  // Reads more into the buffer; false at the end of the stream.
  Result<bool> Fill() {
    if (pos_ > 0) {
      buf_.erase(0, pos_);
      pos_ = 0;
    }
    size_t old = buf_.size();
    buf_.resize(old + kReadSize);
    Result<size_t> got = source_->Read(buf_.data() + old, kReadSize);
    buf_.resize(old + (got.ok() ? *got : 0));
    if (!got.ok()) return got.status();
    return *got > 0;
  }

  ByteSource* source_;
  std::string buf_;
  size_t pos_ = 0;  // first unread byte of buf_
};

// "HTTP/1.1 200 OK" -> 200; 0 when malformed.
int ParseStatusLine(std::string_view line) {
  if (line.substr(0, 7) != "HTTP/1." || line.size() < 12 || line[7] < '0' || line[7] > '9' ||
      line[8] != ' ' || (line.size() > 12 && line[12] != ' ')) {
    return 0;
  }
  int status = 0;
  for (char c : line.substr(9, 3)) {
    if (c < '0' || c > '9') return 0;
    status = status * 10 + (c - '0');
  }
  return status >= 100 && status <= 599 ? status : 0;
}

// `http10`: whether the status line says HTTP/1.0.
Status ReadHead(BufferedReader* reader, FetchResponse* response, bool* http10) {
  std::string line;
  KILN_ASSIGN_OR_RETURN(bool got, reader->ReadLine(&line, kMaxResponseHeaderBytes, "status line"));
  if (!got) return Unavailable("the server closed the connection without responding");
  response->status = ParseStatusLine(line);
  if (response->status == 0) return Unavailable("the server's response is not HTTP/1.x");
  *http10 = line[7] == '0';
  response->headers.clear();
  size_t total = line.size();
  for (;;) {
    KILN_ASSIGN_OR_RETURN(got, reader->ReadLine(&line, kMaxResponseHeaderBytes, "headers"));
    if (!got) return Unavailable("the server closed the connection in the middle of the headers");
    total += line.size() + 2;
    if (total > kMaxResponseHeaderBytes) {
      return Unavailable("the response headers are larger than 64 KiB");
    }
    if (line.empty()) return Status::OK();
    if (line.front() == ' ' || line.front() == '\t') {  // obsolete folding: a continuation
      if (response->headers.empty()) return Unavailable("the response headers are malformed");
      response->headers.back().second += " " + std::string(Trim(line));
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string::npos || colon == 0) {
      return Unavailable("the response headers are malformed");
    }
    response->headers.emplace_back(Lower(Trim(std::string_view(line).substr(0, colon))),
                                   std::string(Trim(std::string_view(line).substr(colon + 1))));
  }
}

// The body length the headers announce: -1 when there is no Content-Length,
// -2 when it is malformed or the copies disagree.
int64_t ContentLength(const FetchResponse& response) {
  int64_t length = -1;
  for (const auto& [name, value] : response.headers) {
    if (name != "content-length") continue;
    std::string_view rest = value;
    while (!rest.empty()) {  // "5, 5" is the same length sent twice
      size_t comma = rest.find(',');
      std::string_view item = Trim(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      if (item.empty() || item.size() > 18) return -2;
      int64_t n = 0;
      for (char c : item) {
        if (c < '0' || c > '9') return -2;
        n = n * 10 + (c - '0');
      }
      if (length >= 0 && n != length) return -2;
      length = n;
    }
  }
  return length;
}

Status ReadChunked(BufferedReader* reader, std::string* body, size_t max) {
  std::string line;
  for (;;) {
    KILN_ASSIGN_OR_RETURN(bool got, reader->ReadLine(&line, kMaxChunkLine, "chunk size line"));
    if (!got) return Unavailable("the server closed the connection before the last chunk");
    std::string_view size_text = Trim(std::string_view(line).substr(0, line.find(';')));
    if (size_text.empty() || size_text.size() > 15) return Unavailable("a chunk size is malformed");
    uint64_t size = 0;
    for (char c : size_text) {
      int digit = c >= '0' && c <= '9'   ? c - '0'
                  : c >= 'a' && c <= 'f' ? c - 'a' + 10
                  : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                         : -1;
      if (digit < 0) return Unavailable("a chunk size is malformed");
      size = size * 16 + static_cast<uint64_t>(digit);
    }
    if (size == 0) break;
    if (size > max - body->size()) return BodyTooLarge(max);
    KILN_RETURN_IF_ERROR(reader->ReadExact(static_cast<size_t>(size), body));
    KILN_ASSIGN_OR_RETURN(got, reader->ReadLine(&line, 2, "chunk end"));
    if (!got || !line.empty()) return Unavailable("a chunk does not end with CRLF");
  }
  // Trailers are read and dropped; a server that closes instead of sending
  // the final empty line has still delivered the whole body.
  size_t total = 0;
  for (;;) {
    KILN_ASSIGN_OR_RETURN(bool got, reader->ReadLine(&line, kMaxResponseHeaderBytes, "trailers"));
    total += line.size() + 2;
    if (total > kMaxResponseHeaderBytes) return Unavailable("the response trailers are too large");
    if (!got || line.empty()) return Status::OK();
  }
}

}  // namespace

Result<FetchResponse> ReadResponse(ByteSource* source, bool head_request, size_t max_body_bytes,
                                   bool* reusable) {
  if (reusable != nullptr) *reusable = false;
  BufferedReader reader(source);
  FetchResponse response;
  bool http10 = false;
  do {  // 100 Continue and other interim responses precede the real one
    KILN_RETURN_IF_ERROR(ReadHead(&reader, &response, &http10));
  } while (response.status < 200 && response.status != 101);
  bool framed = true;
  if (head_request || response.status < 200 || response.status == 204 || response.status == 304) {
    // No body.
  } else {
    std::string codings;
    for (const auto& [name, value] : response.headers) {
      if (name == "transfer-encoding") codings += (codings.empty() ? "" : ",") + Lower(value);
    }
    if (!codings.empty()) {
      // Only a final "chunked" frames the body (RFC 9112 6.3); anything else
      // runs to the end of the connection.
      std::string_view last = Trim(std::string_view(codings).substr(codings.rfind(',') + 1));
      if (last == "chunked") {
        KILN_RETURN_IF_ERROR(ReadChunked(&reader, &response.body, max_body_bytes));
      } else {
        framed = false;
        KILN_RETURN_IF_ERROR(reader.ReadToEnd(&response.body, max_body_bytes));
      }
    } else {
      int64_t length = ContentLength(response);
      if (length == -2) return Unavailable("the response's Content-Length is malformed");
      if (length < 0) {
        framed = false;
        KILN_RETURN_IF_ERROR(reader.ReadToEnd(&response.body, max_body_bytes));
      } else {
        if (static_cast<uint64_t>(length) > max_body_bytes) return BodyTooLarge(max_body_bytes);
        KILN_RETURN_IF_ERROR(reader.ReadExact(static_cast<size_t>(length), &response.body));
      }
    }
  }
  if (reusable != nullptr) {
    // HTTP/1.1 connections persist unless closed; HTTP/1.0 ones only when
    // the server says keep-alive (RFC 9112 9.3).
    const std::string connection = Lower(response.Header("connection"));
    const bool persistent = http10 ? connection.find("keep-alive") != std::string::npos
                                   : connection.find("close") == std::string::npos;
    *reusable = framed && reader.drained() && response.status != 101 && persistent;
  }
  return response;
}

}  // namespace kiln::plugins::internal
