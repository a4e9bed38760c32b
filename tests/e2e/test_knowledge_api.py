"""Knowledge bases end to end, on the real server with the real MiniLM
embedding model, SQLite FTS5 and FAISS: the five real Chinese documents of
../shared/corpus and English Markdown/PDF/CSV/DOCX/HTML files made here,
factual questions whose answering passage must be in the top 5, documents by
URL (through the outbound guard), replacement and deletion, hostile uploads,
and kill -9 in the middle of ingestion."""
import io
import json
import os
import pathlib
import signal
import socket
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from conftest import ADMIN_KEY, KilnServer

CORPUS = pathlib.Path(__file__).resolve().parents[3] / "shared" / "corpus"
if not CORPUS.exists():
    CORPUS = pathlib.Path("/work/shared/corpus")
H = {"Authorization": f"Bearer {ADMIN_KEY}"}


# ---- files made by the tests ----

MARKDOWN = """# Kiln X200 kettle manual

## Safety
Never immerse the base in water. Keep the lid closed while boiling.

## Warranty
The Kiln X200 kettle comes with a warranty of two years from the date of purchase.
Repairs under warranty are free of charge in every country where it is sold.

## Cleaning
Descale the kettle every month with white vinegar and rinse it three times.
"""


def make_pdf(lines_per_page):
    """A real PDF (Helvetica text, correct xref) with one page per list item."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", None,
               "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for lines in lines_per_page:
        ops = ["BT", "/F1 12 Tf", "72 720 Td", "14 TL"]
        for line in lines:
            text = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"({text}) Tj T*")
        ops.append("ET")
        stream = "\n".join(ops)
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
        content_id = len(objects)
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                       f"/Resources << /Font << /F1 3 0 R >> >> /Contents {content_id} 0 R >>")
        kids.append(len(objects))
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>"
    out = b"%PDF-1.4\n"
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


PDF = make_pdf([
    ["The Solar System", "", "Jupiter is the largest planet and has the Great Red Spot,",
     "a storm larger than the Earth that has lasted for centuries."],
    ["Saturn is famous for its bright rings made of ice and rock.",
     "", "Mars is called the red planet because of iron oxide dust."],
])

CSV = ("city,country,population\n"
       "Reykjavik,Iceland,139875\n"
       "Oslo,Norway,709037\n"
       "\"Bergen, Vestland\",Norway,291189\n"
       "Tromso,Norway,77544\n")


def make_docx(paragraphs):
    """A real .docx: [Content_Types].xml and word/document.xml, deflated."""
    body = ""
    for style, text in paragraphs:
        ppr = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
        text = text.replace("&", "&amp;").replace("<", "&lt;")
        body += f"<w:p>{ppr}<w:r><w:t xml:space=\"preserve\">{text}</w:t></w:r></w:p>"
    document = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                f"<w:body>{body}</w:body></w:document>")
    types = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
             'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/>'
             '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
             'officedocument.wordprocessingml.document.main+xml"/></Types>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", types)
        z.writestr("word/document.xml", document)
    return buf.getvalue()


DOCX = make_docx([
    ("Heading1", "The Lighthouse Society"),
    ("", "The Lighthouse Society was founded in 1921 by Margaret Olsen, a keeper's daughter."),
    ("", "Its members restore old lighthouses along the northern coast."),
    ("Heading1", "Membership"),
    ("", "Membership costs forty euros a year and includes a quarterly newsletter."),
])


# ---- helpers ----

def create_base(server, name="kb", **settings):
    r = requests.post(server.url + "/v1/knowledge", headers=H,
                      json={"name": name, "settings": settings} if settings else {"name": name})
    assert r.status_code == 201, r.text
    return r.json()


def upload(server, kb, files):
    """files: [(name, bytes, content_type)]; returns the documents."""
    r = requests.post(f"{server.url}/v1/knowledge/{kb['id']}/documents", headers=H,
                      files=[("file", (n, b, t)) for n, b, t in files])
    assert r.status_code == 202, r.text
    return r.json()["data"]


def wait_done(server, kb, doc_ids, timeout=180):
    deadline = time.time() + timeout
    while time.time() < deadline:
        docs = [requests.get(f"{server.url}/v1/knowledge/{kb['id']}/documents/{d}", headers=H).json()
                for d in doc_ids]
        if all(d.get("status") in ("ready", "failed") for d in docs):
            return docs
        time.sleep(0.2)
    raise AssertionError(f"documents not done in {timeout} s: {docs}")


def search(server, kb, query, **kw):
    r = requests.post(f"{server.url}/v1/knowledge/{kb['id']}/search", headers=H,
                      json={"query": query, **kw})
    assert r.status_code == 200, r.text
    return r.json()["data"]


@pytest.fixture(scope="module")
def server():
    binary = os.environ.get("KILN_BIN")
    if not binary:
        pytest.fail("KILN_BIN must name the kiln binary (make test sets it)")
    s = KilnServer(binary, ["--allow-private-fetch"])
    s.start()
    yield s
    s.close()


@pytest.fixture(scope="module")
def corpus_base(server):
    kb = create_base(server, "corpus")
    files = [(p.name, p.read_bytes(), "text/plain") for p in sorted(CORPUS.glob("0*.txt"))]
    assert len(files) == 5, f"the corpus is missing from {CORPUS}"
    docs = upload(server, kb, files)
    done = wait_done(server, kb, [d["id"] for d in docs])
    return kb, done


@pytest.fixture(scope="module")
def english_base(server):
    kb = create_base(server, "english")
    docs = upload(server, kb, [
        ("kettle.md", MARKDOWN.encode(), "text/markdown"),
        ("planets.pdf", PDF, "application/pdf"),
        ("cities.csv", CSV.encode(), "text/csv"),
        ("society.docx", DOCX,
         "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ])
    done = wait_done(server, kb, [d["id"] for d in docs])
    return kb, done


# ---- tests ----

def test_the_chinese_corpus_ingests_without_error(corpus_base):
    kb, docs = corpus_base
    for d in docs:
        assert d["status"] == "ready", d
        assert d["encoding"] == "utf-8" and d["format"] == "txt"
        assert d["progress"]["chunks_done"] == d["progress"]["chunks_total"] > 0
    assert len({d["sha256"] for d in docs}) == 5


@pytest.mark.parametrize("question,answer", [
    ("截至今年4月底国内推出了多少个大模型？", "305"),
    ("GPT-3训练一次的成本是多少？", "140万美元"),
    ("荣耀发布的端侧AI大模型叫什么名字？", "魔法大模型"),
    ("文心一言的用户规模达到了多少？", "4.3億"),
    ("人工智能的概念是在哪一年的达特茅斯会议上首次提出的？", "1956"),
])
def test_chinese_questions_find_their_passage(server, corpus_base, question, answer):
    kb, _ = corpus_base
    hits = search(server, kb, question, top_k=5)
    assert any(answer in h["text"] for h in hits), [h["text"][:80] for h in hits]
    for h in hits:
        assert 0 <= h["score"] <= 1 and h["document_name"].endswith(".txt")
        assert h["position"] >= 0 and isinstance(h["heading_path"], list)


@pytest.mark.parametrize("question,answer,doc", [
    ("How long is the warranty of the X200 kettle?", "two years", "kettle.md"),
    ("Which planet has the Great Red Spot?", "Great Red Spot", "planets.pdf"),
    ("What is the population of Reykjavik?", "139875", "cities.csv"),
    ("Who founded the Lighthouse Society?", "Margaret Olsen", "society.docx"),
])
def test_english_questions_find_their_passage(server, english_base, question, answer, doc):
    kb, docs = english_base
    assert all(d["status"] == "ready" for d in docs), docs
    for mode in ("hybrid", "semantic", "full_text"):
        hits = search(server, kb, question, top_k=5, min_score=0, mode=mode)
        assert any(answer in h["text"] and h["document_name"] == doc for h in hits), (mode, hits)


def test_structure_is_kept(server, english_base):
    kb, docs = english_base
    by_name = {d["name"]: d for d in docs}
    assert by_name["cities.csv"]["progress"]["chunks_total"] == 4  # one chunk per row
    hits = search(server, kb, "Bergen population", top_k=1, min_score=0, mode="full_text")
    assert "city: Bergen, Vestland" in hits[0]["text"] and "population: 291189" in hits[0]["text"]
    hits = search(server, kb, "warranty two years", top_k=1, min_score=0)
    assert hits[0]["heading_path"][-1] == "Warranty"
    assert by_name["society.docx"]["format"] == "docx"
    assert by_name["planets.pdf"]["format"] == "pdf"


def test_document_chunks_are_listed_in_order_with_a_cursor(server, corpus_base):
    kb, docs = corpus_base
    doc = docs[0]
    url = f"{server.url}/v1/knowledge/{kb['id']}/documents/{doc['id']}/chunks"
    seen, cursor = [], None
    while True:
        r = requests.get(url, headers=H, params={"limit": 7, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["data"]) <= 7
        seen += page["data"]
        if not page["has_more"]:
            break
        cursor = page["next_cursor"]
    assert [c["position"] for c in seen] == list(range(doc["progress"]["chunks_total"]))
    assert all(c["text"] and c["tokens"] > 0 for c in seen)
    r = requests.get(f"{server.url}/v1/knowledge/{kb['id']}/documents/doc_nope/chunks", headers=H)
    assert r.status_code == 404 and "error" in r.json()
    r = requests.get(url, headers=H, params={"cursor": "x'; drop"})
    assert r.status_code == 400 and r.json()["error"]["param"] == "cursor", r.text


def test_settings_defaults_and_validation(server):
    kb = create_base(server, "settings")
    s = kb["settings"]
    assert s["top_k"] == 3 and s["min_score"] == 0.5 and s["retrieval_mode"] == "hybrid"
    assert s["chunk_size"] > 0 and s["embedding_model"]
    for bad in ({"chunk_size": 5}, {"top_k": 0}, {"min_score": 2}, {"retrieval_mode": "magic"},
                {"separators": [{"regex": "("}]}, {"embedding_model": "nope"},
                {"chunk_overlap": 400, "chunk_size": 500}):
        r = requests.post(server.url + "/v1/knowledge", headers=H,
                          json={"name": "x", "settings": bad})
        assert r.status_code == 400, (bad, r.text)
        assert r.json()["error"]["param"].startswith("settings"), r.text
    r = requests.patch(f"{server.url}/v1/knowledge/{kb['id']}", headers=H,
                       json={"settings": {"top_k": 7, "separators": ["###", {"regex": "第[一二三]条"}]}})
    assert r.status_code == 200, r.text
    assert r.json()["settings"]["top_k"] == 7
    # Bots attach knowledge by id; unknown ids are refused.
    r = requests.post(server.url + "/v1/bots", headers=H,
                      json={"name": "librarian", "knowledge_ids": [kb["id"]]})
    assert r.status_code == 201, r.text
    r = requests.post(server.url + "/v1/bots", headers=H,
                      json={"name": "librarian", "knowledge_ids": ["kb_missing"]})
    assert r.status_code == 400 and r.json()["error"]["param"] == "knowledge_ids[0]"


def test_text_documents_replace_and_delete(server):
    kb = create_base(server, "lifecycle")
    r = requests.post(f"{server.url}/v1/knowledge/{kb['id']}/documents", headers=H,
                      json={"text": "Penguins live in the southern hemisphere.", "name": "notes"})
    assert r.status_code == 202, r.text
    first = r.json()["data"][0]
    assert first["name"] == "notes.txt" and first["source"] == "text"
    wait_done(server, kb, [first["id"]])
    assert search(server, kb, "penguins hemisphere", min_score=0, mode="full_text")
    # Re-upload under the same name replaces it once the new one is ready.
    r = requests.post(f"{server.url}/v1/knowledge/{kb['id']}/documents", headers=H,
                      json={"text": "Walruses live in the Arctic.", "name": "notes.txt"})
    second = r.json()["data"][0]
    assert second["replaces"] == first["id"]
    wait_done(server, kb, [second["id"]])
    assert requests.get(f"{server.url}/v1/knowledge/{kb['id']}/documents/{first['id']}",
                        headers=H).status_code == 404
    assert not search(server, kb, "penguins hemisphere", min_score=0, mode="full_text")
    assert search(server, kb, "walruses arctic", min_score=0, mode="hybrid")
    listed = requests.get(f"{server.url}/v1/knowledge/{kb['id']}/documents", headers=H).json()
    assert [d["id"] for d in listed["data"]] == [second["id"]]
    # Delete: gone from both indexes.
    r = requests.delete(f"{server.url}/v1/knowledge/{kb['id']}/documents/{second['id']}", headers=H)
    assert r.status_code == 200 and r.json()["deleted"] is True
    for mode in ("semantic", "full_text", "hybrid"):
        assert search(server, kb, "walruses arctic", min_score=0, mode=mode) == []
    r = requests.delete(f"{server.url}/v1/knowledge/{kb['id']}", headers=H)
    assert r.status_code == 200
    assert requests.get(f"{server.url}/v1/knowledge/{kb['id']}", headers=H).status_code == 404


class _Page(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        body = ("<html><head><title>Glassblowing</title><style>p{}</style></head><body>"
                "<h1>Glassblowing</h1><p>Glass is blown at about 1100 degrees Celsius.</p>"
                "<script>var secret = 'never indexed';</script></body></html>").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_documents_by_url_pass_the_outbound_guard(server, kiln):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/articles/glass"
    try:
        # This server allows private addresses (--allow-private-fetch): fetched and indexed.
        kb = create_base(server, "web")
        r = requests.post(f"{server.url}/v1/knowledge/{kb['id']}/documents", headers=H, json={"url": url})
        assert r.status_code == 202, r.text
        doc = wait_done(server, kb, [r.json()["data"][0]["id"]])[0]
        assert doc["status"] == "ready", doc
        assert doc["name"] == "glass.html" and doc["source_url"] == url and doc["bytes"] > 0
        hits = search(server, kb, "temperature of glass blowing", min_score=0)
        assert any("1100 degrees" in h["text"] for h in hits)
        assert not search(server, kb, "secret never indexed", min_score=0, mode="full_text")
        # The default server refuses loopback: the document fails with the reason.
        kb2 = create_base(kiln, "web")
        r = requests.post(f"{kiln.url}/v1/knowledge/{kb2['id']}/documents", headers=H, json={"url": url})
        doc = wait_done(kiln, kb2, [r.json()["data"][0]["id"]])[0]
        assert doc["status"] == "failed" and "private" in doc["error"], doc
        for bad in ("ftp://x/y", "file:///etc/passwd", "", "http://"):
            r = requests.post(f"{kiln.url}/v1/knowledge/{kb2['id']}/documents", headers=H, json={"url": bad})
            assert r.status_code in (400, 202), r.text
            if r.status_code == 202:
                d = wait_done(kiln, kb2, [r.json()["data"][0]["id"]])[0]
                assert d["status"] == "failed", d
    finally:
        httpd.shutdown()


def test_hostile_uploads(server):
    kb = create_base(server, "hostile")
    url = f"{server.url}/v1/knowledge/{kb['id']}/documents"
    # Empty file, unsupported type: refused at once.
    r = requests.post(url, headers=H, files=[("file", ("empty.txt", b"", "text/plain"))])
    assert r.status_code == 422 and "empty" in r.json()["error"]["message"]
    r = requests.post(url, headers=H, files=[("file", ("tool.exe", b"MZ\x90\x00", "application/x-msdownload"))])
    assert r.status_code == 422 and "not supported" in r.json()["error"]["message"]
    # Binary junk named .txt, a text file named .pdf, a zip bomb named .docx:
    # accepted, then failed with a reason, never indexed.
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"<w:document>" + b"A" * (200 << 20) + b"</w:document>")
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64
    docs = upload(server, kb, [("picture.txt", png, "text/plain"),
                               ("fake.pdf", b"just some text, not a pdf", "application/pdf"),
                               ("bomb.docx", bomb.getvalue(), "application/octet-stream"),
                               ("../../../etc/passwd.txt", b"root is the admin of this box", "text/plain")])
    done = {d["name"]: d for d in wait_done(server, kb, [d["id"] for d in docs])}
    assert done["picture.txt"]["status"] == "failed" and "not text" in done["picture.txt"]["error"]
    assert done["fake.pdf"]["status"] == "failed"
    assert done["bomb.docx"]["status"] == "failed"
    assert done["passwd.txt"]["status"] == "ready"  # the path is gone from the name
    assert requests.get(f"{server.url}/v1/knowledge/{kb['id']}", headers=H).json()["chunk_count"] == 1
    # Not multipart, not JSON; a form with no file.
    assert requests.post(url, headers={**H, "Content-Type": "text/plain"}, data=b"x").status_code == 400
    r = requests.post(url, headers=H, files=[("note", (None, "just a field"))])
    assert r.status_code == 400
    # A 1 GB body is refused from its Content-Length, without being read.
    s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    head = (f"POST /v1/knowledge/{kb['id']}/documents HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer {ADMIN_KEY}\r\nContent-Type: multipart/form-data; boundary=b\r\n"
            f"Content-Length: {1 << 30}\r\n\r\n").encode()
    started = time.time()
    s.sendall(head + b"--b\r\n" + b"x" * 65536)
    reply = s.recv(4096).decode("latin-1")
    s.close()
    assert reply.startswith("HTTP/1.1 413"), reply[:200]
    assert time.time() - started < 5
    # Another workspace cannot see or search it.
    r = requests.post(server.url + "/v1/keys", headers=H, json={"name": "other", "workspace": "ws_other"})
    other = {"Authorization": f"Bearer {r.json()['key']}"}
    assert requests.get(f"{server.url}/v1/knowledge/{kb['id']}", headers=other).status_code == 404
    r = requests.post(f"{server.url}/v1/knowledge/{kb['id']}/search", headers=other, json={"query": "root"})
    assert r.status_code == 404


def test_kill_during_ingestion_leaves_a_consistent_state():
    binary = os.environ.get("KILN_BIN")
    s = KilnServer(binary)
    s.start()
    try:
        kb = create_base(s, "crash", chunk_size=64, chunk_overlap=0)
        text = "".join(p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("0*.txt")))
        big = (text * 3).encode()
        doc = upload(s, kb, [("big.txt", big, "text/plain")])[0]
        small = upload(s, kb, [("small.md", MARKDOWN.encode(), "text/markdown")])[0]
        # Wait until the big one is being embedded, then kill -9.
        deadline = time.time() + 120
        while time.time() < deadline:
            d = requests.get(f"{s.url}/v1/knowledge/{kb['id']}/documents/{doc['id']}", headers=H).json()
            if d["status"] == "embedding" and d["progress"]["chunks_done"] > 0:
                break
            time.sleep(0.05)
        assert d["status"] == "embedding", d
        s.proc.send_signal(signal.SIGKILL)
        s.proc.wait()
        s.start()  # same data folder
        # Nothing of the interrupted document is searchable until it is done again.
        d = requests.get(f"{s.url}/v1/knowledge/{kb['id']}/documents/{doc['id']}", headers=H).json()
        assert d["status"] in ("queued", "parsing", "embedding"), d
        done = wait_done(s, kb, [doc["id"], small["id"]], timeout=300)
        assert all(x["status"] == "ready" for x in done), done
        total = sum(x["progress"]["chunks_total"] for x in done)
        base = requests.get(f"{s.url}/v1/knowledge/{kb['id']}", headers=H).json()
        assert base["chunk_count"] == total  # no chunk twice, none missing
        hits = search(s, kb, "截至今年4月底国内推出了多少个大模型", top_k=10, min_score=0)
        assert any("305" in h["text"] for h in hits)
        ids = [h["chunk_id"] for h in hits]
        assert len(ids) == len(set(ids))
        # A clean restart keeps everything (the index comes back from its file).
        s.stop()
        s.start()
        again = search(s, kb, "截至今年4月底国内推出了多少个大模型", top_k=10, min_score=0)
        assert [h["chunk_id"] for h in again] == ids
    finally:
        s.close()
