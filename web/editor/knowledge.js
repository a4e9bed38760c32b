// Knowledge: the list of knowledge bases, and a base's page: drag-and-drop
// upload of several files, each with a progress bar that follows its
// ingestion to ready or failed, the documents, a chunk preview, a test
// search and the base's settings.
import {h, append, clear, replace, field, toast, confirmDialog, formDialog, formatTime,
        formatBytes, notice, showFieldError, clearFieldErrors} from "./dom.js";
import * as api from "./api.js";

const ACCEPT = ".txt,.md,.markdown,.html,.htm,.pdf,.csv,.tsv,.docx,.json";
const TERMINAL = new Set(["ready", "failed"]);

function statusBadge(doc) {
  const kind = {ready: "ok", failed: "error", embedding: "accent", parsing: "accent"}[doc.status] || "";
  return h("span", {class: ["badge", kind], title: doc.error || ""}, doc.status);
}

export async function knowledgeList(main, _m, {go}) {
  document.title = "Knowledge · Kiln";
  const grid = h("div", {class: "cards"}, notice("Loading…"));

  async function load() {
    const bases = await api.listAll("/v1/knowledge");
    clear(grid);
    if (!bases.length) grid.append(notice("No knowledge bases yet. Create one and upload documents."));
    for (const kb of bases) {
      const card = h("article", {class: "card", dataset: {id: kb.id}},
        h("div", {class: "card-head"}, h("a", {href: `#/knowledge/${kb.id}`}, kb.name)),
        h("p", {class: "desc"}, kb.description || "No description"),
        h("div", {class: "small muted"},
          `${kb.document_count} documents · ${kb.chunk_count} chunks · ${kb.settings.retrieval_mode}`),
        h("div", {class: "actions"},
          h("button", {type: "button", class: "small danger", "aria-label": `Delete ${kb.name}`, on: {click: async () => {
            if (!(await confirmDialog(`Delete “${kb.name}” and all its documents?`))) return;
            try {
              await api.del(`/v1/knowledge/${kb.id}`);
              card.remove();
            } catch (err) { toast(err.message, "error"); }
          }}}, "Delete")));
      grid.append(card);
    }
  }

  async function create() {
    const form = await formDialog("New knowledge base", [
      field("Name", h("input", {name: "name", required: true, maxlength: 100, autocomplete: "off"})),
      field("Description", h("textarea", {name: "description", rows: 2, maxlength: 2000}))]);
    if (!form) return;
    try {
      const kb = await api.post("/v1/knowledge", {name: form.get("name"), description: form.get("description")});
      go(`/knowledge/${kb.id}`);
    } catch (err) {
      toast(err.message, "error");
    }
  }

  replace(main,
    h("div", {class: "page-head"}, h("h1", null, "Knowledge"),
      h("button", {type: "button", class: "primary", on: {click: create}}, "Create knowledge base")),
    grid);
  await load();
}

export async function knowledgePage(main, m) {
  const id = m[1];
  const base = `/v1/knowledge/${encodeURIComponent(id)}`;
  let kb = await api.get(base);
  document.title = `${kb.name} · Knowledge · Kiln`;
  let destroyed = false;
  let pollTimer = 0;

  // ---- upload
  const input = h("input", {type: "file", multiple: true, accept: ACCEPT, class: "sr-only", id: "kb-files",
    "aria-label": "Choose files to upload"});
  const choose = h("button", {type: "button", class: "primary", on: {click: () => input.click()}}, "Choose files");
  const zone = h("div", {class: "dropzone", "aria-label": "Upload documents"},
    h("p", null, "Drop files here, or"), choose, input,
    h("p", {class: "small"}, "Text, Markdown, HTML, PDF, CSV/TSV, Word (.docx), JSON · several at once"));
  const uploads = h("div", {class: "uploads", "aria-live": "polite"});

  function uploadOne(file) {
    const bar = h("progress", {max: 1, value: 0, "aria-label": `Progress of ${file.name}`});
    const state = h("div", {class: "state"}, "Uploading…");
    const row = h("div", {class: "upload", dataset: {file: file.name}},
      h("span", {class: "name", title: file.name}, file.name), bar,
      h("span", {class: "small muted"}, formatBytes(file.size)), state);
    uploads.prepend(row);
    const setState = (text, kind) => {
      state.textContent = text;
      state.className = ["state", kind].filter(Boolean).join(" ");
      row.dataset.status = kind || "";
    };
    api.upload(`${base}/documents`, file, (f) => {
      bar.value = f * 0.2;
      setState(`Uploading ${Math.round(f * 100)}%`);
    }).then((res) => {
      const doc = res.data[0];
      const follow = async () => {
        if (destroyed) return;
        let d;
        try {
          d = await api.get(`${base}/documents/${doc.id}`);
        } catch (err) {
          setState(`Failed: ${err.message}`, "failed");
          return;
        }
        const p = d.progress || {};
        if (d.status === "ready") {
          bar.value = 1;
          setState(`Ready · ${p.chunks_total} chunks`, "ready");
          refreshDocs();
          return;
        }
        if (d.status === "failed") {
          bar.value = 1;
          setState(`Failed: ${d.error || "unknown reason"}`, "failed");
          refreshDocs();
          return;
        }
        if (d.status === "embedding" && p.chunks_total) {
          bar.value = 0.25 + 0.75 * (p.chunks_done / p.chunks_total);
          setState(`Embedding ${p.chunks_done} of ${p.chunks_total} chunks`);
        } else {
          bar.value = d.status === "parsing" ? 0.22 : 0.2;
          setState(d.status === "parsing" ? "Reading the document…" : "Queued");
        }
        setTimeout(follow, 500);
      };
      follow();
      refreshDocs();
    }).catch((err) => {
      bar.value = 1;
      setState(`Failed: ${err.message}`, "failed");
    });
  }
  const take = (files) => { for (const f of files) uploadOne(f); };
  input.addEventListener("change", () => {
    take([...input.files]);
    input.value = "";
  });
  zone.addEventListener("dragover", (e) => {
    e.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    take([...(e.dataTransfer?.files || [])]);
  });

  // ---- documents
  const docs = h("div", null, notice("Loading…"));
  async function refreshDocs() {
    clearTimeout(pollTimer);
    if (destroyed) return;
    let rows;
    try {
      rows = await api.listAll(`${base}/documents`, {max: 1000});
    } catch (err) {
      replace(docs, notice(err.message, "error"));
      return;
    }
    if (!rows.length) {
      replace(docs, h("p", {class: "muted"}, "No documents yet."));
      return;
    }
    replace(docs, h("table", {class: "data documents"},
      h("thead", null, h("tr", null, ["Name", "Status", "Chunks", "Size", "Updated", ""].map((t) => h("th", null, t)))),
      h("tbody", null, rows.map((d) => h("tr", {dataset: {id: d.id, status: d.status}},
        h("td", {class: "name"}, h("button", {type: "button", class: "link", on: {click: () => showChunks(d)}}, d.name),
          d.error ? h("div", {class: "field-error"}, d.error) : null),
        h("td", null, statusBadge(d)),
        h("td", null, d.progress ? `${d.progress.chunks_done}/${d.progress.chunks_total}` : ""),
        h("td", null, formatBytes(d.bytes || 0)),
        h("td", {class: "small muted"}, formatTime(d.updated_at)),
        h("td", null, h("button", {type: "button", class: "small danger", "aria-label": `Delete ${d.name}`,
          on: {click: async () => {
            if (!(await confirmDialog(`Delete “${d.name}”? Its chunks leave the search index.`))) return;
            try {
              await api.del(`${base}/documents/${d.id}`);
              refreshDocs();
            } catch (err) { toast(err.message, "error"); }
          }}}, "Delete")))))));
    if (rows.some((d) => !TERMINAL.has(d.status))) pollTimer = setTimeout(refreshDocs, 1500);
  }

  // ---- chunk preview
  const chunkPanel = h("section", {class: "panel", "aria-label": "Chunks"},
    h("h2", null, "Chunks"), h("p", {class: "muted"}, "Choose a document to see how it was cut."));
  async function showChunks(doc) {
    const list = h("div", {class: "chunks"});
    const more = h("button", {type: "button", class: "small", hidden: true}, "Load more");
    replace(chunkPanel, h("h2", null, `Chunks of ${doc.name}`), list, more);
    let cursor = "";
    const page = async () => {
      const params = new URLSearchParams({limit: "20"});
      if (cursor) params.set("cursor", cursor);
      try {
        const r = await api.get(`${base}/documents/${doc.id}/chunks?${params}`);
        for (const c of r.data) {
          list.append(h("div", {class: "chunk-card"},
            h("div", {class: "head"}, h("span", null, `#${c.position + 1}`), h("span", null, `${c.tokens} tokens`),
              c.heading_path?.length ? h("span", null, c.heading_path.join(" › ")) : null),
            h("div", {class: "text"}, c.text)));
        }
        if (!r.data.length && !cursor) list.append(h("p", {class: "muted"}, "No chunks (yet)."));
        cursor = r.next_cursor || "";
        more.hidden = !r.has_more;
      } catch (err) {
        list.append(notice(err.message, "error"));
      }
    };
    more.addEventListener("click", page);
    await page();
    chunkPanel.scrollIntoView({block: "nearest"});
  }

  // ---- test search
  const query = h("input", {type: "search", placeholder: "Ask what a user would ask", maxlength: 2000});
  const mode = h("select", null, ["hybrid", "semantic", "full_text"].map((x) =>
    h("option", {value: x, selected: x === kb.settings.retrieval_mode}, x.replace("_", " "))));
  const topK = h("input", {type: "number", min: 1, max: 50, value: kb.settings.top_k});
  const minScore = h("input", {type: "number", min: 0, max: 1, step: 0.05, value: kb.settings.min_score});
  const results = h("div", {class: "chunks search-results", "aria-live": "polite"});
  const searchForm = h("form", {class: "panel", "aria-label": "Test search", on: {submit: async (e) => {
    e.preventDefault();
    if (!query.value.trim()) return;
    clearFieldErrors(searchForm);
    replace(results, notice("Searching…"));
    try {
      const r = await api.post(`${base}/search`, {query: query.value, mode: mode.value,
        top_k: Number(topK.value), min_score: Number(minScore.value)});
      clear(results);
      if (!r.data.length) results.append(h("p", {class: "muted"}, "Nothing scores above the minimum."));
      for (const c of r.data) {
        results.append(h("div", {class: "chunk-card result"},
          h("div", {class: "head"},
            h("strong", null, Number(c.score).toFixed(3)),
            h("span", null, `semantic ${Number(c.semantic_score ?? 0).toFixed(3)} · text ${Number(c.text_score ?? 0).toFixed(3)}`),
            h("span", null, `${c.document_name} #${c.position + 1}`)),
          h("div", {class: "text"}, c.text)));
      }
    } catch (err) {
      clear(results);
      if (!showFieldError(searchForm, err.param, err.message)) results.append(notice(err.message, "error"));
    }
  }}},
    h("h2", null, "Test search"),
    field("Query", query, {param: "query"}),
    h("div", {class: "grid-2"}, field("Mode", mode, {param: "mode"}), field("Top K", topK, {param: "top_k"})),
    field("Minimum score", minScore, {param: "min_score"}),
    h("div", {class: "actions end"}, h("button", {type: "submit", class: "primary"}, "Search")),
    results);

  // ---- settings
  const s = kb.settings;
  const num = (key, attrs) => h("input", {type: "number", value: s[key], ...attrs});
  const set = {
    chunk_size: num("chunk_size", {min: 16, max: 4096}),
    chunk_overlap: num("chunk_overlap", {min: 0, max: 1024}),
    retrieval_mode: h("select", null, ["hybrid", "semantic", "full_text"].map((x) =>
      h("option", {value: x, selected: x === s.retrieval_mode}, x.replace("_", " ")))),
    top_k: num("top_k", {min: 1, max: 50}),
    min_score: num("min_score", {min: 0, max: 1, step: 0.05}),
  };
  const settingsForm = h("form", {class: "section-body", on: {submit: async (e) => {
    e.preventDefault();
    clearFieldErrors(settingsForm);
    const settings = {};
    for (const [k, el] of Object.entries(set)) settings[k] = el.tagName === "SELECT" ? el.value : Number(el.value);
    try {
      kb = await api.patch(base, {settings});
      toast("Settings saved");
      refreshDocs();
    } catch (err) {
      if (!showFieldError(settingsForm, err.param, err.message)) toast(err.message, "error");
    }
  }}},
    h("div", {class: "grid-2"},
      field("Chunk size (tokens)", set.chunk_size, {param: "settings.chunk_size"}),
      field("Overlap (tokens)", set.chunk_overlap, {param: "settings.chunk_overlap"}),
      field("Retrieval", set.retrieval_mode, {param: "settings.retrieval_mode"}),
      field("Top K", set.top_k, {param: "settings.top_k"}),
      field("Minimum score", set.min_score, {param: "settings.min_score"})),
    h("p", {class: "hint"}, "A new chunk size or overlap reads every document again."),
    h("div", {class: "actions end"}, h("button", {type: "submit"}, "Save settings")));

  replace(main,
    h("div", {class: "page-head"},
      h("a", {href: "#/knowledge", class: "small"}, "← Knowledge"),
      h("h1", null, kb.name),
      h("span", {class: "badge"}, kb.settings.embedding_model)),
    kb.description ? h("p", {class: "muted"}, kb.description) : null,
    h("div", {class: "two-col"},
      h("div", null,
        h("section", {class: "panel", "aria-label": "Upload"}, h("h2", null, "Upload"), zone, uploads),
        h("section", {class: "panel", "aria-label": "Documents"}, h("h2", null, "Documents"), docs)),
      h("div", null, searchForm, chunkPanel,
        h("details", {class: "section panel"}, h("summary", null, "Settings"), settingsForm))));
  refreshDocs();

  return {
    destroy() {
      destroyed = true;
      clearTimeout(pollTimer);
    },
  };
}
