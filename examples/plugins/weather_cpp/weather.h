// The weather example plugin: made-up but deterministic weather for a fixed
// list of cities (the same city always gets the same answer), served through
// the Kiln plugin SDK. Pure functions plus route registration; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "kiln_plugin.h"

namespace weather {

// Current weather: {"city", "country", "unit", "temperature", "condition",
// "humidity", "wind_kph"}; nullopt for a city not on the list (or empty).
// `fahrenheit` converts the temperature.
std::optional<nlohmann::json> CurrentWeather(std::string_view city, bool fahrenheit);

// `days` (1-7) of forecast: {"city", "country", "unit", "days": [{"day",
// "high", "low", "condition"}, ...]}; nullopt for an unknown city.
std::optional<nlohmann::json> Forecast(std::string_view city, int days, bool fahrenheit);

// GET /weather?city=&unit= (operationId get_weather) and
// GET /forecast?city=&days=&unit= (operationId get_forecast).
void AddRoutes(kiln::plugins::sdk::Server& server);

}  // namespace weather
