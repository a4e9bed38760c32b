#include "web/multipart.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace kiln::web {
namespace {

constexpr std::string_view kBoundary = "----KilnBoundary7MA4YWxk";

// One part of a test body, written the way browsers write them.
std::string Part(std::string_view disposition, std::string_view data,
                 std::string_view content_type = {}) {
  std::string out = "--" + std::string(kBoundary) + "\r\n";
  out += "Content-Disposition: " + std::string(disposition) + "\r\n";
  if (!content_type.empty()) out += "Content-Type: " + std::string(content_type) + "\r\n";
  out += "\r\n" + std::string(data) + "\r\n";
  return out;
}

std::string Close() { return "--" + std::string(kBoundary) + "--\r\n"; }

Result<std::vector<MultipartPart>> Parse(std::string_view body, MultipartLimits limits = {}) {
  return ParseMultipart(body, kBoundary, limits);
}

TEST(MultipartBoundary, PlainQuotedAndCaseInsensitive) {
  auto plain = MultipartBoundary("multipart/form-data; boundary=abc123");
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(*plain, "abc123");
  auto quoted = MultipartBoundary("Multipart/Form-Data; charset=utf-8; BOUNDARY=\"a b:c\"");
  ASSERT_TRUE(quoted.ok()) << quoted.status().ToString();
  EXPECT_EQ(*quoted, "a b:c");
  auto spaced = MultipartBoundary("multipart/form-data ;boundary = xyz ;");
  ASSERT_TRUE(spaced.ok()) << spaced.status().ToString();
  EXPECT_EQ(*spaced, "xyz");
}

TEST(MultipartBoundary, Rejections) {
  for (std::string_view bad : {
           "application/json",
           "multipart/mixed; boundary=abc",
           "multipart/form-data",
           "multipart/form-data; boundary=",
           "multipart/form-data; boundary=\"\"",
           "multipart/form-data; boundary=\"abc",
           "multipart/form-data; boundary=a; boundary=b",
           "multipart/form-data; boundary=\"a\x01b\"",
           "multipart/form-data; boundary=\"ab \"",
       }) {
    auto r = MultipartBoundary(bad);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;  // kOk when it parsed
  }
  EXPECT_TRUE(MultipartBoundary("multipart/form-data; boundary=" + std::string(70, 'x')).ok());
  EXPECT_FALSE(MultipartBoundary("multipart/form-data; boundary=" + std::string(71, 'x')).ok());
}

TEST(ParseMultipart, FieldsAndFilesWithBinaryData) {
  std::string binary("\x00\x01\xff\r\n--\r\n--x\r\n\r\n", 16);
  binary += "--" + std::string(kBoundary) + "X";  // boundary-like, but not a delimiter
  std::string body =
      "This preamble is ignored.\r\n" + Part("form-data; name=\"title\"", "Hello") +
      Part("form-data; name=\"doc\"; filename=\"a.bin\"", binary, "application/x-thing") +
      Part("form-data; name=\"notes\"; filename=\"n.txt\"", "line1\r\nline2") + Close() +
      "and an epilogue";
  auto r = Parse(body);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 3u);
  const auto& parts = *r;
  EXPECT_EQ(parts[0].name, "title");
  EXPECT_EQ(parts[0].filename, "");
  EXPECT_EQ(parts[0].content_type, "text/plain");
  EXPECT_EQ(parts[0].data, "Hello");
  EXPECT_EQ(parts[1].name, "doc");
  EXPECT_EQ(parts[1].filename, "a.bin");
  EXPECT_EQ(parts[1].content_type, "application/x-thing");
  EXPECT_EQ(parts[1].data, binary);
  EXPECT_EQ(parts[2].filename, "n.txt");
  EXPECT_EQ(parts[2].content_type, "application/octet-stream");
  EXPECT_EQ(parts[2].data, "line1\r\nline2");
  // Zero-copy: the views point into the body.
  for (const auto& part : parts) {
    EXPECT_GE(part.data.data(), body.data());
    EXPECT_LE(part.data.data() + part.data.size(), body.data() + body.size());
  }
}

TEST(ParseMultipart, Rfc5987FilenameWinsAndRawUtf8IsKept) {
  std::string body =
      Part(
          "form-data; name=\"f\"; filename=\"fallback.txt\"; "
          "filename*=UTF-8''%E4%B8%AD%E6%96%87.txt",
          "x") +
      Part("form-data; filename*=utf-8'zh'%E4%B8%AD.md; name=f2; filename=\"other\"", "y") +
      Part("form-data; name=\"f3\"; filename=\"\xe4\xb8\xad\xe6\x96\x87.txt\"", "z") +
      Part("form-data; name=\"f4\"; filename*=iso-8859-1''caf%E9.txt", "w") + Close();
  auto r = Parse(body);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 4u);
  EXPECT_EQ((*r)[0].filename, "\xe4\xb8\xad\xe6\x96\x87.txt");
  EXPECT_EQ((*r)[1].filename, "\xe4\xb8\xad.md");
  EXPECT_EQ((*r)[2].filename, "\xe4\xb8\xad\xe6\x96\x87.txt");
  EXPECT_EQ((*r)[3].filename, "caf\xc3\xa9.txt");
}

TEST(ParseMultipart, QuotedValuesKeepBackslashesAndEscapedQuotes) {
  std::string body = Part("form-data; name=\"a\\\"b\"; filename=\"C:\\x\\a.txt\"", "") + Close();
  auto r = Parse(body);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].name, "a\"b");
  EXPECT_EQ((*r)[0].filename, "C:\\x\\a.txt");
  EXPECT_EQ(SanitizeFilename((*r)[0].filename), "a.txt");
}

TEST(ParseMultipart, EmptyPartsAndEmptyForm) {
  std::string body = Part("form-data; name=\"empty\"", "") +
                     Part("form-data; name=\"file\"; filename=\"\"", "") + Close();
  auto r = Parse(body);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].data, "");
  EXPECT_EQ((*r)[1].data, "");
  EXPECT_EQ((*r)[1].content_type, "application/octet-stream");

  auto empty_form = Parse(Close());
  ASSERT_TRUE(empty_form.ok()) << empty_form.status().ToString();
  EXPECT_TRUE(empty_form->empty());
}

TEST(ParseMultipart, BareLfHeadersAndCaseInsensitiveNames) {
  std::string body = "--" + std::string(kBoundary) +
                     " \t\n"  // transport padding, then a bare LF
                     "CONTENT-DISPOSITION: Form-Data; NAME=\"a\"\n"
                     "content-type:text/csv\n"
                     "X-Other: ignored\n"
                     "\n"
                     "1,2\r\n--" +
                     std::string(kBoundary) + "--";
  auto r = Parse(body);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].name, "a");
  EXPECT_EQ((*r)[0].content_type, "text/csv");
  EXPECT_EQ((*r)[0].data, "1,2");
}

TEST(ParseMultipart, BoundaryNotAtLineStartIsData) {
  std::string data = "abc--" + std::string(kBoundary) + "--def";
  std::string body = Part("form-data; name=\"a\"", data) + Close();
  auto r = Parse(body);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].data, data);
}

void ExpectError(const std::string& body, StatusCode code, std::string_view message,
                 MultipartLimits limits = {}) {
  auto r = Parse(body, limits);
  ASSERT_FALSE(r.ok()) << "parsed: " << body;
  EXPECT_EQ(r.status().code(), code) << r.status().ToString();
  EXPECT_NE(r.status().message().find(message), std::string::npos) << r.status().ToString();
}

TEST(ParseMultipart, MissingBoundaries) {
  ExpectError("no boundary at all", StatusCode::kInvalidArgument, "no opening boundary");
  ExpectError(Part("form-data; name=\"a\"", "x"), StatusCode::kInvalidArgument,
              "ends before its closing boundary");
  // Truncated in the middle of the closing delimiter.
  std::string body = Part("form-data; name=\"a\"", "x") + "--" + std::string(kBoundary);
  ExpectError(body, StatusCode::kInvalidArgument, "ends before its closing boundary");
  EXPECT_EQ(ParseMultipart("x", "", {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseMultipart("x", std::string(71, 'b'), {}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(ParseMultipart, TooManyParts) {
  std::string body;
  for (int i = 0; i < 5; ++i) body += Part("form-data; name=\"f" + std::to_string(i) + "\"", "v");
  body += Close();
  MultipartLimits limits;
  limits.max_parts = 5;
  EXPECT_TRUE(Parse(body, limits).ok());
  limits.max_parts = 4;
  ExpectError(body, StatusCode::kTooLarge, "more than 4 parts", limits);
}

TEST(ParseMultipart, HeaderLimit) {
  std::string body =
      Part("form-data; name=\"a\"; filename=\"" + std::string(300, 'n') + "\"", "x") + Close();
  MultipartLimits limits;
  limits.max_header_bytes = 200;
  ExpectError(body, StatusCode::kTooLarge, "headers exceed 200 bytes", limits);
  limits.max_header_bytes = 400;
  EXPECT_TRUE(Parse(body, limits).ok());
}

TEST(ParseMultipart, MalformedHeaders) {
  std::string b = "--" + std::string(kBoundary) + "\r\n";
  std::string end = "\r\n\r\nv\r\n" + Close();
  struct Case {
    std::string headers;
    std::string_view message;
  };
  const Case cases[] = {
      {"Content-Disposition: form-data; name=\"a\"\r\n folded", "folded header line"},
      {"Content-Disposition form-data; name=\"a\"", "malformed header line"},
      {": form-data", "malformed header line"},
      {"Content Disposition: form-data; name=\"a\"", "malformed header line"},
      {"Content-Disposition: form-data; name=\"a", "malformed Content-Disposition"},
      {"Content-Disposition: form-data; name", "malformed Content-Disposition"},
      {"Content-Disposition: attachment; name=\"a\"", "not form-data"},
      {"Content-Type: text/plain", "no Content-Disposition"},
      {"Content-Disposition: form-data; filename=\"x\"", "part 1 has no name"},
      {"Content-Disposition: form-data; name=\"\"", "part 1 has no name"},
      {"Content-Disposition: form-data; name=a; name=b", "repeats the name"},
      {"Content-Disposition: form-data; name=a\r\nContent-Disposition: form-data; name=b",
       "two Content-Disposition"},
      {"Content-Disposition: form-data; name=a\r\nContent-Type: a\r\nContent-Type: b",
       "two Content-Type"},
      {"Content-Disposition: form-data; name=a; filename*=UTF-8%E4", "malformed filename*"},
      {"Content-Disposition: form-data; name=a; filename*=koi8-r''%E4", "malformed filename*"},
      {"Content-Disposition: form-data; name=a\rX: y", "control character"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.headers);
    ExpectError(b + c.headers + end, StatusCode::kInvalidArgument, c.message);
  }
  // Headers running into the next delimiter without a blank line.
  ExpectError(b + "Content-Disposition: form-data; name=a\r\n" + Close(),
              StatusCode::kInvalidArgument, "do not end with a blank line");
}

TEST(ParseMultipart, ErrorNamesThePart) {
  std::string body = Part("form-data; name=\"a\"", "1") + Part("form-data; name=\"b\"", "2") +
                     Part("form-data; filename=\"c\"", "3") + Close();
  ExpectError(body, StatusCode::kInvalidArgument, "part 3 has no name");
}

TEST(SanitizeFilename, Cases) {
  struct Case {
    std::string_view in, out;
  };
  const Case cases[] = {
      {"report.pdf", "report.pdf"},
      {"../../etc/passwd", "passwd"},
      {"C:\\x\\a.txt", "a.txt"},
      {"dir/", "upload"},
      {"", "upload"},
      {"..", "upload"},
      {".bashrc", "bashrc"},
      {" . .hidden ", "hidden"},
      {"a\x01"
       "b\x7f"
       "c.txt",
       "abc.txt"},
      {std::string_view("nul\0byte.txt", 12), "nulbyte.txt"},
      {"\xe4\xb8\xad\xe6\x96\x87.txt", "\xe4\xb8\xad\xe6\x96\x87.txt"},
      {"evil\xe2\x80\xaegpj.exe", "evilgpj.exe"},  // U+202E RIGHT-TO-LEFT OVERRIDE
      {"bad\xff.txt", "bad\xef\xbf\xbd.txt"},      // invalid UTF-8 becomes U+FFFD
      {"tab\there", "tabhere"},
  };
  for (const Case& c : cases) EXPECT_EQ(SanitizeFilename(c.in), c.out) << c.in;
}

TEST(SanitizeFilename, TruncatesOnUtf8Boundary) {
  std::string ascii(300, 'a');
  EXPECT_EQ(SanitizeFilename(ascii), std::string(200, 'a'));
  std::string chinese;
  for (int i = 0; i < 100; ++i) chinese += "\xe4\xb8\xad";  // 3 bytes each
  std::string out = SanitizeFilename(chinese);
  EXPECT_EQ(out.size(), 198u);  // 66 whole characters; the 67th would straddle byte 200
  EXPECT_EQ(out, chinese.substr(0, 198));
}

// Random mutations of a valid body: parsing must neither crash nor loop, and
// whatever it accepts must point into the body.
TEST(ParseMultipart, MutationFuzzNeverCrashes) {
  const std::string seed_body =
      "pre\r\n" + Part("form-data; name=\"a\"", "hello\r\n--x") +
      Part("form-data; name=\"b\"; filename*=UTF-8''%E4%B8%AD.txt", "\x01\x02\r\n", "image/png") +
      Part("form-data; name=c; filename=\"q\\\"q\"", "") + Close() + "epi";
  const std::string pieces[] = {"\r\n",     "\n",
                                "--",       "--" + std::string(kBoundary),
                                "\"",       ";",
                                ":",        " ",
                                "=",        "Content-Disposition: form-data; name=z",
                                "\r\n\r\n", "filename*=",
                                "%",        "\\"};
  std::mt19937 rng(20240611);
  size_t accepted = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string body = seed_body;
    int mutations = 1 + static_cast<int>(rng() % 6);
    for (int m = 0; m < mutations; ++m) {
      size_t pos = body.empty() ? 0 : rng() % (body.size() + 1);
      switch (rng() % 5) {
        case 0:  // flip a byte
          if (pos < body.size()) body[pos] = static_cast<char>(rng());
          break;
        case 1:  // delete a run
          body.erase(pos, rng() % 16);
          break;
        case 2:  // insert a structural piece
          body.insert(pos, pieces[rng() % std::size(pieces)]);
          break;
        case 3:  // truncate
          body.resize(pos);
          break;
        case 4:  // duplicate a run
          body.insert(pos, body.substr(rng() % (body.size() + 1), rng() % 64));
          break;
      }
    }
    MultipartLimits limits;
    limits.max_parts = 1 + rng() % 8;
    limits.max_header_bytes = 1 + rng() % 256;
    auto r = Parse(body, limits);
    if (!r.ok()) {
      EXPECT_FALSE(r.status().message().empty());
      continue;
    }
    ++accepted;
    EXPECT_LE(r->size(), limits.max_parts);
    for (const auto& part : *r) {
      EXPECT_FALSE(part.name.empty());
      EXPECT_GE(part.data.data(), body.data());
      EXPECT_LE(part.data.data() + part.data.size(), body.data() + body.size());
      std::string safe = SanitizeFilename(part.filename);
      EXPECT_FALSE(safe.empty());
      EXPECT_LE(safe.size(), 200u);
      EXPECT_EQ(safe.find('/'), std::string::npos);
    }
  }
  EXPECT_GT(accepted, 0u);  // the mutator leaves some bodies valid, so both paths ran
}

}  // namespace
}  // namespace kiln::web
