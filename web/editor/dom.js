// Small DOM helpers. Everything the editor shows is built with h(), which
// only ever creates elements and text nodes: no string of HTML is parsed
// anywhere, so text from a model, a tool or a document cannot become markup.

// h("div", {class: "x", on: {click: fn}}, "text", child, [more, children])
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "on") {
        for (const [event, fn] of Object.entries(value)) el.addEventListener(event, fn);
      } else if (key === "class") {
        el.className = Array.isArray(value) ? value.filter(Boolean).join(" ") : value;
      } else if (key === "dataset") {
        Object.assign(el.dataset, value);
      } else if (key === "value" || key === "checked" || key === "selected" ||
                 key === "disabled" || key === "indeterminate") {
        el[key] = value;
      } else if (key.startsWith("on")) {
        throw new Error("event handlers go in attrs.on, not " + key);
      } else {
        el.setAttribute(key, value === true ? "" : String(value));
      }
    }
  }
  append(el, children);
  return el;
}

// append(el, child, [children], ...): nodes, strings and (nested) arrays.
export function append(el, ...children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, ...child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

// Replaces el's children with the given ones.
export function replace(el, ...children) {
  clear(el);
  return append(el, children);
}

let idCounter = 0;
export function uid(prefix = "f") {
  idCounter += 1;
  return `${prefix}${idCounter}`;
}

// A labelled form field. `control` is the input; `param` names the API field
// whose validation errors appear under it (see showFieldError).
export function field(label, control, {hint, param, wide, hideLabel} = {}) {
  // The label names the form control itself, also when it sits in a wrapper.
  const target = control.matches("input, select, textarea") ? control
    : control.querySelector("input, select, textarea") || control;
  if (!target.id) target.id = uid();
  const error = h("div", {class: "field-error", role: "alert", hidden: true});
  const wrap = h("div", {class: ["field", wide && "wide"], dataset: param ? {param} : undefined},
    h("label", {for: target.id, class: hideLabel ? "sr-only" : null}, label),
    control,
    hint ? h("div", {class: "hint"}, hint) : null,
    error);
  return wrap;
}

// Shows an API validation error beside the field it names. `param` is the
// API's path ("model_params.temperature", "variables[2].name"): the nearest
// registered field, trying ever shorter prefixes, gets the message.
export function showFieldError(root, param, message) {
  clearFieldErrors(root);
  let name = param || "";
  while (name) {
    const wrap = root.querySelector(`[data-param="${CSS.escape(name)}"]`);
    if (wrap) {
      const error = wrap.querySelector(".field-error");
      error.textContent = message;
      error.hidden = false;
      wrap.classList.add("invalid");
      for (let d = wrap.closest("details"); d; d = d.parentElement?.closest("details")) d.open = true;
      const control = wrap.querySelector("input, textarea, select, button");
      if (control) {
        control.setAttribute("aria-invalid", "true");
        if (error.id === "") error.id = uid("err");
        control.setAttribute("aria-describedby", error.id);
        wrap.scrollIntoView({block: "center", behavior: "smooth"});
        control.focus({preventScroll: true});
      }
      return true;
    }
    const cut = Math.max(name.lastIndexOf("."), name.lastIndexOf("["));
    name = cut > 0 ? name.slice(0, cut) : "";
  }
  return false;
}

export function clearFieldErrors(root) {
  for (const wrap of root.querySelectorAll(".field.invalid")) {
    wrap.classList.remove("invalid");
    const error = wrap.querySelector(".field-error");
    error.hidden = true;
    error.textContent = "";
    const control = wrap.querySelector("[aria-invalid]");
    if (control) control.removeAttribute("aria-invalid");
  }
}

// A short message at the bottom of the window, read out by screen readers.
export function toast(message, kind = "info") {
  let region = document.getElementById("toasts");
  if (!region) {
    region = h("div", {id: "toasts", class: "toasts", role: "status", "aria-live": "polite"});
    document.body.appendChild(region);
  }
  const item = h("div", {class: ["toast", kind]}, message);
  region.appendChild(item);
  setTimeout(() => item.remove(), kind === "error" ? 8000 : 3500);
}

// A modal <dialog>; resolves true when confirmed. Esc and Cancel resolve false.
export function confirmDialog(message, {confirm = "Delete", danger = true} = {}) {
  return new Promise((resolve) => {
    const ok = h("button", {type: "submit", class: danger ? "danger" : "primary", value: "ok"}, confirm);
    const dialog = h("dialog", {class: "dialog", "aria-label": message},
      h("form", {method: "dialog"},
        h("p", null, message),
        h("div", {class: "actions"},
          h("button", {type: "button", on: {click: () => dialog.close("cancel")}}, "Cancel"), ok)));
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "ok");
      dialog.remove();
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    ok.focus();
  });
}

// A modal form: `build(form)` fills it; resolves with FormData or null.
export function formDialog(title, fields, {submit = "Create"} = {}) {
  return new Promise((resolve) => {
    const form = h("form", {method: "dialog"},
      h("h2", null, title), fields,
      h("div", {class: "actions"},
        // Not a submit button: Enter in a field submits with the default (first) one.
        h("button", {type: "button", on: {click: () => dialog.close("cancel")}}, "Cancel"),
        h("button", {type: "submit", class: "primary", value: "ok"}, submit)));
    const dialog = h("dialog", {class: "dialog", "aria-label": title}, form);
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "ok" ? new FormData(form) : null);
      dialog.remove();
    });
    document.body.appendChild(dialog);
    dialog.showModal();
  });
}

export function formatTime(unix) {
  if (!unix) return "";
  const d = new Date(unix * 1000);
  return d.toLocaleString(undefined, {dateStyle: "medium", timeStyle: "short"});
}

export function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function debounce(fn, ms) {
  let timer = 0;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

// Copies text; falls back to selecting it where the clipboard API is refused.
export async function copyText(text, fallbackEl) {
  try {
    await navigator.clipboard.writeText(text);
    toast("Copied");
  } catch {
    if (fallbackEl) {
      const range = document.createRange();
      range.selectNodeContents(fallbackEl);
      const sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      toast("Selected: press Ctrl+C to copy");
    }
  }
}

// The first letter of a name, for avatars without an image.
export function avatar(name, url, size = "md") {
  if (url) return h("img", {class: ["avatar", size], src: url, alt: ""});
  const letter = (name || "?").trim().charAt(0).toUpperCase() || "?";
  return h("span", {class: ["avatar", size], "aria-hidden": "true"}, letter);
}

// A page-level loading/error placeholder.
export function notice(text, kind = "muted") {
  return h("p", {class: ["notice", kind]}, text);
}
