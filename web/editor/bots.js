// Bots: the list (search, create, duplicate, delete) and a bot's page with
// three tabs: Build (configuration on the left, the preview chat on the
// right), Publish (versions, API examples, channels) and Conversations.
import {h, append, clear, replace, field, showFieldError, clearFieldErrors, toast,
        confirmDialog, formDialog, formatTime, debounce, avatar, notice, uid} from "./dom.js";
import * as api from "./api.js";
import {chatPanel} from "./chat.js";
import {publishTab} from "./publish.js";
import {conversationLog} from "./conversations.js";

// The fields of a bot's configuration (what PATCH takes and a version keeps).
export const CONFIG_KEYS = [
  "name", "description", "avatar_url", "persona", "model", "model_params", "opening_message",
  "suggested_questions", "variables", "knowledge_ids", "plugin_ids", "history_turns",
  "follow_up", "inject_current_time", "guard_prompt", "no_hit_reply", "max_tool_steps",
];

function configOf(bot) {
  const out = {};
  for (const k of CONFIG_KEYS) if (bot[k] !== undefined) out[k] = structuredClone(bot[k]);
  return out;
}

// ---------------------------------------------------------------- the list

export async function botList(main, _m, {go}) {
  document.title = "Bots · Kiln";
  const search = h("input", {type: "search", placeholder: "Search bots", "aria-label": "Search bots"});
  const grid = h("div", {class: "cards", "aria-live": "polite"});
  const more = h("button", {type: "button", hidden: true}, "Load more");
  let cursor = "";
  let query = "";

  async function load(reset) {
    if (reset) {
      cursor = "";
      replace(grid, notice("Loading…"));
    }
    const params = new URLSearchParams({limit: "24"});
    if (query) params.set("q", query);
    if (cursor) params.set("cursor", cursor);
    const page = await api.get(`/v1/bots?${params}`);
    if (reset) clear(grid);
    for (const bot of page.data) grid.append(card(bot));
    if (reset && page.data.length === 0) {
      grid.append(notice(query ? `No bot matches “${query}”.` : "No bots yet. Create your first one."));
    }
    cursor = page.next_cursor || "";
    more.hidden = !page.has_more;
  }

  function card(bot) {
    const el = h("article", {class: "card", dataset: {id: bot.id}},
      h("div", {class: "card-head"},
        avatar(bot.name, bot.avatar_url),
        h("a", {href: `#/bots/${bot.id}`}, bot.name),
        bot.published_version ? h("span", {class: "badge ok"}, `v${bot.published_version}`)
          : h("span", {class: "badge"}, "draft")),
      h("p", {class: "desc"}, bot.description || "No description"),
      h("div", {class: "small muted"}, `Edited ${formatTime(bot.updated_at)}`),
      h("div", {class: "actions"},
        h("button", {type: "button", class: "small", "aria-label": `Duplicate ${bot.name}`,
          on: {click: () => duplicate(bot)}}, "Duplicate"),
        h("button", {type: "button", class: "small danger", "aria-label": `Delete ${bot.name}`,
          on: {click: () => remove(bot, el)}}, "Delete")));
    return el;
  }

  async function create() {
    const name = h("input", {name: "name", required: true, maxlength: 100, autocomplete: "off"});
    const description = h("textarea", {name: "description", maxlength: 2000, rows: 3});
    const form = await formDialog("New bot", [field("Name", name), field("Description", description)]);
    if (!form) return;
    try {
      const bot = await api.post("/v1/bots", {name: form.get("name"), description: form.get("description")});
      go(`/bots/${bot.id}`);
    } catch (err) {
      toast(err.message, "error");
    }
  }

  async function duplicate(bot) {
    try {
      const full = await api.get(`/v1/bots/${bot.id}`);
      const config = configOf(full);
      config.name = `${full.name} (copy)`.slice(0, 100);
      const copy = await api.post("/v1/bots", config);
      toast(`Made “${copy.name}”`);
      await load(true);
    } catch (err) {
      toast(err.message, "error");
    }
  }

  async function remove(bot, el) {
    const ok = await confirmDialog(`Delete “${bot.name}”? Its versions and conversations go with it.`);
    if (!ok) return;
    try {
      await api.del(`/v1/bots/${bot.id}`);
      el.remove();
      toast(`Deleted “${bot.name}”`);
    } catch (err) {
      toast(err.message, "error");
    }
  }

  search.addEventListener("input", debounce(() => {
    query = search.value.trim();
    load(true).catch((err) => replace(grid, notice(err.message, "error")));
  }, 250));
  more.addEventListener("click", () => load(false).catch((err) => toast(err.message, "error")));

  replace(main,
    h("div", {class: "page-head"},
      h("h1", null, "Bots"),
      h("div", {class: "grow"}, search),
      h("button", {type: "button", class: "primary", on: {click: create}}, "Create bot")),
    grid, h("div", {class: "actions end"}, more));
  await load(true);
}

// ------------------------------------------------------------ the bot page

// The persona editor: a textarea over a backdrop that marks {{variables}}
// (dashed when the bot defines no such variable).
function personaEditor(value, variables, onInput) {
  const backdrop = h("div", {class: "backdrop", "aria-hidden": "true"});
  const textarea = h("textarea", {id: uid("persona"), spellcheck: "false", maxlength: 20000,
    placeholder: "Who the bot is, what it does, how it answers. Use {{variable}} for values set per user."});
  textarea.value = value || "";
  const used = h("div", {class: "persona-vars"});
  const VAR = /\{\{[ \t]*([A-Za-z_][A-Za-z0-9_]*)[ \t]*\}\}/g;

  function paint() {
    const known = new Set(variables().map((v) => v.name));
    const text = textarea.value;
    const parts = [];
    const names = new Set();
    let last = 0;
    let m;
    VAR.lastIndex = 0;
    while ((m = VAR.exec(text)) !== null) {
      parts.push(text.slice(last, m.index));
      parts.push(h("mark", {class: known.has(m[1]) ? null : "unknown"}, m[0]));
      names.add(m[1]);
      last = VAR.lastIndex;
    }
    parts.push(text.slice(last) + "\n");
    replace(backdrop, ...parts);
    backdrop.scrollTop = textarea.scrollTop;
    clear(used);
    if (names.size) {
      append(used, "Variables: ", [...names].map((n, i) => [i ? ", " : "",
        h("code", null, `{{${n}}}`), known.has(n) ? "" : " (not defined)"]));
    }
  }
  textarea.addEventListener("input", () => {
    paint();
    onInput(textarea.value);
  });
  textarea.addEventListener("scroll", () => { backdrop.scrollTop = textarea.scrollTop; });
  new ResizeObserver(() => { backdrop.scrollTop = textarea.scrollTop; }).observe(textarea);
  paint();
  return {el: h("div", null, h("div", {class: "persona-editor"}, backdrop, textarea), used), textarea, paint};
}

const PARAMS = [
  ["temperature", "Temperature", 0, 2, 0.05, "Higher is more varied; 0 always picks the likeliest token."],
  ["top_p", "Top P", 0.01, 1, 0.01, "Sample from the smallest set of tokens whose probability reaches this."],
  ["top_k", "Top K", 0, 200, 1, "Sample from this many likeliest tokens (0: all)."],
  ["max_tokens", "Max tokens", 1, 4096, 1, "The longest answer, in tokens."],
  ["presence_penalty", "Presence penalty", -2, 2, 0.1, ""],
  ["frequency_penalty", "Frequency penalty", -2, 2, 0.1, ""],
];

function section(title, body, {open = true, count} = {}) {
  return h("details", {class: "section", open},
    h("summary", null, title, count ? h("span", {class: "badge count"}, count) : null),
    h("div", {class: "body"}, body));
}

// The configuration form. `draft` is edited in place; `changed()` is called
// on every edit.
function configForm(draft, lists, changed) {
  const root = h("form", {class: "config-form", novalidate: true, on: {submit: (e) => e.preventDefault()}});
  const bind = (el, key, parse = (v) => v) => {
    el.value = draft[key] ?? "";
    el.addEventListener("input", () => {
      draft[key] = parse(el.value);
      changed();
    });
    return el;
  };

  // Profile
  const avatarPreview = h("span", null, avatar(draft.name, draft.avatar_url, "lg"));
  const avatarUrl = h("input", {type: "url", placeholder: "https://…/avatar.png", maxlength: 2048});
  bind(avatarUrl, "avatar_url");
  const name = bind(h("input", {required: true, maxlength: 100, autocomplete: "off"}), "name");
  const refreshAvatar = () => replace(avatarPreview, avatar(draft.name, /^https?:\/\//.test(draft.avatar_url || "") ? draft.avatar_url : "", "lg"));
  avatarUrl.addEventListener("input", refreshAvatar);
  name.addEventListener("input", refreshAvatar);
  const profile = [
    h("div", {class: "row"}, avatarPreview,
      h("div", {class: "grow"}, field("Name", name, {param: "name"}))),
    field("Avatar image URL", avatarUrl, {param: "avatar_url", hint: "An http(s) image; empty shows the first letter."}),
    field("Description", bind(h("textarea", {rows: 2, maxlength: 2000}), "description"),
      {param: "description", hint: "What the bot is for, shown in lists."}),
  ];

  // Persona
  const persona = personaEditor(draft.persona, () => draft.variables || [], (v) => {
    draft.persona = v;
    changed();
  });
  const personaField = field("Persona and instructions", persona.el, {param: "persona"});

  // Model
  const model = h("select", null);
  const names = lists.models.map((m) => m.id);
  if (draft.model && !names.includes(draft.model)) names.unshift(draft.model);
  for (const n of names) model.append(h("option", {value: n, selected: n === draft.model}, n));
  model.addEventListener("change", () => {
    draft.model = model.value;
    changed();
  });
  const params = PARAMS.map(([key, label, min, max, step, hint]) => {
    const id = uid("p");
    const range = h("input", {type: "range", min, max, step, "aria-hidden": "true", tabindex: "-1"});
    const number = h("input", {type: "number", id, min, max, step});
    const value = draft.model_params?.[key];
    range.value = value ?? "";
    number.value = value ?? "";
    const set = (v, from) => {
      const n = Number(v);
      if (v === "" || Number.isNaN(n)) return;
      draft.model_params = {...draft.model_params, [key]: n};
      if (from !== range) range.value = v;
      if (from !== number) number.value = v;
      changed();
    };
    range.addEventListener("input", () => set(range.value, range));
    number.addEventListener("input", () => set(number.value, number));
    const wrap = h("div", {class: "field", dataset: {param: `model_params.${key}`}},
      h("div", {class: "param-row"}, h("label", {for: id, title: hint}, label), range, number),
      h("div", {class: "field-error", role: "alert", hidden: true}));
    return wrap;
  });
  const history = bind(h("input", {type: "number", min: 0, max: 100, step: 1}), "history_turns", Number);

  // Opening
  const questions = listEditor(draft, "suggested_questions", changed, {max: 10, placeholder: "A question users can click", maxlength: 200});
  // Variables
  const variables = variablesEditor(draft, () => {
    persona.paint();
    changed();
  });
  // Knowledge and plugins
  const kbPicker = picker(draft, "knowledge_ids", lists.knowledge,
    (kb) => [kb.name, `${kb.document_count} documents · ${kb.chunk_count} chunks`], changed,
    "No knowledge bases yet.", "#/knowledge");
  const pluginPicker = picker(draft, "plugin_ids", lists.plugins,
    (p) => [p.name, `${p.kind} · ${(p.tools || []).map((t) => t.name).join(", ") || "no tools"}`], changed,
    "No plugins yet.", "#/plugins");
  const check = (key, label, hint) => {
    const box = h("input", {type: "checkbox", checked: Boolean(draft[key])});
    box.addEventListener("change", () => {
      draft[key] = box.checked;
      changed();
    });
    return h("div", {class: "field", dataset: {param: key}},
      h("label", {class: "check"}, box, label), hint ? h("div", {class: "hint"}, hint) : null,
      h("div", {class: "field-error", role: "alert", hidden: true}));
  };

  append(root,
    section("Profile", profile),
    section("Persona and instructions", personaField),
    section("Model", [field("Model", model, {param: "model"}), ...params,
      field("History turns", history, {param: "history_turns", hint: "How many earlier turns the bot sees."})]),
    section("Opening", [
      field("Opening message", bind(h("textarea", {rows: 3, maxlength: 2000}), "opening_message"),
        {param: "opening_message", hint: "Shown when a conversation starts; {{variables}} work here too."}),
      h("div", {class: "field", dataset: {param: "suggested_questions"}},
        h("label", null, "Suggested questions"), questions,
        h("div", {class: "field-error", role: "alert", hidden: true}))]),
    section("Variables", h("div", {class: "field", dataset: {param: "variables"}}, variables,
      h("div", {class: "field-error", role: "alert", hidden: true})), {open: (draft.variables || []).length > 0}),
    section("Knowledge", [
      h("div", {class: "field", dataset: {param: "knowledge_ids"}}, kbPicker,
        h("div", {class: "field-error", role: "alert", hidden: true})),
      field("Reply when nothing matches", bind(h("textarea", {rows: 2, maxlength: 2000}), "no_hit_reply"),
        {param: "no_hit_reply", hint: "Empty: the bot answers without knowledge."})]),
    section("Plugins", [
      h("div", {class: "field", dataset: {param: "plugin_ids"}}, pluginPicker,
        h("div", {class: "field-error", role: "alert", hidden: true})),
      field("Tool calls per turn", bind(h("input", {type: "number", min: 0, max: 10, step: 1}), "max_tool_steps", Number),
        {param: "max_tool_steps"})]),
    section("Behaviour", [
      check("follow_up", "Suggest follow-up questions after each answer"),
      check("inject_current_time", "Tell the bot the current date and time"),
      check("guard_prompt", "Refuse to reveal the instructions")], {open: false}));
  return root;
}

// An editable list of strings (suggested questions).
function listEditor(draft, key, changed, {max, placeholder, maxlength}) {
  const wrap = h("div", {class: "list-editor"});
  const add = h("button", {type: "button", class: "small"}, "Add question");
  function render() {
    clear(wrap);
    const items = draft[key] || [];
    items.forEach((value, i) => {
      const input = h("input", {value, placeholder, maxlength, "aria-label": `Suggested question ${i + 1}`});
      input.addEventListener("input", () => {
        draft[key][i] = input.value;
        changed();
      });
      const row = h("div", {class: "item field", dataset: {param: `${key}[${i}]`}},
        h("div", {class: "grow"}, input, h("div", {class: "field-error", role: "alert", hidden: true})),
        h("button", {type: "button", class: "icon danger", "aria-label": `Remove question ${i + 1}`,
          on: {click: () => {
            draft[key].splice(i, 1);
            changed();
            render();
          }}}, "✕"));
      wrap.append(row);
    });
    add.disabled = items.length >= max;
    wrap.append(add);
  }
  add.addEventListener("click", () => {
    draft[key] = [...(draft[key] || []), ""];
    changed();
    render();
    wrap.querySelector(".item:last-of-type input")?.focus();
  });
  render();
  return wrap;
}

function variablesEditor(draft, changed) {
  const wrap = h("div", {class: "list-editor"});
  const add = h("button", {type: "button", class: "small"}, "Add variable");
  function render() {
    clear(wrap);
    const vars = draft.variables || [];
    if (vars.length) {
      wrap.append(h("div", {class: "var-row small muted", "aria-hidden": "true"},
        h("span", null, "Name"), h("span", null, "Default"), h("span", null, "Description"), h("span")));
    }
    vars.forEach((v, i) => {
      const cell = (prop, label, attrs) => {
        const input = h("input", {...attrs, value: v[prop] ?? ""});
        input.addEventListener("input", () => {
          draft.variables[i] = {...draft.variables[i], [prop]: input.value};
          changed();
        });
        return field(`${label} of variable ${i + 1}`, input, {param: `variables[${i}].${prop}`, hideLabel: true});
      };
      wrap.append(h("div", {class: "var-row field", dataset: {param: `variables[${i}]`}},
        cell("name", "Name", {maxlength: 64, placeholder: "user_name", spellcheck: "false"}),
        cell("default", "Default", {maxlength: 2000}),
        cell("description", "Description", {maxlength: 500}),
        h("button", {type: "button", class: "icon danger", "aria-label": `Remove variable ${i + 1}`,
          on: {click: () => {
            draft.variables.splice(i, 1);
            changed();
            render();
          }}}, "✕"),
        h("div", {class: "field-error", role: "alert", hidden: true})));
    });
    add.disabled = vars.length >= 50;
    wrap.append(h("div", {class: "hint"}, "Values per user: the request's, then the bot's memory of them, then the default."), add);
  }
  add.addEventListener("click", () => {
    draft.variables = [...(draft.variables || []), {name: "", default: "", description: ""}];
    changed();
    render();
    wrap.querySelector(".var-row:last-of-type input")?.focus();
  });
  render();
  return wrap;
}

// Checkboxes over a list of things (knowledge bases, plugins).
function picker(draft, key, items, describe, changed, empty, manageHref) {
  const wrap = h("div", {class: "picker", role: "group"});
  const selected = new Set(draft[key] || []);
  const known = new Set(items.map((x) => x.id));
  for (const item of items) {
    const [title, sub] = describe(item);
    const box = h("input", {type: "checkbox", value: item.id, checked: selected.has(item.id)});
    box.addEventListener("change", () => {
      const now = new Set(draft[key] || []);
      if (box.checked) now.add(item.id);
      else now.delete(item.id);
      draft[key] = [...now];
      changed();
    });
    wrap.append(h("label", null, box, h("span", null, title, h("div", {class: "sub"}, sub))));
  }
  for (const id of selected) {
    if (!known.has(id)) wrap.append(h("div", {class: "small muted"}, `${id} (no longer exists)`));
  }
  if (!items.length) wrap.append(h("div", {class: "muted small"}, empty));
  wrap.append(h("a", {class: "small", href: manageHref}, "Manage…"));
  return wrap;
}

export async function botPage(main, m, {go}) {
  const id = m[1];
  main.classList.add("full");
  replace(main, notice("Loading…"));
  const [bot, models, knowledge, plugins] = await Promise.all([
    api.get(`/v1/bots/${encodeURIComponent(id)}`),
    api.get("/v1/models").then((r) => r.data.filter((x) => (x.type || "chat") === "chat")).catch(() => []),
    api.listAll("/v1/knowledge").catch(() => []),
    api.listAll("/v1/plugins").catch(() => []),
  ]);
  let current = bot;               // the bot as saved
  let draft = configOf(bot);       // being edited
  let saved = JSON.stringify(draft);
  let saving = false;

  const title = h("h1", null, bot.name);
  const unsaved = h("span", {class: "unsaved", hidden: true, role: "status"}, "● Unsaved changes");
  const version = h("span", {class: "badge"});
  const save = h("button", {type: "button", class: "primary", disabled: true, title: "Save (Ctrl+S)"}, "Save");
  const tabLink = (name, label) => h("a", {href: `#/bots/${id}${name === "build" ? "" : "/" + name}`, dataset: {tab: name}}, label);
  const tabs = h("nav", {class: "tabs", "aria-label": "Bot"},
    tabLink("build", "Build"), tabLink("publish", "Publish"), tabLink("log", "Conversations"));
  const head = h("div", {class: "bot-head"},
    h("a", {href: "#/bots", class: "small", "aria-label": "Back to bots"}, "← Bots"),
    h("div", {class: "title"}, h("span", {class: "head-avatar"}, avatar(bot.name, bot.avatar_url, "sm")), title, version, unsaved),
    tabs, save);
  const body = h("div", {class: "bot-body"});
  replace(main, head, body);

  const dirty = () => JSON.stringify(draft) !== saved;
  const showVersion = () => {
    version.textContent = current.published_version ? `published v${current.published_version}` : "not published";
    version.className = current.published_version ? "badge ok" : "badge";
  };
  showVersion();

  let form = null;
  let chat = null;
  const configColumn = h("div", {class: "config", role: "region", "aria-label": "Configuration"});
  function renderForm() {
    const top = configColumn.scrollTop;
    form = configForm(draft, {models, knowledge, plugins}, changed);
    replace(configColumn, form);
    configColumn.scrollTop = top;
  }
  const changed = () => {
    const d = dirty();
    unsaved.hidden = !d;
    save.disabled = !d || saving;
    chat?.setDirty(d);
    title.textContent = draft.name || "Untitled";
    document.title = `${d ? "• " : ""}${draft.name || "Bot"} · Kiln`;
  };

  async function doSave() {
    if (!dirty() || saving) return true;
    saving = true;
    save.disabled = true;
    save.textContent = "Saving…";
    if (form) clearFieldErrors(form);
    try {
      const sent = JSON.stringify(draft);
      const cleaned = JSON.parse(sent);
      cleaned.suggested_questions = (cleaned.suggested_questions || []).filter((q) => q.trim() !== "");
      current = await api.patch(`/v1/bots/${encodeURIComponent(id)}`, cleaned);
      const fresh = configOf(current);
      saved = JSON.stringify(fresh);
      // Edits made while saving stay unsaved; otherwise the draft becomes
      // what the server kept (empty questions dropped, key order), and the
      // form shows it. The form edits `draft` in place, so it is refilled.
      if (JSON.stringify(draft) === sent) {
        for (const k of Object.keys(draft)) delete draft[k];
        Object.assign(draft, fresh);
        if (saved !== sent) renderForm();
      }
      toast("Saved");
      chat?.refresh();
      return true;
    } catch (err) {
      if (!(form && err.param && showFieldError(form, err.param, err.message))) toast(err.message, "error");
      return false;
    } finally {
      saving = false;
      save.textContent = "Save";
      changed();
    }
  }
  save.addEventListener("click", doSave);
  const onKey = (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key === "s") {
      e.preventDefault();
      doSave();
    }
  };
  document.addEventListener("keydown", onKey);

  function show(tab) {
    for (const a of tabs.querySelectorAll("a")) {
      a.setAttribute("aria-current", a.dataset.tab === tab ? "page" : "false");
    }
    chat?.stop();
    chat = null;
    if (tab === "build") {
      chat = chatPanel({botId: id, bot: () => draft, dirty, save: doSave});
      replace(body, h("div", {class: "builder"}, configColumn, h("div", {class: "preview"}, chat.el)));
      renderForm();
    } else if (tab === "publish") {
      form = null;
      replace(body, h("div", {class: "page-body"},
        publishTab(id, dirty, doSave, (bot) => {
          current = {...current, ...bot};
          showVersion();
        })));
    } else {
      form = null;
      replace(body, h("div", {class: "page-body"}, conversationLog(id, () => current)));
    }
    changed();
  }
  const tabOf = (p) => {
    const r = new RegExp(`^/bots/${id}(?:/(publish|log|build))?$`).exec(p);
    return r ? (r[1] || "build") : null;
  };
  show(m[2] || "build");

  return {
    dirty,
    handles: (p) => tabOf(p) !== null,
    show: (p) => show(tabOf(p)),
    destroy() {
      chat?.stop();
      document.removeEventListener("keydown", onKey);
    },
  };
}
