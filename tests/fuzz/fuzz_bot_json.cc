// The bot config codec on arbitrary JSON: never throws, and what it accepts
// survives a round trip unchanged.
#include <cstddef>
#include <cstdint>

#include "storage/bot_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto doc = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return 0;
  auto config = kiln::storage::BotConfigFromJson(doc);
  if (!config.ok()) return 0;
  auto again = kiln::storage::BotConfigFromJson(kiln::storage::BotConfigToJson(*config));
  if (!again.ok() || !(*again == *config)) __builtin_trap();
  return 0;
}
