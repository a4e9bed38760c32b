// Markdown for chat answers, rendered safely: the text is parsed here into
// DOM nodes (paragraphs, headings, lists, quotes, code, tables, emphasis,
// links, citation chips) and never handed to an HTML parser, so `<script>`
// or `<img onerror>` in a model's or tool's output shows as those characters.
// Links keep only http(s) targets. Unfinished syntax (a stream cut mid-way)
// renders as text.
import {h} from "./dom.js";

const INLINE = new RegExp([
  "`([^`\\n]+)`",                                      // 1 code
  "\\[([^\\]\\n]{1,500})\\]\\(([^)\\s]{1,2000})\\)",   // 2 text, 3 url
  "\\[(\\d{1,3})\\]",                                  // 4 citation
  "\\*\\*([^*\\n]+?)\\*\\*|__([^_\\n]+?)__",           // 5, 6 strong
  "\\*([^*\\s][^*\\n]*?)\\*|(?<![\\w])_([^_\\s][^_\\n]*?)_(?![\\w])",  // 7, 8 emphasis
  "~~([^~\\n]+?)~~",                                   // 9 strike
  "(https?://[^\\s<>()\\[\\]]+[^\\s<>()\\[\\].,;:!?'\"])",  // 10 bare link
].join("|"));

export function safeUrl(url) {
  try {
    const u = new URL(url, window.location.href);
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
  } catch {
    return null;
  }
}

function link(text, url) {
  const href = safeUrl(url);
  if (!href) return document.createTextNode(text);
  return h("a", {href, target: "_blank", rel: "noopener noreferrer nofollow"}, text);
}

// Inline syntax of one line (or a paragraph's joined lines).
function inline(text, ctx) {
  const out = [];
  let last = 0;
  // A regex of its own: the nested calls for **strong** text would move a
  // shared one's lastIndex back and loop forever.
  const re = new RegExp(INLINE.source, "g");
  let m;
  while ((m = re.exec(text)) !== null) {
    if (m.index > last) out.push(document.createTextNode(text.slice(last, m.index)));
    last = re.lastIndex;
    if (m[1] !== undefined) out.push(h("code", null, m[1]));
    else if (m[2] !== undefined) out.push(link(m[2], m[3]));
    else if (m[4] !== undefined) out.push(ctx.cite ? ctx.cite(Number(m[4]), m[0]) : m[0]);
    else if (m[5] !== undefined || m[6] !== undefined) out.push(h("strong", null, inline(m[5] ?? m[6], ctx)));
    else if (m[7] !== undefined || m[8] !== undefined) out.push(h("em", null, inline(m[7] ?? m[8], ctx)));
    else if (m[9] !== undefined) out.push(h("del", null, inline(m[9], ctx)));
    else if (m[10] !== undefined) out.push(link(m[10], m[10]));
  }
  if (last < text.length) out.push(document.createTextNode(text.slice(last)));
  return out;
}

// Lines joined inside a paragraph keep their breaks.
function lines(list, ctx) {
  const out = [];
  list.forEach((line, i) => {
    if (i) out.push(h("br"));
    out.push(...inline(line, ctx));
  });
  return out;
}

const FENCE = /^\s*(```|~~~)\s*([\w+-]*)\s*$/;
const HEADING = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const RULE = /^\s{0,3}([-*_])(\s*\1){2,}\s*$/;
const QUOTE = /^\s{0,3}>\s?(.*)$/;
const BULLET = /^(\s*)([-*+])\s+(.*)$/;
const ORDERED = /^(\s*)(\d{1,9})[.)]\s+(.*)$/;
const TABLE_SEP = /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/;

function cells(row) {
  let s = row.trim();
  if (s.startsWith("|")) s = s.slice(1);
  if (s.endsWith("|")) s = s.slice(0, -1);
  return s.split("|").map((c) => c.trim());
}

function blocks(src, ctx, depth) {
  const all = src.split("\n");
  const out = [];
  let i = 0;
  const isBlockStart = (line) =>
    FENCE.test(line) || HEADING.test(line) || RULE.test(line) || QUOTE.test(line) ||
    BULLET.test(line) || ORDERED.test(line);
  while (i < all.length) {
    const line = all[i];
    if (line.trim() === "") {
      i += 1;
      continue;
    }
    let m;
    if ((m = FENCE.exec(line))) {
      const body = [];
      i += 1;
      while (i < all.length && !(all[i].trim().startsWith(m[1]))) body.push(all[i++]);
      i += 1;  // the closing fence (or past the end while streaming)
      const code = h("code", m[2] ? {class: `lang-${m[2]}`} : null, body.join("\n"));
      out.push(h("pre", null, code));
      continue;
    }
    if ((m = HEADING.exec(line))) {
      const level = Math.min(6, m[1].length + 2);  // answers sit inside a page: # is h3
      out.push(h(`h${level}`, null, inline(m[2], ctx)));
      i += 1;
      continue;
    }
    if (RULE.test(line)) {
      out.push(h("hr"));
      i += 1;
      continue;
    }
    if (QUOTE.test(line) && depth < 4) {
      const body = [];
      while (i < all.length && (m = QUOTE.exec(all[i]))) {
        body.push(m[1]);
        i += 1;
      }
      out.push(h("blockquote", null, blocks(body.join("\n"), ctx, depth + 1)));
      continue;
    }
    if (BULLET.test(line) || ORDERED.test(line)) {
      const ordered = !BULLET.test(line);
      const re = ordered ? ORDERED : BULLET;
      const start = ordered ? Number(ORDERED.exec(line)[2]) : 1;
      const items = [];
      while (i < all.length) {
        const cur = all[i];
        if ((m = re.exec(cur))) {
          items.push([m[3]]);
        } else if (cur.trim() !== "" && items.length && /^\s+/.test(cur) && !isBlockStart(cur.trim())) {
          items[items.length - 1].push(cur.trim());  // a continuation line
        } else {
          break;
        }
        i += 1;
      }
      const list = h(ordered ? "ol" : "ul", ordered && start !== 1 ? {start} : null,
        items.map((item) => h("li", null, lines(item, ctx))));
      out.push(list);
      continue;
    }
    if (line.includes("|") && i + 1 < all.length && TABLE_SEP.test(all[i + 1])) {
      const head = cells(line);
      i += 2;
      const rows = [];
      while (i < all.length && all[i].includes("|") && all[i].trim() !== "") rows.push(cells(all[i++]));
      out.push(h("div", {class: "table-wrap"}, h("table", null,
        h("thead", null, h("tr", null, head.map((c) => h("th", null, inline(c, ctx))))),
        h("tbody", null, rows.map((r) => h("tr", null, head.map((_, k) => h("td", null, inline(r[k] ?? "", ctx)))))))));
      continue;
    }
    const para = [];
    while (i < all.length && all[i].trim() !== "" && (para.length === 0 || !isBlockStart(all[i]))) {
      para.push(all[i]);
      i += 1;
    }
    out.push(h("p", null, lines(para, ctx)));
  }
  return out;
}

// renderMarkdown(text, {cite(n, raw) -> Node}) -> DocumentFragment
export function renderMarkdown(text, ctx = {}) {
  const frag = document.createDocumentFragment();
  for (const node of blocks(String(text ?? "").replace(/\r\n?/g, "\n"), ctx, 0)) frag.appendChild(node);
  return frag;
}
