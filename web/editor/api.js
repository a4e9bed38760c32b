// The editor's only way to the server: Kiln's own REST API, with the API key
// the user signed in with. The key lives in localStorage (this origin only);
// signing out removes it.

const KEY = "kiln.api_key";

export function apiKey() {
  return localStorage.getItem(KEY) || "";
}

export function setApiKey(key) {
  localStorage.setItem(KEY, key);
}

export function clearApiKey() {
  localStorage.removeItem(KEY);
}

// An error answered by the API: its JSON error envelope, or a network failure.
export class ApiError extends Error {
  constructor(status, error) {
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code || "";
    this.param = error.param || "";
    this.requestId = error.request_id || "";
  }
}

function headers(extra = {}, key = apiKey()) {
  const out = {...extra};
  if (key) out.Authorization = `Bearer ${key}`;
  return out;
}

// A 401 for the stored key signs the page out (kiln:unauthorized); one for a
// key being tried (the sign-in form's) does not.
async function errorOf(res, signOutOn401 = true) {
  let error = {message: `${res.status} ${res.statusText}`};
  try {
    const body = await res.json();
    if (body && body.error) error = body.error;
  } catch {
    // Not JSON (a proxy's page): keep the status line.
  }
  if (res.status === 401 && signOutOn401) window.dispatchEvent(new CustomEvent("kiln:unauthorized"));
  return new ApiError(res.status, error);
}

// request("GET", "/v1/bots") -> parsed JSON. A body object is sent as JSON;
// FormData as multipart. opts.key: another key than the stored one.
export async function request(method, path, body, {signal, key} = {}) {
  const init = {method, headers: key ? headers({}, key) : headers(), signal};
  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    if (e.name === "AbortError") throw e;
    throw new ApiError(0, {message: "The server could not be reached", code: "network"});
  }
  if (!res.ok) throw await errorOf(res, !key);
  if (res.status === 204) return null;
  return res.json();
}

export const get = (path, opts) => request("GET", path, undefined, opts);
export const post = (path, body, opts) => request("POST", path, body ?? {}, opts);
export const patch = (path, body, opts) => request("PATCH", path, body, opts);
export const del = (path, opts) => request("DELETE", path, undefined, opts);

// Every item of a paginated list (bounded, for pickers and small lists).
export async function listAll(path, {max = 500} = {}) {
  const out = [];
  let cursor = "";
  for (;;) {
    const sep = path.includes("?") ? "&" : "?";
    const page = await get(`${path}${sep}limit=100${cursor ? "&cursor=" + encodeURIComponent(cursor) : ""}`);
    out.push(...page.data);
    if (!page.has_more || out.length >= max || !page.next_cursor) return out;
    cursor = page.next_cursor;
  }
}

// POSTs `body` and calls onEvent(name, data) for each Server-Sent Event as it
// arrives. Resolves when the stream ends; abort with `signal`.
export async function stream(path, body, onEvent, {signal} = {}) {
  let res;
  try {
    res = await fetch(path, {
      method: "POST",
      headers: headers({"Content-Type": "application/json", Accept: "text/event-stream"}),
      body: JSON.stringify(body),
      signal,
    });
  } catch (e) {
    if (e.name === "AbortError") throw e;
    throw new ApiError(0, {message: "The server could not be reached", code: "network"});
  }
  if (!res.ok) throw await errorOf(res);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let event = "message";
  let data = [];
  const dispatch = () => {
    if (data.length) {
      let parsed;
      try {
        parsed = JSON.parse(data.join("\n"));
      } catch {
        parsed = data.join("\n");
      }
      onEvent(event, parsed);
    }
    event = "message";
    data = [];
  };
  for (;;) {
    const {value, done} = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, {stream: true});
    let nl;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      let line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line.endsWith("\r")) line = line.slice(0, -1);
      if (line === "") dispatch();
      else if (line.startsWith(":")) continue;
      else if (line.startsWith("event:")) event = line.slice(6).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
    }
  }
  dispatch();
}

// Uploads one file as multipart with upload progress (fetch has none).
// Resolves with the parsed JSON answer.
export function upload(path, file, onProgress, {field = "file"} = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", path);
    const key = apiKey();
    if (key) xhr.setRequestHeader("Authorization", `Bearer ${key}`);
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    });
    xhr.addEventListener("load", () => {
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else reject(new ApiError(xhr.status, (body && body.error) || {message: `HTTP ${xhr.status}`}));
    });
    xhr.addEventListener("error", () =>
      reject(new ApiError(0, {message: "The upload failed: the server could not be reached"})));
    const form = new FormData();
    form.append(field, file, file.name);
    xhr.send(form);
  });
}
