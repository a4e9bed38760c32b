// Kiln's own signed webhook: any system can talk to a bot over plain HTTPS.
//
// Inbound, POST /hooks/{id} with a JSON body
//   {"event_id": "...", "user": {"id": "...", "name"?: "..."}, "text": "...",
//    "conversation"?: "..."}
// and two headers:
//   X-Kiln-Timestamp: unix seconds, within 300 s of the server's clock
//   X-Kiln-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>
// The answer goes to the channel's callback_url as a POST with the same two
// headers (signed with the same secret, so the receiver can check it) and
//   {"event_id", "user_id", "conversation", "text"}.
#pragma once

#include "web/channels/channel.h"

namespace kiln::web::channels {

inline constexpr int64_t kWebhookWindowSeconds = 300;

// The X-Kiln-Signature value for a timestamp and body.
std::string WebhookSignature(std::string_view secret, std::string_view timestamp,
                             std::string_view body);

class WebhookPlatform final : public Platform {
 public:
  Result<Received> Receive(const Request& request, const nlohmann::json& secrets,
                           int64_t now) const override;
  Result<std::vector<Outbound>> Reply(const InboundMessage& message, std::string_view text,
                                      const nlohmann::json& secrets, std::string_view api_base_url,
                                      int64_t now) const override;
};

}  // namespace kiln::web::channels
