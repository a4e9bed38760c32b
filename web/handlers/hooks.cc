// Inbound webhooks of chat-app channels: POST /hooks/{cid}, public (the
// platform proves itself with its signature, checked by the channel's
// Platform over the raw body before anything is parsed; the body cap is the
// route's, checked before any of that). A new message is handed to the
// Dispatcher and acknowledged at once; a retried or replayed event is
// answered 200 and not processed again.
#include "web/channels/channel.h"
#include "web/channels/dispatcher.h"
#include "web/handlers/handlers.h"

namespace kiln::web {
namespace {

using json = nlohmann::json;

constexpr size_t kHookBodyLimit = 1 << 20;

}  // namespace

void AddHookRoutes(Router& router, storage::Store* store, channels::Dispatcher* dispatcher) {
  Route hook = NewRoute("POST", "/hooks/{cid}", "channelWebhook",
                        "A chat app's delivery to a channel (signed by the platform)", "channels",
                        Access::kPublic);
  hook.body_limit = kHookBodyLimit;
  hook.path_params = {IdParam("cid", "The channel's id.")};
  hook.responses = {
      {200, "Acknowledged (a duplicate, or a platform's check answered).", {{"type", "object"}}},
      {202, "Taken: the bot answers through the platform's API.", {{"type", "object"}}}};
  hook.errors = {401, 409, 503};
  const HandlerFn handle = [store, dispatcher](RequestContext& ctx) -> Result<Response> {
    KILN_ASSIGN_OR_RETURN(storage::Channel channel, store->channels().Find(ctx.PathParam("cid")));
    if (!channel.enabled) return NotFound("channel " + channel.id + " is disabled");
    const channels::Platform* platform = channels::PlatformFor(channel.type);
    if (platform == nullptr) {
      return FailedPrecondition("the " + channel.type + " channel's webhook is not available yet");
    }
    if (dispatcher == nullptr) return Unavailable("channels need the agent (no models)");
    const json secrets = json::parse(channel.secrets, nullptr, false);
    KILN_ASSIGN_OR_RETURN(channels::Received received,
                          platform->receive(ctx.request, secrets, UnixSeconds()));
    bool any_fresh = false;
    const std::string first_event = received.messages.empty() ? "" : received.messages[0].event_id;
    for (channels::InboundMessage& message : received.messages) {
      KILN_ASSIGN_OR_RETURN(bool fresh, dispatcher->Take(channel, *platform, std::move(message)));
      any_fresh = any_fresh || fresh;
    }
    if (!received.messages.empty() && !any_fresh) {
      // Every event was taken before: a retry or a replay, acknowledged.
      return JsonResponse(200, {{"duplicate", true}, {"event_id", first_event}});
    }
    Response res;
    res.status = received.status;
    res.content_type = received.content_type;
    res.body = std::move(received.body);
    return res;
  };
  hook.handler = handle;
  router.Add(std::move(hook));

  // WeCom checks the URL with a signed GET.
  Route check = NewRoute("GET", "/hooks/{cid}", "channelWebhookCheck",
                         "A chat app's check of the webhook URL (signed by the platform)",
                         "channels", Access::kPublic);
  check.path_params = {IdParam("cid", "The channel's id.")};
  check.content_type = "text/plain";
  check.responses = {{200, "The platform's check answered.", {{"type", "string"}}}};
  check.errors = {401, 409, 503};
  check.handler = handle;
  router.Add(std::move(check));
}

}  // namespace kiln::web
