// Plugins: the list, adding one (an OpenAPI document pasted or uploaded, an
// MCP server, Kiln's built-in tools), credentials (write-only: the server
// never returns them, so the fields are always empty), and each tool with a
// form generated from its JSON schema to try it.
import {h, append, clear, replace, field, toast, confirmDialog, formatTime, notice,
        showFieldError, clearFieldErrors} from "./dom.js";
import * as api from "./api.js";

const BUILTIN_TOOLS = [
  ["calculator", "Evaluates arithmetic exactly (+ − × ÷, powers, functions)."],
  ["current_time", "The date and time in any IANA time zone."],
  ["http_request", "Fetches a public URL (through the server's outbound guard)."],
];

export async function pluginList(main, _m, {go}) {
  document.title = "Plugins · Kiln";
  const grid = h("div", {class: "cards"}, notice("Loading…"));
  const plugins = await api.listAll("/v1/plugins");
  clear(grid);
  if (!plugins.length) grid.append(notice("No plugins yet. Add an OpenAPI service, an MCP server or built-in tools."));
  for (const p of plugins) {
    const card = h("article", {class: "card", dataset: {id: p.id}},
      h("div", {class: "card-head"}, h("a", {href: `#/plugins/${p.id}`}, p.name), h("span", {class: "badge"}, p.kind)),
      h("p", {class: "desc"}, p.description || (p.tools || []).map((t) => t.name).join(", ") || "No tools"),
      h("div", {class: "small muted"}, `${(p.tools || []).length} tools`,
        p.auth?.configured ? ` · credentials: ${p.auth.type}` : ""),
      h("div", {class: "actions"},
        h("button", {type: "button", class: "small danger", "aria-label": `Delete ${p.name}`, on: {click: async () => {
          if (!(await confirmDialog(`Delete the plugin “${p.name}”? Bots using it lose its tools.`))) return;
          try {
            await api.del(`/v1/plugins/${p.id}`);
            card.remove();
          } catch (err) { toast(err.message, "error"); }
        }}}, "Delete")));
    grid.append(card);
  }
  replace(main,
    h("div", {class: "page-head"}, h("h1", null, "Plugins"),
      h("button", {type: "button", class: "primary", on: {click: () => go("/plugins/new")}}, "Add plugin")),
    grid);
}

// ---- credentials

// Fields for an auth object; returns {el, value() -> auth object or null}.
function authFields(kind) {
  const types = kind === "mcp" ? [["none", "None"], ["bearer", "Bearer token"]]
    : [["none", "None"], ["api_key", "API key"], ["bearer", "Bearer token"], ["basic", "Basic (user and password)"]];
  const type = h("select", {name: "auth_type"}, types.map(([v, l]) => h("option", {value: v}, l)));
  const secret = (name, label) => field(label, h("input", {type: "password", name, autocomplete: "new-password", spellcheck: "false"}), {param: `auth.${name}`});
  const where = h("select", {name: "in"}, h("option", {value: "header"}, "header"), h("option", {value: "query"}, "query parameter"));
  const keyName = h("input", {name: "name", placeholder: "X-Api-Key", spellcheck: "false"});
  const groups = {
    api_key: h("div", null, h("div", {class: "grid-2"}, field("Sent in", where, {param: "auth.in"}),
      field("Name", keyName, {param: "auth.name"})), secret("key", "Key")),
    bearer: h("div", null, secret("token", "Token")),
    basic: h("div", {class: "grid-2"}, field("Username", h("input", {name: "username", autocomplete: "off"}), {param: "auth.username"}),
      secret("password", "Password")),
  };
  const holder = h("div");
  const show = () => replace(holder, groups[type.value] || null);
  type.addEventListener("change", show);
  show();
  return {
    el: h("div", {class: "auth"}, field("Authentication", type, {param: "auth",
      hint: "Write-only: Kiln stores it and never shows it again."}), holder),
    value() {
      if (type.value === "none") return null;
      const g = groups[type.value];
      const out = {type: type.value};
      for (const el of g.querySelectorAll("input, select")) out[el.name] = el.value;
      return out;
    },
  };
}

// ---- the add form (#/plugins/new)

function addPluginPage(main, go) {
  document.title = "Add plugin · Kiln";
  let kind = "openapi";
  const name = h("input", {required: true, maxlength: 100, autocomplete: "off", placeholder: "weather"});
  const description = h("textarea", {rows: 2, maxlength: 2000});
  const kindButtons = h("div", {class: "kind-tabs", role: "group", "aria-label": "Kind of plugin"});
  const specific = h("div");
  const form = h("form", {class: "panel", novalidate: true});

  // OpenAPI
  const spec = h("textarea", {rows: 14, class: "mono", spellcheck: "false",
    placeholder: "Paste an OpenAPI 3.0 or 3.1 document (JSON or YAML)"});
  const specFile = h("input", {type: "file", accept: ".json,.yaml,.yml,application/json", class: "sr-only", "aria-label": "Upload an OpenAPI file"});
  specFile.addEventListener("change", async () => {
    const f = specFile.files[0];
    if (!f) return;
    if (f.size > 2 * 1024 * 1024) return toast("That file is over 2 MB", "error");
    spec.value = await f.text();
    if (!name.value) name.value = f.name.replace(/\.(json|ya?ml)$/i, "").replace(/[^\w-]+/g, "_").slice(0, 100);
    specFile.value = "";
  });
  const baseUrl = h("input", {type: "url", placeholder: "the document's servers[0]"});
  const openapiAuth = authFields("openapi");
  const openapi = h("div", null,
    field("OpenAPI document", spec, {param: "spec"}),
    h("div", {class: "row"}, h("button", {type: "button", class: "small", on: {click: () => specFile.click()}}, "Upload a file…"), specFile),
    field("Base URL (optional)", baseUrl, {param: "base_url"}),
    openapiAuth.el);

  // MCP
  const transport = h("select", null, h("option", {value: "url"}, "Streamable HTTP (URL)"),
    h("option", {value: "command"}, "Local program over stdio (admin keys)"));
  const url = h("input", {type: "url", placeholder: "http://127.0.0.1:8000/mcp"});
  const command = h("input", {placeholder: "/usr/bin/python3", spellcheck: "false"});
  const args = h("textarea", {rows: 3, placeholder: "one argument per line", spellcheck: "false"});
  const urlFields = field("Server URL", url, {param: "mcp.url"});
  const commandFields = h("div", null, field("Command", command, {param: "mcp.command"}),
    field("Arguments", args, {param: "mcp.args"}));
  const mcpAuth = authFields("mcp");
  const showTransport = () => {
    urlFields.hidden = transport.value !== "url";
    commandFields.hidden = transport.value !== "command";
  };
  transport.addEventListener("change", showTransport);
  showTransport();
  const mcp = h("div", null, field("Transport", transport, {param: "mcp"}), urlFields, commandFields, mcpAuth.el);

  // Built-in
  const boxes = BUILTIN_TOOLS.map(([tool, text]) => h("label", null,
    h("input", {type: "checkbox", value: tool, checked: true}), h("span", null, h("code", null, tool), h("div", {class: "sub"}, text))));
  const builtin = h("div", {class: "field", dataset: {param: "tools"}}, h("div", {class: "picker"}, boxes),
    h("div", {class: "field-error", role: "alert", hidden: true}));

  const panels = {openapi, mcp, builtin};
  const labels = {openapi: "OpenAPI service", mcp: "MCP server", builtin: "Built-in tools"};
  for (const k of Object.keys(panels)) {
    kindButtons.append(h("button", {type: "button", dataset: {kind: k}, "aria-pressed": String(k === kind),
      on: {click: () => {
        kind = k;
        for (const b of kindButtons.children) b.setAttribute("aria-pressed", String(b.dataset.kind === k));
        replace(specific, panels[k]);
      }}}, labels[k]));
  }
  replace(specific, panels[kind]);

  const submit = h("button", {type: "submit", class: "primary"}, "Add plugin");
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    const body = {kind, name: name.value.trim()};
    if (description.value.trim()) body.description = description.value.trim();
    if (kind === "openapi") {
      const text = spec.value.trim();
      if (text) {
        try {
          body.spec = JSON.parse(text);
        } catch {
          body.spec = text;  // YAML: the server reads it
        }
      }
      if (baseUrl.value) body.base_url = baseUrl.value;
      const auth = openapiAuth.value();
      if (auth) body.auth = auth;
    } else if (kind === "mcp") {
      body.mcp = transport.value === "url" ? {url: url.value.trim()}
        : {command: command.value.trim(), args: args.value.split("\n").map((a) => a.trim()).filter(Boolean)};
      const auth = mcpAuth.value();
      if (auth) body.auth = auth;
    } else {
      body.tools = boxes.map((b) => b.querySelector("input")).filter((b) => b.checked).map((b) => b.value);
    }
    submit.disabled = true;
    submit.textContent = "Connecting…";
    try {
      const p = await api.post("/v1/plugins", body);
      toast(`Added “${p.name}” with ${(p.tools || []).length} tools`);
      go(`/plugins/${p.id}`);
    } catch (err) {
      if (!showFieldError(form, err.param, err.message)) {
        toast(err.message, "error");
        replace(errorBox, err.message);
        errorBox.hidden = false;
      }
    } finally {
      submit.disabled = false;
      submit.textContent = "Add plugin";
    }
  });
  const errorBox = h("p", {class: "field-error", role: "alert", hidden: true});
  append(form, h("h2", null, "Add a plugin"), kindButtons,
    field("Name", name, {param: "name", hint: "Letters, digits, - and _; unique in the workspace."}),
    field("Description", description, {param: "description"}),
    specific, errorBox, h("div", {class: "actions end"}, submit));
  replace(main, h("div", {class: "page-head"}, h("a", {href: "#/plugins", class: "small"}, "← Plugins"), h("h1", null, "Add plugin")), form);
  name.focus();
}

// ---- a form for a tool's JSON schema

function typeOf(schema) {
  let t = schema?.type;
  if (Array.isArray(t)) t = t.find((x) => x !== "null") || t[0];
  if (!t && schema?.enum) t = typeof schema.enum[0] === "number" ? "number" : "string";
  if (!t && schema?.properties) t = "object";
  return t || "string";
}

// {el, value()} for one value of the given schema; value() throws
// {param, message} when the input cannot be read.
function schemaInput(schema, path, label, required) {
  const t = typeOf(schema);
  const hint = [schema.description, required ? "required" : ""].filter(Boolean).join(" · ");
  if (t === "object" && schema.properties && path.split(".").length < 4) {
    const parts = Object.entries(schema.properties).map(([k, s]) =>
      [k, schemaInput(s, path ? `${path}.${k}` : k, k, (schema.required || []).includes(k))]);
    const el = h("fieldset", {class: "schema-object"}, path ? h("legend", null, label) : null, parts.map(([, p]) => p.el));
    return {
      el,
      value() {
        const out = {};
        for (const [k, p] of parts) {
          const v = p.value();
          if (v !== undefined) out[k] = v;
        }
        return out;
      },
    };
  }
  let control;
  let read;
  if (Array.isArray(schema.enum)) {
    control = h("select", null, required ? null : h("option", {value: ""}, "—"),
      schema.enum.map((v, i) => h("option", {value: String(i), selected: schema.default === v}, String(v))));
    read = () => (control.value === "" ? undefined : schema.enum[Number(control.value)]);
  } else if (t === "boolean") {
    control = h("input", {type: "checkbox", checked: schema.default === true});
    read = () => (control.checked ? true : required ? false : undefined);
    const wrap = h("div", {class: "field", dataset: {param: path}},
      h("label", {class: "check"}, control, label), hint ? h("div", {class: "hint"}, hint) : null,
      h("div", {class: "field-error", role: "alert", hidden: true}));
    return {el: wrap, value: read};
  } else if (t === "integer" || t === "number") {
    control = h("input", {type: "number", step: t === "integer" ? 1 : "any", min: schema.minimum, max: schema.maximum,
      value: schema.default ?? ""});
    read = () => {
      if (control.value === "") return undefined;
      const n = Number(control.value);
      if (Number.isNaN(n) || (t === "integer" && !Number.isInteger(n))) throw {param: path, message: `${label} must be ${t === "integer" ? "a whole number" : "a number"}`};
      return n;
    };
  } else if (t === "string") {
    control = (schema.maxLength || 0) > 300 ? h("textarea", {rows: 3}) : h("input", {spellcheck: "false"});
    if (schema.maxLength) control.maxLength = schema.maxLength;
    control.value = schema.default ?? "";
    if (schema.examples?.[0] !== undefined) control.placeholder = String(schema.examples[0]);
    read = () => (control.value === "" && !required ? undefined : control.value);
  } else {
    control = h("textarea", {rows: 3, class: "mono", spellcheck: "false", placeholder: t === "array" ? "[ ]" : "{ }"});
    if (schema.default !== undefined) control.value = JSON.stringify(schema.default);
    read = () => {
      if (control.value.trim() === "") return undefined;
      try {
        return JSON.parse(control.value);
      } catch {
        throw {param: path, message: `${label} must be JSON`};
      }
    };
  }
  control.name = path;
  if (required) control.required = true;
  return {el: field(`${label}${required ? " *" : ""}`, control, {param: path, hint}), value: read};
}

function toolCard(plugin, tool) {
  const schema = tool.parameters || {type: "object"};
  const form = h("form", {class: "try", novalidate: true});
  const input = schemaInput(schema.type === "object" || schema.properties ? schema : {type: "object", properties: {}}, "", "arguments", false);
  const output = h("div", {class: "result", "aria-live": "polite"});
  const run = h("button", {type: "submit", class: "primary small"}, "Run");
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    let args;
    try {
      args = input.value();
    } catch (err) {
      showFieldError(form, err.param, err.message);
      return;
    }
    run.disabled = true;
    replace(output, h("span", {class: "muted small"}, "Running…"));
    try {
      const r = await api.post(`/v1/plugins/${plugin.id}/tools/${encodeURIComponent(tool.name)}/invoke`, {arguments: args});
      replace(output,
        h("div", {class: "small muted"}, r.is_error ? h("span", {class: "badge error"}, "error") : h("span", {class: "badge ok"}, "ok"),
          ` ${r.duration_ms} ms`, r.truncated ? " · cut to fit" : ""),
        h("pre", {class: ["output", r.is_error && "error"]}, r.output));
    } catch (err) {
      // "arguments.city" names the field it is about.
      const param = (err.param || "").replace(/^arguments\.?/, "");
      if (!(param && showFieldError(form, param, err.message))) {
        replace(output, h("pre", {class: "output error"}, err.message));
      } else {
        clear(output);
      }
    } finally {
      run.disabled = false;
    }
  });
  const properties = Object.keys(schema.properties || {});
  append(form, properties.length ? input.el : h("p", {class: "small muted"}, "No arguments."),
    h("div", {class: "actions end"}, run), output);
  return h("div", {class: "tool", dataset: {tool: tool.name}},
    h("h3", null, tool.name),
    h("p", {class: "desc"}, tool.description || ""),
    h("details", null, h("summary", null, "Try it"), form,
      h("details", null, h("summary", {class: "small muted"}, "JSON schema"),
        h("pre", {class: "output"}, JSON.stringify(schema, null, 2)))));
}

export async function pluginPage(main, m, {go}) {
  if (m[1] === "new") return addPluginPage(main, go);
  const id = m[1];
  let plugin = await api.get(`/v1/plugins/${encodeURIComponent(id)}`);
  document.title = `${plugin.name} · Plugins · Kiln`;
  const tools = h("div", {"aria-live": "polite"});
  const renderTools = (list) => {
    clear(tools);
    if (!list.length) tools.append(h("p", {class: "muted"}, "This plugin has no tools."));
    for (const t of list) tools.append(toolCard(plugin, t));
  };
  renderTools(plugin.tools || []);

  const refresh = h("button", {type: "button", class: "small", on: {click: async () => {
    try {
      const r = await api.get(`/v1/plugins/${id}/tools`);
      renderTools(r.data || []);
      toast("Tools reloaded");
    } catch (err) { toast(err.message, "error"); }
  }}}, "Reload tools");

  // Credentials: write-only. The page shows whether some are set, never them.
  const authState = h("p", {class: "small"});
  const showAuth = () => replace(authState, plugin.auth?.configured
    ? h("span", {class: "badge ok"}, `set: ${plugin.auth.type}`) : h("span", {class: "badge"}, "none set"));
  showAuth();
  let credentials = null;
  if (plugin.kind !== "builtin") {
    const auth = authFields(plugin.kind);
    const credForm = h("form", {novalidate: true, on: {submit: async (e) => {
      e.preventDefault();
      clearFieldErrors(credForm);
      try {
        plugin = await api.patch(`/v1/plugins/${id}`, {auth: auth.value() || {type: "none"}});
        for (const input of credForm.querySelectorAll("input[type=password]")) input.value = "";
        showAuth();
        toast("Credentials saved");
      } catch (err) {
        if (!showFieldError(credForm, err.param, err.message)) toast(err.message, "error");
      }
    }}}, auth.el, h("div", {class: "actions end"}, h("button", {type: "submit"}, "Save credentials")));
    credentials = h("section", {class: "panel", "aria-label": "Credentials"}, h("h2", null, "Credentials"), authState, credForm);
  }

  const details = [];
  if (plugin.base_url) details.push(h("div", null, "Base URL: ", h("code", null, plugin.base_url)));
  if (plugin.mcp?.url) details.push(h("div", null, "MCP server: ", h("code", null, plugin.mcp.url)));
  if (plugin.mcp?.command) details.push(h("div", null, "MCP program: ", h("code", null, [plugin.mcp.command, ...(plugin.mcp.args || [])].join(" "))));
  const del = h("button", {type: "button", class: "danger", on: {click: async () => {
    if (!(await confirmDialog(`Delete the plugin “${plugin.name}”?`))) return;
    try {
      await api.del(`/v1/plugins/${id}`);
      go("/plugins");
    } catch (err) { toast(err.message, "error"); }
  }}}, "Delete");

  replace(main,
    h("div", {class: "page-head"}, h("a", {href: "#/plugins", class: "small"}, "← Plugins"),
      h("h1", null, plugin.name), h("span", {class: "badge"}, plugin.kind), del),
    plugin.description ? h("p", {class: "muted"}, plugin.description) : null,
    h("div", {class: "two-col"},
      h("section", {class: "panel", "aria-label": "Tools"},
        h("div", {class: "row"}, h("h2", {class: "grow"}, "Tools"), refresh), tools),
      h("div", null,
        h("section", {class: "panel", "aria-label": "About"}, h("h2", null, "About"), details,
          h("div", {class: "small muted"}, `Added ${formatTime(plugin.created_at)} · updated ${formatTime(plugin.updated_at)}`)),
        credentials)));
}
