// A bot's conversation log: every conversation (preview, API, channels),
// newest first, and a chosen one's messages with their traces.
import {h, replace, toast, formatTime, notice, confirmDialog} from "./dom.js";
import * as api from "./api.js";
import {storedMessage} from "./chat.js";

export function conversationLog(botId, bot) {
  const list = h("div", {class: "conv-list", role: "list"}, notice("Loading…"));
  const view = h("div", {class: "messages", role: "log", "aria-label": "Messages"},
    notice("Choose a conversation."));
  const more = h("button", {type: "button", class: "small", hidden: true}, "Load more");
  let cursor = "";
  let selected = null;

  async function load(reset) {
    const params = new URLSearchParams({bot_id: botId, limit: "50"});
    if (!reset && cursor) params.set("cursor", cursor);
    try {
      const page = await api.get(`/v1/conversations?${params}`);
      if (reset) list.replaceChildren();
      for (const c of page.data) list.append(item(c));
      if (reset && !page.data.length) list.append(notice("No conversations yet."));
      cursor = page.next_cursor || "";
      more.hidden = !page.has_more;
    } catch (err) {
      replace(list, notice(err.message, "error"));
    }
  }

  function item(c) {
    const button = h("button", {type: "button", role: "listitem", dataset: {id: c.id}, on: {click: () => open(c, button)}},
      h("span", null, c.title || h("span", {class: "muted"}, "(no messages)")),
      h("span", {class: "when"},
        `${formatTime(c.updated_at)} · ${c.message_count} messages · ${c.source}${c.draft ? " (draft)" : ""}`),
      h("span", {class: "when"}, c.user));
    return button;
  }

  async function open(c, button) {
    for (const b of list.querySelectorAll("[aria-current]")) b.removeAttribute("aria-current");
    button.setAttribute("aria-current", "true");
    selected = c;
    replace(view, notice("Loading…"));
    try {
      const messages = await api.listAll(`/v1/conversations/${encodeURIComponent(c.id)}/messages`, {max: 1000});
      if (selected !== c) return;
      const del = h("button", {type: "button", class: "small danger", on: {click: async () => {
        if (!(await confirmDialog("Delete this conversation and its messages?"))) return;
        try {
          await api.del(`/v1/conversations/${encodeURIComponent(c.id)}`);
          button.remove();
          replace(view, notice("Deleted."));
        } catch (err) {
          toast(err.message, "error");
        }
      }}}, "Delete conversation");
      replace(view,
        h("div", {class: "row"}, h("span", {class: "grow small muted"}, `Started ${formatTime(c.created_at)}`), del),
        messages.length ? messages.map((m) => storedMessage(m, bot())) : notice("No messages."));
    } catch (err) {
      replace(view, notice(err.message, "error"));
    }
  }

  more.addEventListener("click", () => load(false));
  load(true);
  return h("div", {class: "log"},
    h("div", null, h("h2", null, "Conversations"), list, more),
    h("div", null, h("h2", null, "Messages"), view));
}
