// The built-in tools through the Tool interface: calculator results and
// errors, current_time across zones and a DST change (fixed clock), bad zone
// names, the TZif reader on hostile bytes, and http_request against a local
// server with the outbound guard.
#include <gtest/gtest.h>

#include "plugins/builtin/builtin.h"
#include "plugins/builtin/timezone.h"
#include "tests/plugins/net/test_http_server.h"

namespace kiln::plugins {
namespace {

using nlohmann::json;

std::shared_ptr<Tool> Find(const ToolList& tools, const std::string& name) {
  for (const auto& t : tools) {
    if (t->spec().name == name) return t;
  }
  return nullptr;
}

ToolList Tools(int64_t now, FetchOptions fetch = {}) {
  BuiltinOptions o;
  o.now = [now] { return now; };
  o.fetch = fetch;
  return BuiltinTools(o);
}

TEST(BuiltinTools, SpecsAreValid) {
  ToolList tools = Tools(0);
  ASSERT_EQ(tools.size(), 3u);
  for (const auto& t : tools) {
    EXPECT_TRUE(ValidToolName(t->spec().name)) << t->spec().name;
    EXPECT_FALSE(t->spec().description.empty());
    EXPECT_EQ(t->spec().parameters["type"], "object");
  }
}

TEST(BuiltinTools, Calculator) {
  auto calc = Find(Tools(0), "calculator");
  auto r = calc->Invoke({{"expression", "(17 * 23) + 2^3"}}, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->output, "399");
  EXPECT_FALSE(r->is_error);
  EXPECT_EQ(calc->Invoke({{"expression", "15% of 80"}}, {})->output, "12");
  auto bad = calc->Invoke({{"expression", "1/0"}}, {});
  ASSERT_TRUE(bad.ok());
  EXPECT_TRUE(bad->is_error);
  EXPECT_EQ(bad->output, "division by zero");
  EXPECT_EQ(calc->Invoke({{"expression", 3}}, {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(calc->Invoke(json::array(), {}).status().code(), StatusCode::kInvalidArgument);
}

TEST(BuiltinTools, CurrentTimeInZones) {
  // 2026-03-08 06:59:59 UTC: 01:59:59 EST, one second before New York's DST.
  const int64_t before = 1772953199;
  auto at = [](int64_t t, const std::string& zone) {
    auto tool = Find(Tools(t), "current_time");
    json args = zone.empty() ? json::object() : json{{"timezone", zone}};
    auto r = tool->Invoke(args, {});
    EXPECT_TRUE(r.ok());
    return json::parse(r->output);
  };
  EXPECT_EQ(at(before, "")["iso"], "2026-03-08T06:59:59+00:00");
  EXPECT_EQ(at(before, "UTC")["weekday"], "Sunday");
  EXPECT_EQ(at(before, "Asia/Shanghai")["iso"], "2026-03-08T14:59:59+08:00");
  EXPECT_EQ(at(before, "America/New_York")["iso"], "2026-03-08T01:59:59-05:00");
  EXPECT_EQ(at(before + 1, "America/New_York")["iso"], "2026-03-08T03:00:00-04:00");
  EXPECT_EQ(at(before + 1, "America/New_York")["abbreviation"], "EDT");
  // Past the file's last transition (2037): the footer rule.
  // 2040-07-01 12:00 UTC is EDT; 2040-01-01 12:00 UTC is EST.
  EXPECT_EQ(at(2224756800, "America/New_York")["iso"], "2040-07-01T08:00:00-04:00");
  EXPECT_EQ(at(2209032000, "America/New_York")["iso"], "2040-01-01T07:00:00-05:00");
  EXPECT_EQ(at(2224756800, "Asia/Shanghai")["iso"], "2040-07-01T20:00:00+08:00");
  for (const char* bad : {"../../etc/passwd", "Not/AZone", "/etc/passwd", "Asia//Shanghai",
                          "Asia/./Shanghai", "a b"}) {
    auto r = Find(Tools(before), "current_time")->Invoke({{"timezone", bad}}, {});
    ASSERT_TRUE(r.ok()) << bad;
    EXPECT_TRUE(r->is_error) << bad << ": " << r->output;
  }
}

TEST(TimeZone, HostileBytesAreErrors) {
  EXPECT_FALSE(TimeZone::Parse("").ok());
  EXPECT_FALSE(TimeZone::Parse("TZif2").ok());
  std::string header = "TZif2" + std::string(15, '\0');
  for (int i = 0; i < 6; ++i) header += std::string("\x7f\xff\xff\xff", 4);  // huge counts
  EXPECT_FALSE(TimeZone::Parse(header).ok());
  std::string zero = "TZif2" + std::string(15, '\0') + std::string(24, '\0');
  EXPECT_FALSE(TimeZone::Parse(zero).ok());  // no types
  EXPECT_FALSE(ValidZoneName(std::string(65, 'a')));
  EXPECT_TRUE(ValidZoneName("America/Argentina/Buenos_Aires"));
  EXPECT_TRUE(ValidZoneName("Etc/GMT+8"));
}

TEST(BuiltinTools, HttpRequestThroughTheGuard) {
  nettest::TestHttpServer server;
  server.RouteFixed(
      "/ok", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello");
  server.RouteFixed("/err", "HTTP/1.1 500 Oops\r\nContent-Length: 4\r\n\r\nbad!");
  const std::string big(100000, 'z');
  server.RouteFixed("/big", "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(big.size()) +
                                "\r\n\r\n" + big);
  // The default guard refuses loopback.
  auto guarded = Find(Tools(0), "http_request")->Invoke({{"url", server.Url("/ok")}}, {});
  EXPECT_EQ(guarded.status().code(), StatusCode::kPermissionDenied);
  FetchOptions open;
  open.allow_private = true;
  auto tool = Find(Tools(0, open), "http_request");
  auto ok = tool->Invoke({{"url", server.Url("/ok")}}, {});
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->output, "HTTP 200\ncontent-type: text/plain\n\nhello");
  auto err = tool->Invoke({{"url", server.Url("/err")}}, {});
  ASSERT_TRUE(err.ok());
  EXPECT_TRUE(err->is_error);
  ToolCallOptions small;
  small.max_output_bytes = 1000;
  auto cut = tool->Invoke({{"url", server.Url("/big")}}, small);
  ASSERT_TRUE(cut.ok());
  EXPECT_TRUE(cut->truncated);
  EXPECT_LE(cut->output.size(), 1000u);
  EXPECT_EQ(tool->Invoke({{"url", "ftp://x"}}, {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(tool->Invoke({{"url", server.Url("/ok")}, {"headers", {{"x", 1}}}}, {}).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kiln::plugins
