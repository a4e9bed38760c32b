// The preview chat of the bot page, and the message rendering that the
// conversation log shares with it. Answers stream in as Markdown (rendered
// by markdown.js into DOM nodes, never HTML); each answer carries a
// collapsible trace of the knowledge chunks and tool calls behind it.
import {h, append, clear, replace, avatar} from "./dom.js";
import * as api from "./api.js";
import {renderMarkdown} from "./markdown.js";

function pretty(value) {
  if (typeof value === "string") {
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      return value;
    }
  }
  return JSON.stringify(value, null, 2);
}

// One answer: its bubble, and the trace under it. Built empty and filled
// as events arrive (or at once from a stored message).
export function assistantMessage(bot) {
  const bubble = h("div", {class: "bubble"});
  const body = h("div", {class: "content"});
  const meta = h("div", {class: "meta", hidden: true});
  const followUps = h("div", {class: "chips follow-ups", hidden: true});
  bubble.append(body);
  const steps = h("div", {class: "steps"});
  const summary = h("summary", null, "Trace");
  const trace = h("details", {class: "trace", hidden: true}, summary, steps);
  const column = h("div", {class: "answer"}, bubble, trace, followUps);
  const el = h("div", {class: "msg assistant", dataset: {role: "assistant"}},
    avatar(bot?.name, bot?.avatar_url, "sm"), column);
  bubble.append(meta);

  let text = "";
  let citations = [];
  let streaming = false;
  let frame = 0;
  let chunkCount = 0;
  const calls = new Map();  // tool call id -> its step element

  const summarize = () => {
    const parts = [];
    if (chunkCount) parts.push(`${chunkCount} knowledge chunk${chunkCount === 1 ? "" : "s"}`);
    if (calls.size) parts.push(`${calls.size} tool call${calls.size === 1 ? "" : "s"}`);
    summary.textContent = `Trace: ${parts.join(" · ") || "no knowledge or tools"}`;
    trace.hidden = parts.length === 0;
  };

  const cite = (n, raw) => {
    const c = citations.find((x) => x.index === n);
    const chunk = steps.querySelector(`.chunk[data-index="${n}"]`);
    if (!c && !chunk) return document.createTextNode(raw);
    const name = c?.document_name || chunk?.dataset.document || "";
    return h("button", {type: "button", class: "cite", title: name, "aria-label": `Source ${n}: ${name}`,
      on: {click: () => {
        trace.open = true;
        for (const x of steps.querySelectorAll(".chunk.highlight")) x.classList.remove("highlight");
        if (chunk) {
          chunk.classList.add("highlight");
          chunk.scrollIntoView({block: "nearest"});
        }
      }}}, String(n));
  };

  const render = () => {
    frame = 0;
    replace(body, renderMarkdown(text, {cite}));
    bubble.classList.toggle("cursor", streaming);
  };
  const schedule = () => {
    if (!frame) frame = requestAnimationFrame(render);
  };

  return {
    el,
    get text() { return text; },
    setStreaming(on) {
      streaming = on;
      schedule();
    },
    appendText(delta) {
      text += delta;
      schedule();
    },
    setText(value) {
      text = value || "";
      schedule();
    },
    setCitations(list) {
      citations = Array.isArray(list) ? list : [];
      if (citations.length) {
        // Citations without a [n] marker in the text still name their source.
        const unmarked = citations.filter((c) => !c.marked);
        if (unmarked.length) {
          meta.hidden = false;
          append(meta, h("div", {class: "sources"}, "Source: ",
            unmarked.map((c) => cite(c.index, `[${c.index}]`)),
            " ", unmarked.map((c) => c.document_name).join(", ")));
        }
      }
      schedule();
    },
    addKnowledge(chunks) {
      if (!Array.isArray(chunks) || chunks.length === 0) return;
      chunkCount += chunks.length;
      steps.append(h("div", {class: "step knowledge"},
        h("div", {class: "step-title"}, "Knowledge"),
        chunks.map((c) => h("div", {class: "chunk",
          dataset: {index: String(c.index ?? ""), document: c.document_name || ""}},
          h("div", {class: "small"},
            h("span", {class: "badge accent"}, `[${c.index}]`), " ",
            h("strong", null, c.document_name || c.document_id || ""),
            h("span", {class: "muted"}, ` · chunk ${(c.position ?? 0) + 1} · score ${Number(c.score ?? 0).toFixed(2)}`)),
          h("div", {class: "text"}, c.text || "")))));
      summarize();
      schedule();
    },
    addToolCall(call) {
      const result = h("div", {class: "result"}, h("span", {class: "muted small"}, "Running…"));
      const step = h("div", {class: "step tool", dataset: {tool: call.name || ""}},
        h("div", {class: "step-title"}, "Tool ", h("code", null, call.name || "?")),
        h("div", {class: "small muted"}, "Arguments"),
        h("pre", {class: "args"}, pretty(call.arguments ?? {})),
        result);
      calls.set(call.id || `call${calls.size}`, {step, result});
      steps.append(step);
      summarize();
    },
    addToolResult(r) {
      let entry = calls.get(r.id);
      if (!entry) {
        this.addToolCall({id: r.id, name: r.name, arguments: r.arguments ?? {}});
        entry = calls.get(r.id);
      }
      const failed = Boolean(r.is_error);
      const out = failed ? (r.error ?? r.output ?? "") : (r.output ?? "");
      replace(entry.result,
        h("div", {class: "small muted"},
          failed ? h("span", {class: "badge error"}, "failed") : h("span", {class: "badge ok"}, "ok"),
          r.duration_ms !== undefined ? ` ${r.duration_ms} ms` : "",
          r.truncated ? " · cut to fit" : ""),
        h("pre", {class: ["output-text", failed && "error"]}, typeof out === "string" ? out : pretty(out)));
    },
    setFollowUps(questions, onPick) {
      clear(followUps);
      if (!Array.isArray(questions) || !questions.length) return;
      followUps.hidden = false;
      for (const q of questions) {
        followUps.append(h("button", {type: "button", class: "chip", on: {click: () => onPick(q)}}, q));
      }
    },
    setDone(done) {
      const bits = [];
      if (done.finish_reason === "no_hit") bits.push("no knowledge matched");
      if (done.finish_reason === "length") bits.push("cut at the token limit");
      if (done.usage) bits.push(`${done.usage.completion_tokens ?? 0} tokens`);
      if (done.timing?.total_ms !== undefined) bits.push(`${(done.timing.total_ms / 1000).toFixed(1)} s`);
      if (bits.length) {
        meta.hidden = false;
        meta.append(h("div", null, bits.join(" · ")));
      }
    },
    setNote(note) {
      meta.hidden = false;
      meta.append(h("div", null, note));
    },
    setError(message) {
      bubble.classList.add("error");
      streaming = false;
      if (!text) text = message;
      else this.setNote(message);
      schedule();
    },
  };
}

export function userMessage(text) {
  return h("div", {class: "msg user", dataset: {role: "user"}}, h("div", {class: "bubble"}, text));
}

// A stored message (GET /v1/conversations/{id}/messages) as it looked live.
export function storedMessage(m, bot) {
  if (m.role === "user") return userMessage(m.content);
  const reply = assistantMessage(bot);
  const t = m.trace || {};
  reply.addKnowledge(t.knowledge || []);
  for (const call of t.tool_calls || []) {
    reply.addToolCall(call);
    if (call.result) reply.addToolResult({...call.result, id: call.id});
  }
  reply.setText(m.content);
  reply.setCitations(t.citations || []);
  reply.setDone(t);
  return reply.el;
}

// The preview: chats with the bot's saved draft.
// opts: {botId, bot() -> the current (maybe unsaved) config, dirty(), save()}
export function chatPanel(opts) {
  const messages = h("div", {class: "messages", role: "log", "aria-live": "polite", "aria-label": "Preview conversation"});
  const input = h("textarea", {rows: 1, placeholder: "Message the bot (Enter to send, Shift+Enter for a new line)",
    "aria-label": "Message", maxlength: 20000});
  const send = h("button", {type: "submit", class: "primary"}, "Send");
  const stop = h("button", {type: "button", class: "danger", hidden: true}, "Stop");
  const note = h("div", {class: "chat-note", hidden: true},
    "The preview uses the saved draft. ",
    h("button", {type: "button", class: "link", on: {click: () => opts.save()}}, "Save now"),
    " to try your changes.");
  const reset = h("button", {type: "button", class: "small", title: "Start a new conversation"}, "New conversation");
  const el = h("section", {class: "chat", "aria-label": "Preview"},
    h("div", {class: "chat-head"}, h("h2", null, "Preview"), reset),
    note, messages,
    h("form", {class: "composer", on: {submit: (e) => {
      e.preventDefault();
      submit(input.value);
    }}}, input, send, stop));

  let conversationId = "";
  let controller = null;

  const scroll = () => { messages.scrollTop = messages.scrollHeight; };

  function intro() {
    clear(messages);
    const bot = opts.bot();
    if (bot.opening_message) {
      const m = assistantMessage(bot);
      // As the server does for a new conversation: variables get their defaults.
      const defaults = new Map((bot.variables || []).map((v) => [v.name, v.default ?? ""]));
      m.setText(bot.opening_message.replace(/\{\{[ \t]*([A-Za-z_][A-Za-z0-9_]*)[ \t]*\}\}/g,
        (all, name) => (defaults.has(name) ? defaults.get(name) : all)));
      messages.append(m.el);
    }
    const questions = (bot.suggested_questions || []).filter((q) => q.trim());
    if (questions.length) {
      messages.append(h("div", {class: "chips suggested", "aria-label": "Suggested questions"},
        questions.map((q) => h("button", {type: "button", class: "chip", on: {click: () => submit(q)}}, q))));
    }
    if (!bot.opening_message && !questions.length) {
      messages.append(h("p", {class: "notice"}, "Send a message to try the bot."));
    }
  }

  function busy(on) {
    send.hidden = on;
    stop.hidden = !on;
    input.disabled = false;
    if (!on) input.focus();
  }

  async function submit(raw) {
    const text = String(raw || "").trim();
    if (!text || controller) return;
    input.value = "";
    for (const x of messages.querySelectorAll(".chips.suggested, .follow-ups, .notice")) x.remove();
    messages.append(userMessage(text));
    const bot = opts.bot();
    const reply = assistantMessage(bot);
    messages.append(reply.el);
    reply.setStreaming(true);
    scroll();
    controller = new AbortController();
    busy(true);
    const body = {message: text, draft: true, stream: true};
    if (conversationId) body.conversation_id = conversationId;
    try {
      await api.stream(`/v1/bots/${encodeURIComponent(opts.botId)}/chat`, body, (event, data) => {
        if (event === "conversation") conversationId = data.id || conversationId;
        else if (event === "knowledge") reply.addKnowledge(data.chunks);
        else if (event === "tool_call") reply.addToolCall(data);
        else if (event === "tool_result") reply.addToolResult(data);
        else if (event === "delta") reply.appendText(data.text || "");
        else if (event === "follow_up") reply.setFollowUps(data.questions || data, submit);
        else if (event === "done") {
          if (typeof data.text === "string" && data.text !== reply.text) reply.setText(data.text);
          reply.setCitations(data.citations);
          reply.setDone(data);
        } else if (event === "error") {
          reply.setError((data.error && data.error.message) || data.message || "The turn failed");
        }
        scroll();
      }, {signal: controller.signal});
    } catch (err) {
      if (err.name === "AbortError") reply.setNote("Stopped.");
      else reply.setError(err.message);
    } finally {
      reply.setStreaming(false);
      controller = null;
      busy(false);
      scroll();
    }
  }

  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      submit(input.value);
    }
  });
  input.addEventListener("input", () => {
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight + 2, 160)}px`;
  });
  stop.addEventListener("click", () => controller?.abort());
  reset.addEventListener("click", () => {
    controller?.abort();
    conversationId = "";
    intro();
    input.focus();
  });

  intro();
  return {
    el,
    setDirty(on) { note.hidden = !on; },
    refresh() { if (!conversationId && !controller) intro(); },
    stop() { controller?.abort(); },
  };
}
