#include "plugins/builtin/builtin.h"

#include <algorithm>
#include <ctime>

#include "plugins/builtin/calculator.h"
#include "plugins/builtin/timezone.h"

namespace kiln::plugins {
namespace {

using nlohmann::json;

class CalculatorTool final : public Tool {
 public:
  CalculatorTool() {
    spec_.name = "calculator";
    spec_.description = "Calculate an arithmetic expression exactly, such as 17 * 23 or 15% of 80.";
    spec_.parameters = {{"type", "object"},
                        {"properties",
                         {{"expression",
                           {{"type", "string"},
                            {"minLength", 1},
                            {"maxLength", 1000},
                            {"description", "the arithmetic to do, e.g. (2 + 3) * 4"}}}}},
                        {"required", {"expression"}}};
  }
  const ToolSpec& spec() const override { return spec_; }
  Result<ToolResult> Invoke(const json& args, const ToolCallOptions& options) override {
    if (!args.is_object() || !args.contains("expression") || !args["expression"].is_string()) {
      return InvalidArgument("expression must be a string", "expression");
    }
    std::string text = args["expression"].get<std::string>();
    // "15% of 80": "of" after a percent multiplies.
    for (size_t at = text.find(" of "); at != std::string::npos; at = text.find(" of ", at)) {
      text.replace(at, 4, " * ");
    }
    Result<double> v = EvaluateExpression(text);
    if (!v.ok()) return MakeToolResult(v.status().message(), options.max_output_bytes, true);
    return MakeToolResult(FormatNumber(*v), options.max_output_bytes);
  }

 private:
  ToolSpec spec_;
};

const char* kWeekdays[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                           "Thursday", "Friday", "Saturday"};

class CurrentTimeTool final : public Tool {
 public:
  explicit CurrentTimeTool(const BuiltinOptions& o) : now_(o.now), dir_(o.zoneinfo_dir) {
    spec_.name = "current_time";
    spec_.description = "Tell the current date and time, in a time zone such as Asia/Shanghai.";
    spec_.parameters = {{"type", "object"},
                        {"properties",
                         {{"timezone",
                           {{"type", "string"},
                            {"maxLength", 64},
                            {"description", "an IANA time zone name; default UTC"}}}}}};
  }
  const ToolSpec& spec() const override { return spec_; }
  Result<ToolResult> Invoke(const json& args, const ToolCallOptions& options) override {
    std::string name = "UTC";
    if (args.is_object() && args.contains("timezone")) {
      if (!args["timezone"].is_string()) return InvalidArgument("timezone must be a string");
      if (!args["timezone"].get<std::string>().empty()) name = args["timezone"].get<std::string>();
    }
    Result<TimeZone> zone = TimeZone::Load(name, dir_);
    if (!zone.ok()) return MakeToolResult(zone.status().message(), options.max_output_bytes, true);
    const int64_t t = now_ ? now_() : static_cast<int64_t>(std::time(nullptr));
    const ZoneOffset off = zone->At(t);
    const std::time_t local = static_cast<std::time_t>(t + off.utc_offset);
    std::tm tm{};
    gmtime_r(&local, &tm);
    char stamp[40];
    std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    const int64_t minutes = std::abs(off.utc_offset) / 60;
    char zone_text[16];
    std::snprintf(zone_text, sizeof(zone_text), "%c%02d:%02d", off.utc_offset < 0 ? '-' : '+',
                  static_cast<int>(minutes / 60), static_cast<int>(minutes % 60));
    const json out = {{"iso", std::string(stamp) + zone_text},
                      {"unix", t},
                      {"timezone", name},
                      {"abbreviation", off.abbreviation},
                      {"weekday", kWeekdays[tm.tm_wday]}};
    return MakeToolResult(out.dump(), options.max_output_bytes);
  }

 private:
  std::function<int64_t()> now_;
  std::string dir_;
  ToolSpec spec_;
};

class HttpRequestTool final : public Tool {
 public:
  explicit HttpRequestTool(const BuiltinOptions& o) : fetch_(o.fetch) {
    fetch_.max_response_bytes = std::min<size_t>(fetch_.max_response_bytes, 256 << 10);
    spec_.name = "http_request";
    spec_.description = "Fetch a public web address (URL) and read what it answers.";
    spec_.parameters = {
        {"type", "object"},
        {"properties",
         {{"url",
           {{"type", "string"},
            {"minLength", 1},
            {"maxLength", 2048},
            {"description", "an http or https URL"}}},
          {"method", {{"enum", {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"}}}},
          {"headers", {{"type", "object"}, {"additionalProperties", {{"type", "string"}}}}},
          {"body", {{"type", "string"}, {"maxLength", 100000}}}}},
        {"required", {"url"}}};
  }
  const ToolSpec& spec() const override { return spec_; }
  Result<ToolResult> Invoke(const json& args, const ToolCallOptions& options) override {
    if (!args.is_object() || !args.contains("url") || !args["url"].is_string()) {
      return InvalidArgument("url must be a string", "url");
    }
    FetchOptions f = fetch_;
    f.timeout_ms = std::min(f.timeout_ms, options.timeout_ms);
    if (args.contains("method")) {
      if (!args["method"].is_string()) return InvalidArgument("method must be a string", "method");
      f.method = args["method"].get<std::string>();
    }
    if (args.contains("headers")) {
      if (!args["headers"].is_object()) return InvalidArgument("headers must be an object");
      for (auto it = args["headers"].begin(); it != args["headers"].end(); ++it) {
        if (!it->is_string()) return InvalidArgument("header values must be strings", "headers");
        f.headers.emplace_back(it.key(), it->get<std::string>());
      }
    }
    if (args.contains("body")) {
      if (!args["body"].is_string()) return InvalidArgument("body must be a string", "body");
      f.body = args["body"].get<std::string>();
    }
    Result<FetchResponse> r = HttpFetch(args["url"].get<std::string>(), f);
    if (!r.ok()) {
      if (r.status().code() == StatusCode::kTooLarge) {
        return MakeToolResult(
            "the answer is larger than " + std::to_string(f.max_response_bytes / 1024) + " KiB",
            options.max_output_bytes, true);
      }
      return r.status();
    }
    std::string text = "HTTP " + std::to_string(r->status) + "\n";
    const std::string type = r->Header("content-type");
    if (!type.empty()) text += "content-type: " + type + "\n";
    text += "\n" + r->body;
    return MakeToolResult(text, options.max_output_bytes, r->status >= 400);
  }

 private:
  FetchOptions fetch_;
  ToolSpec spec_;
};

}  // namespace

ToolList BuiltinTools(const BuiltinOptions& options) {
  return {std::make_shared<CalculatorTool>(), std::make_shared<CurrentTimeTool>(options),
          std::make_shared<HttpRequestTool>(options)};
}

}  // namespace kiln::plugins
