// The editor's shell: sign-in, the top bar, and a hash router
// (#/bots, #/bots/{id}[/publish|/log], #/knowledge[/{id}], #/plugins[/{id}]).
// A view may guard navigation while it has unsaved changes.
import {h, replace, toast} from "./dom.js";
import * as api from "./api.js";
import {botList, botPage} from "./bots.js";
import {knowledgeList, knowledgePage} from "./knowledge.js";
import {pluginList, pluginPage} from "./plugins.js";

const ROUTES = [
  [/^\/bots$/, botList, "bots"],
  [/^\/bots\/([A-Za-z0-9_-]+)(?:\/(build|publish|log))?$/, botPage, "bots"],
  [/^\/knowledge$/, knowledgeList, "knowledge"],
  [/^\/knowledge\/([A-Za-z0-9_-]+)$/, knowledgePage, "knowledge"],
  [/^\/plugins$/, pluginList, "plugins"],
  [/^\/plugins\/([A-Za-z0-9_-]+)$/, pluginPage, "plugins"],
];

const root = document.getElementById("app");
let me = null;            // GET /v1/me of the signed-in key
let current = null;       // {view, key, instance}
let lastHash = "";

function path() {
  const hash = window.location.hash || "";
  return hash.startsWith("#") ? hash.slice(1) : hash;
}

function go(to) {
  if (path() === to) route();  // no hashchange comes for the same hash
  else window.location.hash = to;
}

function signOut() {
  if (current?.instance?.dirty?.() && !window.confirm("You have unsaved changes. Sign out anyway?")) return;
  api.clearApiKey();
  me = null;
  current = null;
  window.onbeforeunload = null;
  go("/login");
}

function topbar(section) {
  const link = (href, label, name) =>
    h("a", {href: `#${href}`, "aria-current": section === name ? "page" : null}, label);
  return h("header", {class: "topbar"},
    h("a", {class: "brand", href: "#/bots"}, "Kiln"),
    h("nav", {"aria-label": "Main"},
      link("/bots", "Bots", "bots"), link("/knowledge", "Knowledge", "knowledge"),
      link("/plugins", "Plugins", "plugins")),
    h("span", {class: "who", title: me?.name || ""}, me ? `${me.workspace}${me.admin ? " · admin" : ""}` : ""),
    h("button", {type: "button", class: "small", on: {click: signOut}}, "Sign out"));
}

function signInView(message) {
  document.title = "Sign in · Kiln";
  const key = h("input", {type: "password", id: "api-key", name: "key", autocomplete: "current-password",
    required: true, spellcheck: "false", placeholder: "kiln_..."});
  const error = h("p", {class: "field-error", role: "alert", hidden: !message}, message || "");
  const submit = h("button", {type: "submit", class: "primary"}, "Sign in");
  const form = h("form", {class: "panel signin", on: {submit: async (e) => {
    e.preventDefault();
    submit.disabled = true;
    error.hidden = true;
    try {
      me = await api.get("/v1/me", {key: key.value.trim()});
      api.setApiKey(key.value.trim());
      const back = sessionStorage.getItem("kiln.after_signin") || "/bots";
      sessionStorage.removeItem("kiln.after_signin");
      go(back);
    } catch (err) {
      error.textContent = err.status === 401 ? "That API key was not accepted." : err.message;
      error.hidden = false;
      submit.disabled = false;
      key.focus();
    }
  }}},
    h("h1", null, "Sign in to Kiln"),
    h("p", null, "Paste an API key. It stays in this browser until you sign out."),
    h("div", {class: "field"}, h("label", {for: "api-key"}, "API key"), key),
    error,
    h("div", {class: "actions end"}, submit));
  replace(root, h("main", {id: "main"}, form));
  key.focus();
}

async function route() {
  const p = path();
  // Leaving a page with unsaved changes asks first; staying puts the
  // address back without another hashchange.
  if (current?.instance?.dirty?.() && !current.instance.handles?.(p)) {
    if (!window.confirm("You have unsaved changes. Leave without saving?")) {
      history.replaceState(null, "", `#${lastHash}`);
      return;
    }
  }
  lastHash = p;
  if (!api.apiKey()) {
    if (p !== "/login" && p !== "") sessionStorage.setItem("kiln.after_signin", p);
    current = null;
    return signInView();
  }
  if (p === "/login") {
    if (me) return go("/bots");
  }
  if (!me) {
    try {
      me = await api.get("/v1/me");
    } catch (err) {
      if (err.status === 401) return;  // kiln:unauthorized signs out
      replace(root, h("main", {id: "main"}, h("p", {class: "notice error"}, err.message)));
      return;
    }
    if (p === "/login") return go("/bots");
  }
  for (const [re, view, section] of ROUTES) {
    const m = re.exec(p);
    if (!m) continue;
    // A view that can show this path itself (a bot's tabs) keeps its state.
    if (current?.instance?.handles?.(p)) {
      current.instance.show(p, m);
      return;
    }
    current?.instance?.destroy?.();
    window.onbeforeunload = null;
    const main = h("main", {id: "main", tabindex: "-1"});
    replace(root, topbar(section), main);
    current = {view, instance: null};
    try {
      current.instance = (await view(main, m, {me, go})) || null;
    } catch (err) {
      if (err.name === "AbortError") return;
      if (err.status === 401) return;
      replace(main, h("p", {class: "notice error"}, err.message));
    }
    if (current?.instance?.dirty) {
      window.onbeforeunload = (e) => {
        if (current?.instance?.dirty?.()) {
          e.preventDefault();
          e.returnValue = "";
        }
      };
    }
    return;
  }
  go("/bots");
}

window.addEventListener("kiln:unauthorized", () => {
  if (!api.apiKey()) return;
  api.clearApiKey();
  me = null;
  current = null;
  window.onbeforeunload = null;
  toast("Your API key was refused; sign in again.", "error");
  if (path() !== "/login") sessionStorage.setItem("kiln.after_signin", path());
  history.replaceState(null, "", "#/login");
  lastHash = "/login";
  signInView("Your API key was refused; sign in again.");
});
window.addEventListener("hashchange", route);
route();
