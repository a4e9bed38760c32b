// multipart/form-data (RFC 7578, framed as RFC 2046 says): splits an upload
// body into its fields and files without copying their bytes, and turns the
// file names clients send into names that are safe to store and show.
//
// Every function here is pure and thread-safe. Parsed parts borrow from the
// body they were parsed from: see MultipartPart::data.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace kiln::web {

struct MultipartPart {
  std::string name;  // form field name (Content-Disposition name="...")
  // As sent (filename="..." or RFC 5987 filename*=UTF-8''..., the latter
  // winning when both are present); "" for plain fields. NOT sanitised: pass
  // it through SanitizeFilename before it names anything on disk or on screen.
  std::string filename;
  // The part's Content-Type as sent (parameters included); when absent,
  // "text/plain" for fields and "application/octet-stream" for files.
  std::string content_type;
  // The part's bytes: a view into the body given to ParseMultipart, valid
  // while that body lives and is not modified.
  std::string_view data;
};

struct MultipartLimits {
  size_t max_parts = 64;
  size_t max_header_bytes = 8192;  // per part, header lines and blank line included
};

// The boundary from a Content-Type header value ("multipart/form-data;
// boundary=...", quoted or not, parameter names case-insensitive).
// kInvalidArgument when the type is not multipart/form-data or the boundary
// is missing, empty, longer than 70 characters or holds characters RFC 2046
// does not allow.
Result<std::string> MultipartBoundary(std::string_view content_type);

// Splits `body` into its parts. The preamble and epilogue are ignored;
// delimiters need CRLF, part headers tolerate bare LF. Header names are
// case-insensitive; folded (obsolete) header lines and parts without
// "Content-Disposition: form-data" with a name are rejected. A delimiter-like
// line whose boundary is followed by anything but "--", white space or a line
// end is data, as are boundaries that do not start a line.
// Errors: kInvalidArgument with a message naming the fault ("the multipart
// body ends before its closing boundary", "part 3 has no name"); kTooLarge
// past limits.max_parts parts or limits.max_header_bytes of headers in a part.
// Runs in time linear in the body (times the boundary length) on any input.
Result<std::vector<MultipartPart>> ParseMultipart(std::string_view body, std::string_view boundary,
                                                  const MultipartLimits& limits = {});

// A file name safe to store and show: the last path component after '/' and
// '\' ("../../etc/passwd" -> "passwd", "C:\x\a.txt" -> "a.txt"), invalid UTF-8
// replaced, control characters (C0, DEL, C1) and bidirectional-override
// characters removed, leading dots and spaces stripped, trailing spaces
// trimmed, at most 200 bytes cut on a UTF-8 boundary; "" becomes "upload".
std::string SanitizeFilename(std::string_view name);

}  // namespace kiln::web
