// A bot's Publish tab: publish the draft as a version with a note, the
// version list, how to call the bot from an app (curl, the OpenAI client),
// and its chat-app channels where the server has them.
import {h, append, clear, replace, field, toast, formatTime, copyText, notice, confirmDialog,
        showFieldError, clearFieldErrors} from "./dom.js";
import * as api from "./api.js";

function snippet(label, text) {
  const pre = h("pre", null, h("code", null, text));
  return h("div", {class: "snippet"},
    h("div", {class: "small muted"}, label),
    pre,
    h("button", {type: "button", class: "small", "aria-label": `Copy ${label}`,
      on: {click: () => copyText(text, pre)}}, "Copy"));
}

export function examples(id) {
  const base = window.location.origin;
  const curl = [
    `curl -N ${base}/v1/bots/${id}/chat \\`,
    `  -H "Authorization: Bearer $KILN_API_KEY" \\`,
    `  -H "Content-Type: application/json" \\`,
    `  -d '{"message": "Hello!", "user": "user-42", "stream": true}'`,
  ].join("\n");
  const python = [
    "from openai import OpenAI",
    "",
    `client = OpenAI(base_url="${base}/v1", api_key=os.environ["KILN_API_KEY"])`,
    "stream = client.chat.completions.create(",
    `    model="bot:${id}",`,
    `    messages=[{"role": "user", "content": "Hello!"}],`,
    "    stream=True,",
    ")",
    "for chunk in stream:",
    "    print(chunk.choices[0].delta.content or \"\", end=\"\")",
  ].join("\n");
  return {curl, python: "import os\n" + python};
}

// The credential fields of each channel type (all write-only).
export const CHANNEL_TYPES = {
  telegram: ["bot_token", "secret_token", "bot_username"],
  slack: ["bot_token", "signing_secret"],
  discord: ["public_key", "application_id", "bot_token"],
  feishu: ["app_id", "app_secret", "verification_token", "encrypt_key"],
  line: ["channel_secret", "channel_access_token"],
  wecom: ["corp_id", "agent_id", "secret", "token", "encoding_aes_key"],
  webhook: ["secret", "callback_url"],
};
const NOT_SECRET = new Set(["application_id", "app_id", "corp_id", "agent_id", "callback_url",
  "bot_username"]);

function channelsPanel(id) {
  const panel = h("section", {class: "panel", "aria-label": "Channels"}, h("h2", null, "Channels"));
  const list = h("div", null, notice("Loading…"));
  panel.append(list);

  async function load() {
    let page;
    try {
      page = await api.get(`/v1/bots/${encodeURIComponent(id)}/channels`);
    } catch (err) {
      if (err.status === 404 && !err.param) {
        replace(list, notice("Chat-app channels (Telegram, Slack, Discord, Feishu, LINE, WeCom, webhooks) are not available on this server."));
        return;
      }
      replace(list, notice(err.message, "error"));
      return;
    }
    clear(list);
    const rows = page.data || [];
    if (!rows.length) list.append(h("p", {class: "muted"}, "Not published to any chat app yet."));
    for (const c of rows) {
      const url = h("code", null, c.webhook_url || "");
      list.append(h("div", {class: "tool", dataset: {channel: c.id}},
        h("div", {class: "row"},
          h("h3", {class: "grow"}, c.type),
          h("span", {class: c.enabled ? "badge ok" : "badge"}, c.enabled ? "enabled" : "disabled"),
          h("button", {type: "button", class: "small", on: {click: async () => {
            try {
              await api.patch(`/v1/channels/${c.id}`, {enabled: !c.enabled});
              load();
            } catch (err) { toast(err.message, "error"); }
          }}}, c.enabled ? "Disable" : "Enable"),
          h("button", {type: "button", class: "small danger", on: {click: async () => {
            if (!(await confirmDialog(`Remove the ${c.type} channel?`))) return;
            try {
              await api.del(`/v1/channels/${c.id}`);
              load();
            } catch (err) { toast(err.message, "error"); }
          }}}, "Remove")),
        h("div", {class: "small"}, "Webhook URL: ", url, " ",
          h("button", {type: "button", class: "small", on: {click: () => copyText(c.webhook_url, url)}}, "Copy"))));
    }
    list.append(addForm());
  }

  function addForm() {
    const type = h("select", null, Object.keys(CHANNEL_TYPES).map((t) => h("option", {value: t}, t)));
    const fields = h("div", {class: "grid-2"});
    const base = h("input", {type: "url", placeholder: "the platform's own API"});
    const form = h("form", {class: "channel-form", novalidate: true});
    const renderFields = () => {
      clear(fields);
      for (const key of CHANNEL_TYPES[type.value]) {
        fields.append(field(key, h("input", {name: key, autocomplete: "off", spellcheck: "false",
          type: NOT_SECRET.has(key) ? "text" : "password"}), {param: `config.${key}`}));
      }
    };
    type.addEventListener("change", renderFields);
    renderFields();
    append(form, h("h3", null, "Add a channel"), field("Chat app", type, {param: "type"}), fields,
      field("API base URL (optional)", base, {param: "api_base_url"}),
      h("div", {class: "actions end"}, h("button", {type: "submit", class: "primary"}, "Add channel")));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      clearFieldErrors(form);
      const config = {};
      for (const input of fields.querySelectorAll("input")) if (input.value) config[input.name] = input.value;
      const body = {type: type.value, config, enabled: true};
      if (base.value) body.api_base_url = base.value;
      try {
        await api.post(`/v1/bots/${encodeURIComponent(id)}/channels`, body);
        toast("Channel added");
        load();
      } catch (err) {
        if (!showFieldError(form, err.param, err.message)) toast(err.message, "error");
      }
    });
    return form;
  }

  load();
  return panel;
}

export function publishTab(id, dirty, save, onPublished) {
  const note = h("input", {maxlength: 500, placeholder: "What changed in this version"});
  const publish = h("button", {type: "submit", class: "primary"}, "Publish");
  const warning = h("p", {class: "chat-note", hidden: !dirty()},
    "You have unsaved changes: publishing saves them first.");
  const versions = h("div", null, notice("Loading…"));

  async function loadVersions() {
    try {
      const rows = await api.listAll(`/v1/bots/${encodeURIComponent(id)}/versions`, {max: 200});
      if (!rows.length) {
        replace(versions, h("p", {class: "muted"}, "No version yet: the bot answers only in the preview until it is published."));
        return;
      }
      rows.sort((a, b) => b.version - a.version);
      replace(versions, h("table", {class: "data versions"},
        h("thead", null, h("tr", null, h("th", null, "Version"), h("th", null, "Note"), h("th", null, "Published"), h("th", null, "Configuration"))),
        h("tbody", null, rows.map((v) => h("tr", {dataset: {version: String(v.version)}},
          h("td", null, `v${v.version}`), h("td", null, v.note || h("span", {class: "muted"}, "—")),
          h("td", null, formatTime(v.created_at)),
          h("td", null, h("details", null, h("summary", null, "Show"),
            h("pre", {class: "output"}, JSON.stringify(v.config, null, 2)))))))));
    } catch (err) {
      replace(versions, notice(err.message, "error"));
    }
  }

  const form = h("form", {class: "panel", on: {submit: async (e) => {
    e.preventDefault();
    publish.disabled = true;
    try {
      if (dirty() && !(await save())) return;
      warning.hidden = true;
      const v = await api.post(`/v1/bots/${encodeURIComponent(id)}/publish`, note.value ? {note: note.value} : {});
      note.value = "";
      onPublished({published_version: v.version});
      toast(`Published version ${v.version}`);
      loadVersions();
    } catch (err) {
      toast(err.message, "error");
    } finally {
      publish.disabled = false;
    }
  }}},
    h("h2", null, "Publish"),
    h("p", {class: "muted"}, "Publishing freezes the draft as the next version. Apps, the API and chat-app channels answer with the latest version; the preview keeps using the draft."),
    warning,
    h("div", {class: "row"}, h("div", {class: "grow"}, field("Version note", note, {param: "note"})), publish));

  const ex = examples(id);
  const root = h("div", null,
    form,
    h("section", {class: "panel", "aria-label": "Versions"}, h("h2", null, "Versions"), versions),
    h("section", {class: "panel", "aria-label": "API"}, h("h2", null, "Call it from your app"),
      h("p", {class: "muted"}, "With an API key of this workspace in KILN_API_KEY. Both answer with the published version."),
      snippet("curl (Server-Sent Events)", ex.curl),
      snippet("Python, OpenAI client", ex.python)),
    channelsPanel(id));
  loadVersions();
  return root;
}
