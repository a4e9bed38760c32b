// The C++ SDK and the OpenAPI importer end to end: the weather example
// served in-process (and as its own executable), its /openapi.json fetched
// and imported with ToolsFromOpenApi, and its operations invoked as tools.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include "kiln_plugin.h"
#include "plugins/net/http_fetch.h"
#include "plugins/openapi/openapi.h"
#include "tests/plugins/openapi/test_util.h"
#include "weather.h"

namespace kiln::plugins {
namespace {

using nlohmann::json;
using openapitest::Find;

OpenApiOptions Loopback(const std::string& document_url = {}) {
  OpenApiOptions options;
  options.fetch.allow_private = true;
  options.timeout_ms = 5000;
  options.document_url = document_url;
  return options;
}

// Fetches `base`/openapi.json and imports it.
ToolList Import(const std::string& base) {
  Result<FetchResponse> doc = HttpFetch(base + "/openapi.json", Loopback().fetch);
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
  if (!doc.ok()) return {};
  EXPECT_EQ(doc->status, 200);
  Result<json> parsed = ParseOpenApiText(doc->body);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  if (!parsed.ok()) return {};
  return openapitest::ToolsOk(*parsed, {}, Loopback(base + "/openapi.json"));
}

json CallJson(const std::shared_ptr<Tool>& tool, const json& args, bool* is_error = nullptr) {
  Result<ToolResult> r = tool->Invoke(args, {});
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return nullptr;
  if (is_error != nullptr) *is_error = r->is_error;
  std::string body = r->output;
  if (r->is_error) body = body.substr(body.find('\n') + 1);  // after "HTTP 404"
  return json::parse(body, nullptr, false);
}

class WeatherPluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    weather::AddRoutes(server_);
    ASSERT_EQ(server_.Listen(), "");
    server_.Start();
  }
  sdk::Server server_{sdk::ServerOptions{.title = "Weather"}};
};

TEST_F(WeatherPluginTest, ImportedToolsMatchTheRoutes) {
  ToolList tools = Import(server_.url());
  ASSERT_EQ(tools.size(), 2u);
  auto get_weather = Find(tools, "get_weather");
  ASSERT_NE(get_weather, nullptr);
  EXPECT_EQ(get_weather->spec().description, "Current weather for a city");
  EXPECT_EQ(get_weather->spec().parameters, json::parse(R"js({"type": "object",
    "properties": {
      "city": {"type": "string", "maxLength": 100, "description": "City name, such as Paris"},
      "unit": {"type": "string", "enum": ["celsius", "fahrenheit"],
               "description": "Temperature unit (default celsius)"}},
    "required": ["city"]})js"));
  auto forecast = Find(tools, "get_forecast");
  ASSERT_NE(forecast, nullptr);
  EXPECT_EQ(forecast->spec().parameters["properties"]["days"]["type"], "integer");
}

TEST_F(WeatherPluginTest, GetWeatherThroughTheTool) {
  ToolList tools = Import(server_.url());
  auto get_weather = Find(tools, "get_weather");
  ASSERT_NE(get_weather, nullptr);
  bool is_error = true;
  json paris = CallJson(get_weather, {{"city", "Paris"}}, &is_error);
  EXPECT_FALSE(is_error);
  EXPECT_EQ(paris["city"], "Paris");
  EXPECT_EQ(paris["country"], "FR");
  EXPECT_EQ(paris["unit"], "celsius");
  EXPECT_TRUE(paris["temperature"].is_number());
  EXPECT_TRUE(paris["condition"].is_string());
  EXPECT_EQ(paris, *weather::CurrentWeather("Paris", false));
  // Deterministic: same city, same answer; the name is matched loosely.
  EXPECT_EQ(CallJson(get_weather, {{"city", " paris "}}), paris);
  json fahrenheit = CallJson(get_weather, {{"city", "Paris"}, {"unit", "fahrenheit"}});
  EXPECT_EQ(fahrenheit["unit"], "fahrenheit");
  EXPECT_NEAR(fahrenheit["temperature"].get<double>(),
              paris["temperature"].get<double>() * 9 / 5 + 32, 0.11);

  json unknown = CallJson(get_weather, {{"city", "Atlantis"}}, &is_error);
  EXPECT_TRUE(is_error);
  EXPECT_EQ(unknown["error"]["code"], "not_found");
  CallJson(get_weather, {{"city", ""}}, &is_error);
  EXPECT_TRUE(is_error);
  // The SDK validates what the importer's schema cannot (an enum it does keep,
  // here bypassed by calling without the agent's check).
  json bad_unit = CallJson(get_weather, {{"city", "Paris"}, {"unit", "kelvin"}}, &is_error);
  EXPECT_TRUE(is_error);
  EXPECT_EQ(bad_unit["error"]["param"], "unit");
}

TEST_F(WeatherPluginTest, ForecastThroughTheTool) {
  ToolList tools = Import(server_.url());
  auto forecast = Find(tools, "get_forecast");
  ASSERT_NE(forecast, nullptr);
  json five = CallJson(forecast, {{"city", "Tokyo"}, {"days", 5}});
  ASSERT_TRUE(five["days"].is_array());
  EXPECT_EQ(five["days"].size(), 5u);
  for (const json& day : five["days"]) EXPECT_LT(day["low"], day["high"]);
  EXPECT_EQ(CallJson(forecast, {{"city", "Tokyo"}})["days"].size(), 3u);  // the default
  bool is_error = false;
  // minimum/maximum are not in the imported schema; the plugin refuses 9.
  json nine = CallJson(forecast, {{"city", "Tokyo"}, {"days", 9}}, &is_error);
  EXPECT_TRUE(is_error);
  EXPECT_EQ(nine["error"]["code"], "invalid_argument");
}

// The executable itself: flags, the "listening on" line, a real request, and
// a clean exit on SIGTERM.
TEST(WeatherPluginProcess, ServesUntilTerminated) {
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    close(out[1]);
    execl(WEATHER_PLUGIN_PATH, WEATHER_PLUGIN_PATH, "--port", "0", "--host", "127.0.0.1",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  FILE* stream = fdopen(out[0], "r");
  char line[256] = {};
  ASSERT_NE(fgets(line, sizeof(line), stream), nullptr);
  int port = 0;
  ASSERT_EQ(sscanf(line, "listening on 127.0.0.1:%d", &port), 1) << line;
  const std::string base = "http://127.0.0.1:" + std::to_string(port);

  ToolList tools = Import(base);
  auto get_weather = Find(tools, "get_weather");
  ASSERT_NE(get_weather, nullptr);
  EXPECT_EQ(CallJson(get_weather, {{"city", "Oslo"}}), *weather::CurrentWeather("Oslo", false));

  kill(pid, SIGTERM);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  fclose(stream);
}

}  // namespace
}  // namespace kiln::plugins
