#include "web/channels/channel.h"

#include "web/channels/webhook.h"

namespace kiln::web::channels {

const Platform* PlatformFor(std::string_view type) {
  static const WebhookPlatform webhook;
  if (type == "webhook") return &webhook;
  return nullptr;
}

}  // namespace kiln::web::channels
