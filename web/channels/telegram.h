// Telegram (Bot API webhooks; ../shared/specs/channels.md section 1).
// Inbound: the X-Telegram-Bot-Api-Secret-Token header must equal the
// channel's secret_token (Telegram signs nothing else); one Update per
// request, deduplicated on update_id. Private chats are answered; groups only
// when the bot is mentioned (config bot_username, or any @mention when it is
// not set) or replied to. Outbound: sendMessage, the answer cut at 4096
// characters, the first piece as a reply to the user's message.
#pragma once

#include "web/channels/channel.h"

namespace kiln::web::channels {

inline constexpr size_t kTelegramMaxChars = 4096;

class TelegramPlatform final : public Platform {
 public:
  Result<Received> Receive(const Request& request, const nlohmann::json& secrets,
                           int64_t now) const override;
  Result<std::vector<Outbound>> Reply(const InboundMessage& message, std::string_view text,
                                      const nlohmann::json& secrets, std::string_view api_base_url,
                                      int64_t now) const override;
};

}  // namespace kiln::web::channels
