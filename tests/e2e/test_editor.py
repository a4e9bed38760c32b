"""The browser editor in a real browser: Debian's chromium driven by
Playwright against the running server with the real models. Signing in and
out, a bot built from nothing (knowledge uploaded by file chooser and by
drag and drop, a plugin imported from the weather example, validation
errors beside their field, unsaved-change guards), the preview chat
streaming with citations and a tool trace, publishing, the conversation
log, keyboard use, a phone-sized window and dark mode, and hostile text in
documents and tool results rendered as text. Firefox (Debian's firefox-esr,
through its own Marionette protocol) signs in, edits and chats too.

Screenshots of each main screen go to $KILN_BUILD_DIR/test-artifacts/editor/."""
import json
import os
import re
import sys
import pathlib
import time

import pytest
import requests
from playwright.sync_api import expect, sync_playwright

from conftest import ADMIN_KEY, start_kiln, stock_quote_service
from marionette import Firefox

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus"
if not CORPUS.exists():
    CORPUS = pathlib.Path("/work/shared/corpus")
BUILD = pathlib.Path(os.environ.get("KILN_BUILD_DIR", ROOT / "build"))
ARTIFACTS = BUILD / "test-artifacts" / "editor"
CHROMIUM = os.environ.get("KILN_CHROMIUM", "/usr/bin/chromium")
H = {"Authorization": f"Bearer {ADMIN_KEY}"}

PAYLOAD = ('<script>window.__pwned = 1</script><img src="x" onerror="window.__pwned = 2">'
           '<a href="javascript:window.__pwned=3">click</a>')


@pytest.fixture(scope="module")
def hostile():
    """An OpenAPI service whose quotes carry markup."""
    with stock_quote_service(f"ACME trades at 42.00 {PAYLOAD}".encode()) as port:
        yield port


@pytest.fixture(scope="module")
def server(weather, hostile):
    s = start_kiln("--outbound-allow", f"127.0.0.1:{weather},127.0.0.1:{hostile}")
    yield s
    s.close()


@pytest.fixture(scope="module")
def browser():
    assert pathlib.Path(CHROMIUM).exists(), f"{CHROMIUM} is missing (scripts/setup installs chromium)"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


class Page:
    """A page of the editor, with the errors the browser reported."""

    def __init__(self, browser, server, **context):
        self.context = browser.new_context(**{"viewport": {"width": 1280, "height": 800}, **context})
        self.page = self.context.new_page()
        self.page.set_default_timeout(20000)
        self.server = server
        self.errors = []
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        # Refused API calls are part of the tests (401, 404); anything else
        # the console reports as an error (a CSP violation, an exception) fails.
        self.page.on("console", lambda m: self.errors.append(f"console: {m.text}")
                     if m.type == "error" and not m.text.startswith("Failed to load resource")
                     else None)

    def open(self, path="/"):
        self.page.goto(self.server.url + path)
        return self.page

    def sign_in(self, key=ADMIN_KEY):
        page = self.open("/")
        page.fill("#api-key", key)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Bots")).to_be_visible()
        return page

    def shot(self, name):
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)

    def close(self):
        self.context.close()
        assert not self.errors, self.errors


@pytest.fixture
def ui(browser, server):
    pages = []

    def make(**context):
        p = Page(browser, server, **context)
        pages.append(p)
        return p
    yield make
    for p in pages:
        p.close()


def api(server, method, path, **kw):
    r = requests.request(method, server.url + path, headers=H, timeout=120, **kw)
    assert r.status_code < 300, r.text
    return r.json()


def wait_ready_docs(server, kb, count, timeout=300):
    deadline = time.time() + timeout
    while time.time() < deadline:
        docs = api(server, "GET", f"/v1/knowledge/{kb}/documents")["data"]
        if len(docs) >= count and all(d["status"] in ("ready", "failed") for d in docs):
            return docs
        time.sleep(0.3)
    raise AssertionError(f"documents not done: {docs}")


def record_stream(page):
    """Starts recording the length of the newest answer's text at every change."""
    page.evaluate("""() => {
      window.__lengths = [];
      const box = document.querySelector('.chat .messages');
      new MutationObserver(() => {
        const all = box.querySelectorAll('.msg.assistant .content');
        const last = all[all.length - 1];
        if (last) window.__lengths.push(last.textContent.length);
      }).observe(box, {childList: true, subtree: true, characterData: true});
    }""")


def wait_answer(page, timeout=120000):
    """Waits until the newest answer is done (its meta line shows); returns it."""
    answer = page.locator(".chat .msg.assistant").last
    expect(answer.locator(".bubble")).not_to_have_class("bubble cursor", timeout=timeout)
    expect(page.get_by_role("button", name="Send")).to_be_visible(timeout=timeout)
    return answer


# ---------------------------------------------------------------- tests

def test_sign_in_refuses_a_bad_key_and_sign_out_forgets_the_key(ui):
    p = ui()
    page = p.open("/")
    expect(page).to_have_title("Sign in · Kiln")
    page.fill("#api-key", "kiln_wrong_key_0000000000000000")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("not accepted")
    assert page.evaluate("localStorage.getItem('kiln.api_key')") is None
    p.shot("signin")
    p.sign_in()
    assert page.evaluate("localStorage.getItem('kiln.api_key')") == ADMIN_KEY
    page.reload()
    expect(page.get_by_role("heading", name="Bots")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("#api-key")).to_be_visible()
    assert page.evaluate("localStorage.getItem('kiln.api_key')") is None
    page.reload()
    expect(page.locator("#api-key")).to_be_visible()
    # A deep link asked for while signed out opens after signing in.
    page.goto(p.server.url + "/#/knowledge")
    page.fill("#api-key", ADMIN_KEY)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Knowledge", exact=True)).to_be_visible()


def test_bot_list_search_create_duplicate_delete(ui, server):
    for name in ("Alpha helper", "Beta tutor"):
        api(server, "POST", "/v1/bots", json={"name": name, "description": f"{name} bot"})
    p = ui()
    page = p.sign_in()
    expect(page.locator(".card", has_text="Alpha helper")).to_be_visible()
    page.get_by_placeholder("Search bots").fill("Beta")
    expect(page.locator(".card", has_text="Alpha helper")).to_have_count(0)
    expect(page.locator(".card", has_text="Beta tutor")).to_have_count(1)
    page.get_by_placeholder("Search bots").fill("")
    expect(page.locator(".card", has_text="Alpha helper")).to_be_visible()
    p.shot("bots")
    page.get_by_role("button", name="Duplicate Alpha helper").click()
    expect(page.locator(".card", has_text="Alpha helper (copy)")).to_be_visible()
    copy = [b for b in api(server, "GET", "/v1/bots?q=copy")["data"] if b["name"] == "Alpha helper (copy)"]
    assert copy and copy[0]["description"] == "Alpha helper bot"
    # Delete asks first: cancelling keeps it, confirming removes it.
    page.get_by_role("button", name="Delete Alpha helper (copy)").click()
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    expect(page.locator(".card", has_text="Alpha helper (copy)")).to_be_visible()
    page.get_by_role("button", name="Delete Alpha helper (copy)").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.locator(".card", has_text="Alpha helper (copy)")).to_have_count(0)
    assert not [b for b in api(server, "GET", "/v1/bots?q=copy")["data"] if b["name"] == "Alpha helper (copy)"]
    # Keyboard only: Create bot, type a name, Enter.
    page.get_by_role("button", name="Create bot").focus()
    page.keyboard.press("Enter")
    page.keyboard.type("Keyboard bot")
    page.keyboard.press("Enter")
    expect(page.locator(".bot-head h1")).to_have_text("Keyboard bot")


def test_build_a_knowledge_bot_chat_use_a_plugin_publish_and_read_the_log(ui, server, weather):
    p = ui()
    page = p.sign_in()

    # ---- knowledge: create, upload by the file chooser and by drag and drop
    page.get_by_role("link", name="Knowledge", exact=True).click()
    page.get_by_role("button", name="Create knowledge base").click()
    page.get_by_role("dialog").get_by_label("Name").fill("行业资料")
    page.get_by_role("dialog").get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", name="行业资料")).to_be_visible()
    kb = page.url.rsplit("/", 1)[1]
    corpus = sorted(CORPUS.glob("0*.txt"))[0]
    page.set_input_files("#kb-files", str(corpus))
    page.evaluate("""(files) => {
      const dt = new DataTransfer();
      for (const [name, text] of files) dt.items.add(new File([text], name, {type: 'text/plain'}));
      document.querySelector('.dropzone').dispatchEvent(
        new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
    }""", [["kettle.md", "# Kettle X200\n\n## Warranty\n\nThe X200 kettle has a warranty of two years."],
           ["broken.pdf", "%PDF-1.4 this is not really a PDF"]])
    expect(page.locator(f'.upload[data-file="{corpus.name}"] .state')).to_have_text(
        re.compile(r"^Ready · \d+ chunks$"), timeout=180000)
    expect(page.locator('.upload[data-file="kettle.md"] .state')).to_contain_text("Ready", timeout=60000)
    expect(page.locator('.upload[data-file="broken.pdf"] .state')).to_contain_text("Failed: ", timeout=60000)
    assert page.locator('.upload[data-file="kettle.md"] progress').evaluate("e => e.value") == 1
    expect(page.locator("table.documents tbody tr")).to_have_count(3)
    # chunk preview and the test search
    page.get_by_role("button", name=corpus.name, exact=True).click()
    expect(page.locator(".chunk-card").first).to_be_visible()
    page.get_by_placeholder("Ask what a user would ask").fill("国内推出了多少个大模型")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator(".search-results .result").first).to_be_visible()
    assert "305" in page.locator(".search-results").inner_text()
    p.shot("knowledge")

    # ---- a bot: configure, see validation beside the field, save
    page.get_by_role("link", name="Bots", exact=True).click()
    page.get_by_role("button", name="Create bot").click()
    page.get_by_role("dialog").get_by_label("Name").fill("Industry analyst")
    page.get_by_role("dialog").get_by_role("button", name="Create").click()
    expect(page.locator(".bot-head h1")).to_have_text("Industry analyst")
    bot = page.url.rsplit("/", 1)[1]
    unsaved = page.locator(".unsaved")
    expect(unsaved).to_be_hidden()
    persona = page.locator(".persona-editor textarea")
    persona.fill("You answer questions about China's AI industry for {{user_name}}. Cite passages.")
    expect(unsaved).to_be_visible()
    # The variable is marked, dashed until the bot defines it.
    expect(page.locator(".persona-editor .backdrop mark.unknown")).to_have_text("{{user_name}}")
    page.locator("summary", has_text="Variables").click()  # folded while there are none
    page.get_by_role("button", name="Add variable").click()
    page.get_by_label("Name of variable 1").fill("user_name")
    page.get_by_label("Default of variable 1").fill("a reader")
    expect(page.locator(".persona-editor .backdrop mark")).not_to_have_class("unknown")
    page.get_by_label("Opening message").fill("Hello {{user_name}}! Ask me about **large models**.")
    page.get_by_role("button", name="Add question").click()
    page.get_by_label("Suggested question 1").fill("截至今年4月底国内推出了多少个大模型？")
    page.get_by_label("Max tokens").fill("96")
    page.locator(".picker label", has_text="行业资料").locator("input").check()
    # An out-of-range value: the API's error appears beside the field it names.
    page.get_by_label("Temperature").fill("5")
    page.get_by_role("button", name="Save", exact=True).click()
    error = page.locator('[data-param="model_params.temperature"] .field-error')
    expect(error).to_contain_text("at most 2")
    expect(unsaved).to_be_visible()
    p.shot("bot-validation")
    page.get_by_label("Temperature").fill("0")
    page.keyboard.press("Control+s")
    expect(unsaved).to_be_hidden()
    expect(error).to_be_hidden()
    saved = api(server, "GET", f"/v1/bots/{bot}")
    assert saved["knowledge_ids"] == [kb]
    assert saved["variables"][0]["name"] == "user_name" and saved["model_params"]["temperature"] == 0
    assert saved["suggested_questions"] == ["截至今年4月底国内推出了多少个大模型？"]

    # ---- the preview: opening message, a suggested question, streaming, a citation
    page.get_by_role("button", name="New conversation").click()
    expect(page.locator(".chat .msg.assistant").first).to_contain_text("Hello a reader! Ask me about large models")
    expect(page.locator(".chat .msg.assistant strong").first).to_have_text("large models")
    record_stream(page)
    page.locator(".chips.suggested .chip").click()
    expect(page.get_by_role("button", name="Stop")).to_be_visible()
    answer = wait_answer(page)
    lengths = page.evaluate("window.__lengths")
    final = answer.locator(".content").evaluate("e => e.textContent.length")
    partial = sorted({n for n in lengths if 0 < n < final})
    assert final > 0 and len(partial) >= 2, (lengths, final)  # it grew while streaming
    expect(answer.locator(".cite").first).to_be_visible()
    trace = answer.locator("details.trace")
    expect(trace.locator("summary")).to_contain_text("knowledge chunk")
    answer.locator(".cite").first.click()
    expect(trace).to_have_attribute("open", "")
    expect(trace.locator(".chunk.highlight")).to_have_count(1)
    assert "305" in trace.inner_text()
    p.shot("bot-preview")

    # ---- a plugin imported from the weather example's OpenAPI document
    spec = requests.get(f"http://127.0.0.1:{weather}/openapi.json", timeout=10).text
    page.get_by_role("link", name="Plugins", exact=True).click()
    page.get_by_role("button", name="Add plugin").click()
    page.get_by_label("Name", exact=True).fill("weather")
    page.get_by_label("OpenAPI document").fill(spec)
    page.get_by_role("button", name="Add plugin").click()
    expect(page.get_by_role("heading", name="weather", exact=True)).to_be_visible(timeout=60000)
    tool = page.locator('.tool[data-tool="get_weather"]')
    expect(tool).to_be_visible()
    tool.get_by_text("Try it").click()
    tool.get_by_label("city *").fill("Paris")
    tool.get_by_role("button", name="Run").click()
    expect(tool.locator(".result .output")).to_contain_text('"city":"Paris"')
    # Credentials are write-only: saved, shown as set, never filled back in.
    page.get_by_label("Authentication").select_option("bearer")
    page.get_by_label("Token").fill("sekret-token")
    page.get_by_role("button", name="Save credentials").click()
    expect(page.locator(".badge", has_text="set: bearer")).to_be_visible()
    expect(page.get_by_label("Token")).to_have_value("")
    plugin = page.url.rsplit("/", 1)[1]
    assert "sekret" not in json.dumps(api(server, "GET", f"/v1/plugins/{plugin}"))
    page.get_by_label("Authentication").select_option("none")
    page.get_by_role("button", name="Save credentials").click()
    expect(page.locator(".badge", has_text="none set")).to_be_visible()
    assert api(server, "GET", f"/v1/plugins/{plugin}")["auth"] == {"configured": False}
    p.shot("plugins")

    # ---- the bot calls it: the trace shows the call, its arguments and result
    page.goto(f"{server.url}/#/bots/{bot}")
    page.locator(".picker label", has_text="weather").locator("input").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(unsaved).to_be_hidden()
    page.get_by_role("button", name="New conversation").click()
    page.get_by_label("Message", exact=True).fill("What's the weather in Paris?")
    page.keyboard.press("Enter")
    answer = wait_answer(page)
    call = answer.locator('.step.tool[data-tool="get_weather"]')
    expect(call).to_have_count(1)
    expect(call).to_be_hidden()  # the trace starts folded
    answer.locator("details.trace summary").click()
    expect(call.locator("pre.args")).to_contain_text("Paris")
    expect(call.locator(".badge.ok")).to_be_visible()
    expect(call.locator(".output-text")).to_contain_text('"condition"')
    p.shot("bot-tool-trace")

    # ---- publish with a note; the version list and the API examples
    page.get_by_role("link", name="Publish").click()
    page.get_by_label("Version note").fill("first release")
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.locator('table.versions tr[data-version="1"]')).to_contain_text("first release")
    expect(page.locator(".bot-head .badge")).to_have_text("published v1")
    snippets = page.locator(".snippet pre")
    expect(snippets.nth(0)).to_contain_text(f"/v1/bots/{bot}/chat")
    expect(snippets.nth(1)).to_contain_text(f'model="bot:{bot}"')
    assert api(server, "GET", f"/v1/bots/{bot}/versions")["data"][0]["note"] == "first release"
    p.shot("publish")

    # ---- the conversation log: both conversations with their traces
    page.get_by_role("link", name="Conversations").click()
    items = page.locator(".conv-list button")
    expect(items).to_have_count(2)
    items.filter(has_text="weather").click()
    log = page.locator(".log .messages")
    expect(log.locator(".msg.user")).to_contain_text("What's the weather in Paris?")
    expect(log.locator('.step.tool[data-tool="get_weather"]')).to_have_count(1)
    items.filter(has_text="大模型").click()
    expect(log.locator(".step.knowledge")).to_have_count(1)
    p.shot("conversations")

    # ---- unsaved changes are guarded when leaving
    page.get_by_role("link", name="Build").click()
    page.get_by_label("Name", exact=True).fill("Industry analyst 2")
    expect(unsaved).to_be_visible()
    answers, asked = iter([False, True]), []

    def on_dialog(d):
        asked.append(d.message)
        d.accept() if next(answers) else d.dismiss()
    page.on("dialog", on_dialog)
    page.get_by_role("link", name="Back to bots").click()
    deadline = time.time() + 10
    while not asked and time.time() < deadline:
        page.wait_for_timeout(50)
    assert asked and "unsaved" in asked[0], asked
    expect(page.locator(".bot-head h1")).to_have_text("Industry analyst 2")
    assert page.url.endswith(f"#/bots/{bot}")
    page.get_by_role("link", name="Back to bots").click()
    expect(page.get_by_role("heading", name="Bots")).to_be_visible()
    assert len(asked) == 2
    assert api(server, "GET", f"/v1/bots/{bot}")["name"] == "Industry analyst"


def test_markup_in_documents_tool_results_and_messages_renders_as_text(ui, server, hostile):
    # No CSP in this page: if markup were rendered, the handlers would run.
    p = ui(bypass_csp=True)
    kb = api(server, "POST", "/v1/knowledge", json={"name": "tickers"})["id"]
    api(server, "POST", f"/v1/knowledge/{kb}/documents", json={
        "name": "acme.md", "text": f"# ACME ticker\n\nThe ACME stock ticker symbol is ACME. {PAYLOAD}\n"})
    wait_ready_docs(server, kb, 1)
    spec = requests.get(f"http://127.0.0.1:{hostile}/openapi.yaml", timeout=10).text
    plugin = api(server, "POST", "/v1/plugins", json={"kind": "openapi", "name": "quotes", "spec": spec})["id"]
    bot = api(server, "POST", "/v1/bots", json={
        "name": "Quotes", "knowledge_ids": [kb], "plugin_ids": [plugin],
        "model_params": {"max_tokens": 48, "temperature": 0},
        "opening_message": f"Welcome {PAYLOAD} [x](javascript:window.__pwned=4)"})["id"]
    page = p.sign_in()
    page.goto(f"{server.url}/#/bots/{bot}")
    page.get_by_label("Message", exact=True).fill(f"What is the stock price quote of the ACME ticker symbol? {PAYLOAD}")
    page.keyboard.press("Enter")
    answer = wait_answer(page)
    answer.locator("details.trace summary").click()
    messages = page.locator(".chat .messages")
    text = messages.inner_text()
    assert text.count("<script>window.__pwned = 1</script>") >= 3, text  # opening, question, chunk
    expect(answer.locator(".step.tool .output-text")).to_contain_text('<img src="x" onerror=')
    expect(answer.locator(".step.knowledge")).to_contain_text("<script>")
    # the knowledge page's chunk preview and search
    page.goto(f"{server.url}/#/knowledge/{kb}")
    page.get_by_role("button", name="acme.md", exact=True).click()
    expect(page.locator(".chunk-card").first).to_contain_text("<img src=")
    page.wait_for_timeout(300)
    assert page.evaluate("""() => ({
      pwned: window.__pwned,
      scripts: document.querySelectorAll('main script').length,
      images: document.querySelectorAll('main img[src="x"], main img[onerror]').length,
      js: document.querySelectorAll('a[href^="javascript"]').length,
    })""") == {"pwned": None, "scripts": 0, "images": 0, "js": 0}
    # The Markdown renderer itself, on hostile input.
    result = page.evaluate("""async () => {
      const {renderMarkdown} = await import('/editor/markdown.js');
      const box = document.createElement('div');
      box.append(renderMarkdown([
        '**<b onmouseover=x>bold</b>** [a](javascript:alert(1)) [b](https://example.com/x)',
        '<iframe src="https://example.com"></iframe>', '```', '<script>1</script>', '```',
        '| a | b |', '|---|---|', '| <i>x</i> | [c](data:text/html,hi) |'].join('\\n')));
      return {html: box.innerHTML, text: box.textContent,
              tags: [...box.querySelectorAll('*')].map(e => e.tagName.toLowerCase()),
              links: [...box.querySelectorAll('a')].map(a => a.getAttribute('href'))};
    }""")
    assert set(result["tags"]) <= {"p", "strong", "a", "br", "pre", "code", "div", "table", "thead",
                                   "tbody", "tr", "th", "td"}, result
    # Only http(s) targets become links (a bare URL in text is one too).
    assert "https://example.com/x" in result["links"], result
    assert all(link.startswith("https://") for link in result["links"]), result
    assert "<iframe" in result["text"] and "<b onmouseover=x>" in result["text"]


def test_phone_sized_window_and_dark_mode(ui, server):
    bot = api(server, "POST", "/v1/bots", json={
        "name": "Phone bot", "opening_message": "Hi there", "suggested_questions": ["What can you do?"]})["id"]
    kb = api(server, "POST", "/v1/knowledge", json={"name": "Phone base"})["id"]
    for scheme in ("light", "dark"):
        p = ui(viewport={"width": 375, "height": 740}, color_scheme=scheme, is_mobile=True, has_touch=True)
        page = p.sign_in()
        for path, ready, name in [("/#/bots", ".cards .card", "bots"),
                                  (f"/#/bots/{bot}", ".chat .chip", "bot"),
                                  (f"/#/knowledge/{kb}", ".dropzone", "knowledge"),
                                  ("/#/plugins/new", ".kind-tabs", "plugin-new")]:
            page.goto(server.url + path)
            expect(page.locator(ready).first).to_be_visible()
            # Nothing wider than the window: no sideways scrolling.
            assert page.evaluate("document.documentElement.scrollWidth") <= 376, (scheme, path)
            p.shot(f"phone-{scheme}-{name}")
        # The preview sits below the configuration and still works.
        page.goto(f"{server.url}/#/bots/{bot}")
        box = page.locator(".preview").bounding_box()
        assert box["width"] <= 375 and box["y"] > page.locator(".config").bounding_box()["y"]
        bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
        rgb = [int(x) for x in bg[bg.index("(") + 1:bg.index(")")].split(",")[:3]]
        assert (sum(rgb) / 3 < 60) if scheme == "dark" else (sum(rgb) / 3 > 200), (scheme, bg)
    desktop = ui(color_scheme="dark")
    page = desktop.sign_in()
    page.goto(f"{server.url}/#/bots/{bot}")
    expect(page.locator(".chat .chip")).to_be_visible()
    desktop.shot("dark-bot")


def test_register_an_mcp_server_and_upload_an_openapi_file(ui, server, weather, tmp_path):
    p = ui()
    page = p.sign_in()
    page.goto(f"{server.url}/#/plugins/new")
    page.get_by_role("button", name="MCP server").click()
    page.get_by_label("Name", exact=True).fill("orders")
    page.get_by_label("Transport").select_option("command")
    page.get_by_label("Command").fill(sys.executable)
    page.get_by_label("Arguments").fill(str(ROOT / "examples" / "plugins" / "mcp_python" / "server.py"))
    page.get_by_role("button", name="Add plugin").click()
    expect(page.get_by_role("heading", name="orders", exact=True)).to_be_visible(timeout=60000)
    tool = page.locator('.tool[data-tool="add"]')
    tool.get_by_text("Try it").click()
    tool.get_by_label("a *").fill("19")
    tool.get_by_label("b *").fill("23")
    tool.get_by_role("button", name="Run").click()
    expect(tool.locator(".result .output")).to_contain_text("42")
    # A wrong type never reaches the server: the form says which field.
    tool.get_by_label("a *").fill("1.5")
    tool.get_by_role("button", name="Run").click()
    expect(tool.locator('[data-param="a"] .field-error')).to_contain_text("whole number")
    # An OpenAPI document from a file; a broken one is refused with the reason.
    page.goto(f"{server.url}/#/plugins/new")
    broken = tmp_path / "broken.yaml"
    broken.write_text("swagger: '2.0'\ninfo: {}\n")
    page.locator('input[type="file"]').set_input_files(str(broken))
    expect(page.get_by_label("OpenAPI document")).to_have_value(re.compile("swagger"))
    page.get_by_role("button", name="Add plugin").click()
    expect(page.locator(".field-error:not([hidden])")).to_contain_text(re.compile("OpenAPI|openapi"))
    good = tmp_path / "weather-service.json"
    good.write_text(requests.get(f"http://127.0.0.1:{weather}/openapi.json", timeout=10).text)
    page.locator('input[type="file"]').set_input_files(str(good))
    expect(page.get_by_label("Name", exact=True)).to_have_value("broken")  # named by the first file
    page.get_by_label("Name", exact=True).fill("weather_file")
    page.get_by_role("button", name="Add plugin").click()
    expect(page.get_by_role("heading", name="weather_file", exact=True)).to_be_visible(timeout=60000)
    expect(page.locator('.tool[data-tool="get_weather"]')).to_be_visible()


def test_stop_ends_a_streaming_answer(ui, server):
    bot = api(server, "POST", "/v1/bots", json={
        "name": "Talker", "persona": "You write very long stories.",
        "model_params": {"max_tokens": 2000}})["id"]
    p = ui()
    page = p.sign_in()
    page.goto(f"{server.url}/#/bots/{bot}")
    page.get_by_label("Message", exact=True).fill("Tell me a very long story about a dragon.")
    page.keyboard.press("Enter")
    answer = page.locator(".chat .msg.assistant").last
    expect(answer.locator(".content")).not_to_be_empty()
    page.get_by_role("button", name="Stop").click()
    expect(answer.locator(".meta")).to_contain_text("Stopped.")
    expect(page.get_by_role("button", name="Send")).to_be_visible()
    stopped = answer.locator(".content").text_content()
    page.wait_for_timeout(500)
    assert answer.locator(".content").text_content() == stopped  # nothing more arrives


def test_the_editor_works_in_firefox(server):
    """Debian's firefox-esr through Marionette (tests/e2e/marionette.py): sign
    in, edit and save a bot, and chat with it in the preview."""
    bot = api(server, "POST", "/v1/bots", json={
        "name": "Fox", "opening_message": "I am **Fox**.", "suggested_questions": ["Who are you?"],
        "model_params": {"max_tokens": 48, "temperature": 0}})["id"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    ff = Firefox()
    try:
        ff.navigate(server.url + "/")
        ff.wait("return document.querySelector('#api-key')")
        ff.js("""const k = document.querySelector('#api-key'); k.value = arguments[0];
                 k.closest('form').requestSubmit();""", ADMIN_KEY)
        assert ff.wait("return [...document.querySelectorAll('.card a')].map(a => a.textContent).includes('Fox')")
        ff.navigate(f"{server.url}/#/bots/{bot}")
        assert ff.wait("return document.querySelector('.chat .msg.assistant strong')?.textContent") == "Fox"
        ff.js("""const t = document.querySelector('.persona-editor textarea');
                 t.value = 'You are Fox, a helpful fox. Greet {{who}}.';
                 t.dispatchEvent(new Event('input', {bubbles: true}));""")
        assert ff.js("return document.querySelector('.persona-editor mark.unknown').textContent") == "{{who}}"
        assert not ff.js("return document.querySelector('.unsaved').hidden")
        ff.js("document.querySelector('.bot-head button.primary').click()")
        ff.wait("return document.querySelector('.unsaved').hidden")
        assert api(server, "GET", f"/v1/bots/{bot}")["persona"].startswith("You are Fox")
        ff.js("document.querySelector('.chips.suggested .chip').click()")
        text = ff.wait("""const b = document.querySelectorAll('.chat .msg.assistant .bubble');
                          const last = b[b.length - 1];
                          return b.length > 1 && !last.classList.contains('cursor') &&
                                 !document.querySelector('.composer button[type=submit]').hidden &&
                                 last.querySelector('.content').textContent""", timeout=120)
        assert text.strip()
        assert ff.js("return document.querySelector('.chat .msg.user .bubble').textContent") == "Who are you?"
        ff.screenshot(ARTIFACTS / "firefox-bot.png")
    finally:
        ff.close()


def test_channels_are_configured_on_the_publish_tab(ui, server):
    bot = api(server, "POST", "/v1/bots", json={"name": "Channel bot"})["id"]
    p = ui()
    page = p.sign_in()
    page.goto(f"{server.url}/#/bots/{bot}/publish")
    form = page.locator(".channel-form")
    form.get_by_label("Chat app").select_option("webhook")
    form.get_by_label("secret").fill("short")
    form.get_by_label("callback_url").fill("https://example.com/hook")
    form.get_by_role("button", name="Add channel").click()
    expect(form.locator('[data-param="config.secret"] .field-error')).to_contain_text("at least 16")
    form.get_by_label("secret").fill("a-long-enough-webhook-secret")
    form.get_by_role("button", name="Add channel").click()
    card = page.locator(".tool[data-channel]")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("/hooks/chn_")
    expect(card.locator(".badge")).to_have_text("enabled")
    channel = api(server, "GET", f"/v1/bots/{bot}/channels")["data"][0]
    assert "a-long-enough" not in page.content() and sorted(channel["configured"]) == ["callback_url", "secret"]
    card.get_by_role("button", name="Disable").click()
    expect(page.locator(".tool[data-channel] .badge")).to_have_text("disabled")
    assert api(server, "GET", f"/v1/channels/{channel['id']}")["enabled"] is False
    p.shot("publish-channels")
    page.locator(".tool[data-channel]").get_by_role("button", name="Remove").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.locator(".tool[data-channel]")).to_have_count(0)
    assert api(server, "GET", f"/v1/bots/{bot}/channels")["data"] == []
