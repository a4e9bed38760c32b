"""What every chat-app channel must do under load and against a busy platform,
run for each of them with the real default model and one fake platform API on
127.0.0.1 (conftest.FakePlatform), each delivery signed or encrypted exactly
as its platform does it (the signing helpers of the per-platform tests):

- a burst of 100 deliveries, sent 16 at a time and then all replayed, is
  answered exactly once each, over a few kept-alive connections;
- every hostile delivery (a flipped byte, a truncated, missing or
  wrong-key signature, a stale timestamp where signatures expire, a body over
  the cap, a validly signed but malformed payload) is refused with 401, 413 or
  400 and nothing is processed: the event id stays new;
- a platform API that answers 429 (Retry-After 1) is waited out and the reply
  sent on the second try, as the delivery log records."""
import base64
import hashlib
import hmac
import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import test_channels_discord as discord
import test_channels_feishu as feishu
import test_channels_slack_line as slack_line
import test_channels_telegram as telegram
import test_channels_wecom as wecom
from conftest import api, delivery_logged, published_bot

FLAKY = 429429  # a delivery whose reply the platform refuses with 429 once


def respond(path, data, n):
    if str(FLAKY) in path + json.dumps(data) and n == 1:
        return 429, {"Retry-After": "1"}, json.dumps({
            "ok": False, "error_code": 429, "description": "Too Many Requests",
            "parameters": {"retry_after": 1}}).encode()
    if path.startswith("/open-apis/"):  # Feishu's token and reply APIs
        return feishu.respond(path, data, n)
    if path.startswith("/cgi-bin/"):  # WeCom's
        return wecom.respond(path, data, n)
    return 200, {"Content-Type": "application/json"}, b'{"ok": true, "result": {"message_id": 1}}'


def hmac_hex(key, data):
    return hmac.new(key.encode(), data, hashlib.sha256).hexdigest()


class Platform:
    """One chat app as its servers talk to Kiln. body(i): the raw bytes of
    delivery i (a text message from user i); sign(body, key, ts): the headers
    and query parameters the platform adds, made with `key` (None: the
    channel's) at unix time `ts` (None: now); sig: where the signature goes
    ("header" or "query", its name); window: whether signatures expire (a
    timestamp window); flip_detected: whether the signature covers the body;
    malformed: validly signed bodies that are not a message Kiln can read (400)."""
    window = False
    flip_detected = True
    others = []  # more (name, validly signed body, status) cases
    wrong_key = "another key entirely, 32 bytes.."

    def send(self, server, channel, i):
        body = self.body(i)
        headers, params = self.sign(body)
        return post(server, channel, body, headers, params)


class Telegram(Platform):
    type = "telegram"
    sig = ("header", "X-Telegram-Bot-Api-Secret-Token")
    flip_detected = False  # the secret token is all Telegram sends: nothing covers the body
    malformed = [b'{"update_id": 1, "message": ', b'["an", "array"]', b'{"update_id": "one"}',
                 b'{"update_id": 2, "message": {"message_id": 1, "chat": {"id": "x"}, "text": "hi"}}']

    def config(self, url):
        return {"api_base_url": url, "config": {"bot_token": telegram.TOKEN, "secret_token": telegram.SECRET}}

    def body(self, i):
        update = telegram.update(810000000 + i, text="Say hi.", chat_id=int(f"88{i}"))
        update["message"]["from"]["id"] = int(f"88{i}")
        return json.dumps(update).encode()

    def sign(self, body, key=None, ts=None):
        return {"Content-Type": "application/json",
                "X-Telegram-Bot-Api-Secret-Token": key or telegram.SECRET}, {}

    def is_reply(self, call, i):
        return call["path"].endswith("/sendMessage") and call["data"]["chat_id"] == int(f"88{i}")

    def event(self, i):
        return f"update:{810000000 + i}"


class Slack(Platform):
    type = "slack"
    sig = ("header", "X-Slack-Signature")
    window = True
    malformed = [b'{"type": "event_callback", "event": ', b'"a string"', b'{"type": "event_callback"}']

    def config(self, url):
        return {"api_base_url": url + "/api",
                "config": {"bot_token": slack_line.SLACK_TOKEN, "signing_secret": slack_line.SLACK_SECRET}}

    def body(self, i):
        payload = slack_line.mention(f"EvB{i}", channel=f"CB{i}", text="<@U0BOT> Say hi.")
        payload["event"]["user"] = f"UB{i}"
        return json.dumps(payload).encode()

    def sign(self, body, key=None, ts=None):
        ts = str(int(time.time()) if ts is None else ts)
        sig = "v0=" + hmac_hex(key or slack_line.SLACK_SECRET, b"v0:" + ts.encode() + b":" + body)
        return {"Content-Type": "application/json", "X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": sig}, {}

    def is_reply(self, call, i):
        return call["path"] == "/api/chat.postMessage" and call["data"]["channel"] == f"CB{i}"

    def event(self, i):
        return f"T0TEST:EvB{i}"


class Line(Platform):
    type = "line"
    sig = ("header", "x-line-signature")
    malformed = [b'{"destination": "U00000000000000000000000000000000", "events": [',
                 b'{"destination": "U00000000000000000000000000000000", "events": "none"}', b"[]"]

    def config(self, url):
        return {"api_base_url": url, "config": {"channel_secret": slack_line.LINE_SECRET,
                                                "channel_access_token": slack_line.LINE_TOKEN}}

    def body(self, i):
        event = slack_line.line_text(f"01B{i}", "U" + f"{i:032d}", "Say hi.")
        return json.dumps({"destination": "U" + "0" * 32, "events": [event]}).encode()

    def sign(self, body, key=None, ts=None):
        digest = hmac.new((key or slack_line.LINE_SECRET).encode(), body, hashlib.sha256).digest()
        return {"Content-Type": "application/json", "x-line-signature": base64.b64encode(digest).decode()}, {}

    def is_reply(self, call, i):
        return call["path"] == "/v2/bot/message/reply" and call["data"]["replyToken"] == f"rtok-01B{i}"

    def event(self, i):
        return f"01B{i}"


class Discord(Platform):
    type = "discord"
    sig = ("header", "X-Signature-Ed25519")
    wrong_key = Ed25519PrivateKey.from_private_bytes(bytes([9] * 32))
    malformed = [b'{"type": ', b"[1, 2]", b'{"type": 2, "application_id": "' + discord.APP.encode() + b'"}']

    def config(self, url):
        return {"api_base_url": url + "/api/v10",
                "config": {"public_key": discord.PUBLIC, "application_id": discord.APP,
                           "bot_token": "discord-bot-token"}}

    def body(self, i):
        interaction = discord.command(f"13{i:017d}", text="Say hi.", token=f"itok_{i}")
        interaction["member"]["user"]["id"] = f"91{i:016d}"
        return json.dumps(interaction).encode()

    def sign(self, body, key=None, ts=None):
        ts = str(int(time.time()) if ts is None else ts)
        return {"Content-Type": "application/json", "X-Signature-Timestamp": ts,
                "X-Signature-Ed25519": (key or discord.KEY).sign(ts.encode() + body).hex()}, {}

    def is_reply(self, call, i):
        return call["path"] == f"/api/v10/webhooks/{discord.APP}/itok_{i}/messages/@original"

    def event(self, i):
        return f"interaction:13{i:017d}"


class Feishu(Platform):
    type = "feishu"
    sig = ("header", "X-Lark-Signature")
    window = True
    malformed = [b'{"encrypt": ', b'{"encrypt": "not base64 at all!"}',
                 b'{"encrypt": "' + base64.b64encode(bytes(48)) + b'"}',  # does not decrypt
                 json.dumps({"encrypt": feishu.encrypt(["an", "array"])}).encode(),
                 json.dumps({"encrypt": feishu.encrypt({"schema": "1.0"})}).encode()]

    def config(self, url):
        return {"api_base_url": url, "config": {"app_id": "cli_a1b2c3d4e5", "app_secret": "feishu-app-secret",
                                                "verification_token": feishu.VT, "encrypt_key": feishu.KEY}}

    def body(self, i):
        event = feishu.message(f"evb-{i}", f"om_b{i}", text="Say hi.")
        event["event"]["sender"]["sender_id"]["open_id"] = f"ou_b{i}"
        return json.dumps({"encrypt": feishu.encrypt(event)}).encode()

    def sign(self, body, key=None, ts=None):
        ts = str(int(time.time()) if ts is None else ts)
        sig = hashlib.sha256((ts + "n0nce" + (key or feishu.KEY)).encode() + body).hexdigest()
        return {"Content-Type": "application/json", "X-Lark-Request-Timestamp": ts,
                "X-Lark-Request-Nonce": "n0nce", "X-Lark-Signature": sig}, {}

    def is_reply(self, call, i):
        return call["path"] == f"/open-apis/im/v1/messages/om_b{i}/reply"

    def event(self, i):
        return f"evb-{i}"


def wecom_body(encrypted):
    return (f"<xml><ToUserName><![CDATA[{wecom.CORP}]]></ToUserName>"
            f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>").encode()


class Wecom(Platform):
    type = "wecom"
    sig = ("query", "msg_signature")
    malformed = [b"<xml><ToUserName>no encrypt</ToUserName></xml>",
                 wecom_body("not base64 at all!"),
                 wecom_body(base64.b64encode(bytes(48)).decode()),  # does not decrypt
                 wecom_body(wecom.encrypt(b"<xml><MsgType><![CDATA[text]]></MsgType></xml>"))]  # no user
    # Sealed for another corp: WeCom's receiver id check.
    others = [("another receiver", wecom_body(wecom.encrypt(wecom.xml_message("7400000000000000001"),
                                                            receiver="wwanother")), 401)]

    def config(self, url):
        return {"api_base_url": url, "config": {"corp_id": wecom.CORP, "agent_id": "1000002",
                                                "secret": "wecom-secret", "token": wecom.TOKEN,
                                                "encoding_aes_key": wecom.AES_KEY}}

    def body(self, i):
        return wecom_body(wecom.encrypt(wecom.xml_message(f"74{i:017d}", user=f"ub{i}")))

    def sign(self, body, key=None, ts=None):
        text = body.decode()
        encrypted = text.split("<Encrypt><![CDATA[")[1].split("]]>")[0] if "<Encrypt>" in text else ""
        ts = str(int(time.time()) if ts is None else ts)
        return {"Content-Type": "text/xml"}, {
            "msg_signature": wecom.signature(key or wecom.TOKEN, ts, "n0nce", encrypted),
            "timestamp": ts, "nonce": "n0nce"}

    def is_reply(self, call, i):
        return call["path"].startswith("/cgi-bin/message/send") and call["data"]["touser"] == f"ub{i}"

    def event(self, i):
        return f"msg:74{i:017d}"


PLATFORMS = [Telegram(), Slack(), Line(), Discord(), Feishu(), Wecom()]


@pytest.fixture(scope="module")
def server(fake_server):
    return fake_server


@pytest.fixture(scope="module")
def channels(server, fake):
    bot = published_bot(server, "Every-app bot")
    return {p.type: api(server, "POST", f"/v1/bots/{bot}/channels", 201,
                        json={"type": p.type, **p.config(fake.url)})
            for p in PLATFORMS}


def post(server, channel, body, headers, params):
    return requests.post(f"{server.url}/hooks/{channel['id']}", data=body, headers=headers,
                         params=params, timeout=30)


def send_until_taken(platform, server, channel, i):
    """As the platforms do: a 429 from Kiln (its queue is full) is sent again."""
    for _ in range(400):
        r = platform.send(server, channel, i)
        if r.status_code != 429:
            return r.status_code
        time.sleep(0.25)
    return 429


@pytest.mark.parametrize("platform", PLATFORMS, ids=lambda p: p.type)
def test_a_burst_of_100_is_answered_exactly_once_each(server, fake, channels, platform):
    channel = channels[platform.type]
    n = range(100)
    with ThreadPoolExecutor(16) as pool:
        first = list(pool.map(lambda i: send_until_taken(platform, server, channel, i), n))
        replays = list(pool.map(lambda i: platform.send(server, channel, i), n))
    assert all(200 <= s < 300 for s in first), first
    # Every replay is recognised: answered 2xx, and marked a duplicate.
    assert [(r.status_code, r.json().get("duplicate")) for r in replays] == [(200, True)] * 100

    def replies(i):
        return fake.matching(lambda c: c["data"] is not None and platform.is_reply(c, i))

    deadline = time.time() + 300
    while time.time() < deadline and not all(replies(i) for i in n):
        time.sleep(0.2)
    time.sleep(1)  # time for a second answer to any of them, were there one
    assert [len(replies(i)) for i in n] == [1] * 100
    peers = {c["peer"] for i in n for c in replies(i)}
    assert len(peers) <= 20, len(peers)


@pytest.mark.parametrize("platform", PLATFORMS, ids=lambda p: p.type)
def test_a_429_from_the_platform_is_waited_out(server, fake, channels, platform):
    channel = channels[platform.type]
    assert 200 <= platform.send(server, channel, FLAKY).status_code < 300
    [ok] = fake.wait(lambda c: c["data"] is not None and platform.is_reply(c, FLAKY), timeout=120)
    refused = fake.matching(lambda c: c["data"] is not None and platform.is_reply(c, FLAKY), status=429)
    assert len(refused) == 1 and refused[0]["body"] == ok["body"]
    d = delivery_logged(server, channel["id"], platform.event(FLAKY), status="sent")
    assert d["attempts"] == 2 and d["http_status"] == 200, d


def hostile(platform, i):
    """(name, body, headers, params, expected status) for each attack on delivery i."""
    body = platform.body(i)
    where, name = platform.sig
    now = int(time.time())

    def signed(b=body, **kw):
        return platform.sign(b, **kw)

    def cut(headers, params, drop=False):
        place = headers if where == "header" else params
        key = next(k for k in place if k.lower() == name.lower())
        if drop:
            del place[key]
        else:
            place[key] = place[key][:-2]
        return headers, params

    cases = []
    if platform.flip_detected:
        flipped = bytearray(body)
        flipped[len(flipped) // 2] ^= 0x01
        cases.append(("flipped byte", bytes(flipped), *signed(), 401))
    cases.append(("truncated signature", body, *cut(*signed()), 401))
    cases.append(("missing signature", body, *cut(*signed(), drop=True), 401))
    cases.append(("wrong key", body, *signed(key=platform.wrong_key), 401))
    if platform.window:
        cases.append(("stale timestamp", body, *signed(ts=now - 400), 401))
        cases.append(("future timestamp", body, *signed(ts=now + 400), 401))
    big = body + b" " * (1 << 20)
    cases.append(("over the cap", big, *signed(big), 413))
    for n, bad in enumerate(platform.malformed):
        cases.append((f"malformed {n}", bad, *signed(bad), 400))
    for name, bad, status in platform.others:
        cases.append((name, bad, *signed(bad), status))
    return cases


@pytest.mark.parametrize("platform", PLATFORMS, ids=lambda p: p.type)
def test_hostile_deliveries_are_refused_and_nothing_is_processed(server, fake, channels, platform):
    channel = channels[platform.type]
    i = 7007
    for name, body, headers, params, status in hostile(platform, i):
        r = post(server, channel, body, headers, params)
        assert r.status_code == status, (name, r.status_code, r.text)
        assert "error" in r.json(), (name, r.text)
    time.sleep(0.5)
    assert not fake.matching(lambda c: c["data"] is not None and platform.is_reply(c, i))
    log = api(server, "GET", f"/v1/channels/{channel['id']}/deliveries?limit=100")["data"]
    assert not [d for d in log if d["event_id"] == platform.event(i)]
    # The event id was never taken: the genuine delivery is new, and answered.
    r = platform.send(server, channel, i)
    assert 200 <= r.status_code < 300 and "duplicate" not in r.text, r.text
    fake.wait(lambda c: c["data"] is not None and platform.is_reply(c, i))
