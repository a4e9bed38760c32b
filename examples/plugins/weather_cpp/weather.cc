// Made-up weather: a hash of the city's name picks the numbers, so answers
// are stable across runs and machines (what a test or a demo needs).
#include "weather.h"

#include <cmath>
#include <cstdint>
#include <string>

namespace weather {
namespace {

namespace sdk = kiln::plugins::sdk;
using nlohmann::json;

struct City {
  const char* name;
  const char* country;
  double mean_c;  // a rough yearly mean, so that Cairo is warmer than Oslo
};

constexpr City kCities[] = {
    {"Amsterdam", "NL", 10.5}, {"Berlin", "DE", 10.0},    {"Buenos Aires", "AR", 18.0},
    {"Cairo", "EG", 22.5},     {"Cape Town", "ZA", 17.0}, {"Lagos", "NG", 27.0},
    {"London", "GB", 11.5},    {"Madrid", "ES", 15.0},    {"Mumbai", "IN", 27.5},
    {"Nairobi", "KE", 19.0},   {"New York", "US", 13.0},  {"Oslo", "NO", 6.0},
    {"Paris", "FR", 12.5},     {"Reykjavik", "IS", 5.0},  {"San Francisco", "US", 14.5},
    {"Sao Paulo", "BR", 19.5}, {"Singapore", "SG", 27.5}, {"Sydney", "AU", 18.0},
    {"Tokyo", "JP", 16.0},     {"Toronto", "CA", 9.0},
};

constexpr const char* kConditions[] = {"sunny", "partly cloudy", "cloudy",
                                       "rainy", "windy",         "foggy"};

std::string Fold(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  std::string out(s);
  for (char& c : out) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  return out;
}

const City* FindCity(std::string_view name) {
  const std::string folded = Fold(name);
  if (folded.empty()) return nullptr;
  for (const City& city : kCities) {
    if (Fold(city.name) == folded) return &city;
  }
  return nullptr;
}

uint64_t Hash(std::string_view text, uint64_t salt) {
  uint64_t h = 1469598103934665603ull ^ salt;  // FNV-1a
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

double Round1(double v) { return std::round(v * 10) / 10; }

double Temperature(double celsius, bool fahrenheit) {
  return Round1(fahrenheit ? celsius * 9 / 5 + 32 : celsius);
}

json Header(const City& city, bool fahrenheit) {
  return {{"city", city.name},
          {"country", city.country},
          {"unit", fahrenheit ? "fahrenheit" : "celsius"}};
}

sdk::Response UnknownCity(const sdk::Request& request) {
  const std::string city = request.Query("city");
  return sdk::Response::Error(
      404, "not_found",
      city.empty() ? "no city given" : "unknown city \"" + city.substr(0, 100) + "\"");
}

sdk::Param UnitParam() {
  return sdk::QueryParam("unit", {{"type", "string"}, {"enum", {"celsius", "fahrenheit"}}},
                         "Temperature unit (default celsius)");
}

}  // namespace

std::optional<json> CurrentWeather(std::string_view name, bool fahrenheit) {
  const City* city = FindCity(name);
  if (city == nullptr) return std::nullopt;
  const uint64_t h = Hash(city->name, 0);
  json out = Header(*city, fahrenheit);
  out["temperature"] =
      Temperature(city->mean_c + static_cast<double>(h % 100) / 10 - 5, fahrenheit);
  out["condition"] = kConditions[(h >> 8) % std::size(kConditions)];
  out["humidity"] = 30 + static_cast<int>((h >> 16) % 60);
  out["wind_kph"] = static_cast<int>((h >> 24) % 40);
  return out;
}

std::optional<json> Forecast(std::string_view name, int days, bool fahrenheit) {
  const City* city = FindCity(name);
  if (city == nullptr || days < 1 || days > 7) return std::nullopt;
  json out = Header(*city, fahrenheit);
  out["days"] = json::array();
  for (int day = 1; day <= days; ++day) {
    const uint64_t h = Hash(city->name, static_cast<uint64_t>(day));
    const double high = city->mean_c + static_cast<double>(h % 80) / 10 - 2;
    const double low = high - 3 - static_cast<double>((h >> 8) % 60) / 10;
    out["days"].push_back({{"day", day},
                           {"high", Temperature(high, fahrenheit)},
                           {"low", Temperature(low, fahrenheit)},
                           {"condition", kConditions[(h >> 16) % std::size(kConditions)]}});
  }
  return out;
}

void AddRoutes(sdk::Server& server) {
  const json city_schema = {{"type", "string"}, {"maxLength", 100}};
  server.Get("/weather",
             {.operation_id = "get_weather",
              .summary = "Current weather for a city",
              .params = {sdk::QueryParam("city", city_schema, "City name, such as Paris", true),
                         UnitParam()},
              .response = {{"type", "object"},
                           {"properties",
                            {{"city", {{"type", "string"}}},
                             {"temperature", {{"type", "number"}}},
                             {"condition", {{"type", "string"}}}}}}},
             [](const sdk::Request& request) {
               auto weather =
                   CurrentWeather(request.Query("city"), request.Query("unit") == "fahrenheit");
               return weather ? sdk::Response::Json(*weather) : UnknownCity(request);
             });
  server.Get(
      "/forecast",
      {.operation_id = "get_forecast",
       .summary = "Forecast for the next days in a city",
       .params = {sdk::QueryParam("city", city_schema, "City name, such as Paris", true),
                  sdk::QueryParam("days", {{"type", "integer"}, {"minimum", 1}, {"maximum", 7}},
                                  "How many days, 1 to 7 (default 3)"),
                  UnitParam()}},
      [](const sdk::Request& request) {
        const int days = request.params.value("days", 3);
        auto forecast =
            Forecast(request.Query("city"), days, request.Query("unit") == "fahrenheit");
        return forecast ? sdk::Response::Json(*forecast) : UnknownCity(request);
      });
}

}  // namespace weather
