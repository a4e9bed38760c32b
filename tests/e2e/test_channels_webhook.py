"""Kiln's own signed webhook channel end to end, with the real default model:
a fake receiving system on 127.0.0.1 (written here) gets the bot's answers,
signed; every rejection (flipped byte, stale or future timestamp, truncated
or uppercase signature, wrong key, missing headers, malformed payload, a body
over the cap, unknown or disabled channels) is refused with nothing
processed; duplicates are answered once, also after a restart; a burst of
100 deliveries is answered exactly once each, over a few kept-alive
connections; a receiver answering 429 is
retried, one that keeps failing shows in the delivery log."""
import hashlib
import hmac
import json
import pathlib
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from conftest import FakePlatform, api, delivery_logged, published_bot, start_kiln

SECRET = "a-webhook-secret-for-the-tests"


def sign(secret, ts, body: bytes):
    return "sha256=" + hmac.new(secret.encode(), str(ts).encode() + b"." + body, hashlib.sha256).hexdigest()


def respond(path, data, n):
    """Users named "flaky" get 429 twice first; users named "down" always 500."""
    user = (data or {}).get("user_id", "")
    if user.startswith("flaky") and n <= 2:
        return 429, {"Retry-After": "1"}, b"{}"
    if user.startswith("down"):
        return 500, {}, b"{}"
    return 200, {}, b"{}"


class Receiver(FakePlatform):
    """The system on the other side of the webhook channel."""

    def __init__(self):
        super().__init__(respond)

    def for_event(self, event_id):
        return self.matching(lambda c: c["data"]["event_id"] == event_id)

    def attempts_for(self, event_id):
        with self.lock:
            return len([c for c in self.calls if c["data"]["event_id"] == event_id])

    def wait(self, event_id, timeout=90):
        return super().wait(lambda c: c["data"]["event_id"] == event_id, timeout=timeout)


@pytest.fixture(scope="module")
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture(scope="module")
def server(receiver):
    s = start_kiln("--outbound-allow", f"127.0.0.1:{receiver.port}")
    yield s
    s.close()


@pytest.fixture(scope="module")
def channel(server, receiver):
    bot = published_bot(server, "Hook bot")
    c = api(server, "POST", f"/v1/bots/{bot}/channels", 201, json={
        "type": "webhook",
        "config": {"secret": SECRET, "callback_url": f"http://127.0.0.1:{receiver.port}/kiln"}})
    return c


def deliver(server, cid, payload, secret=SECRET, ts=None, body=None, signature=None, headers=None):
    body = body if body is not None else json.dumps(payload).encode()
    ts = int(time.time()) if ts is None else ts
    h = {"Content-Type": "application/json", "X-Kiln-Timestamp": str(ts),
         "X-Kiln-Signature": signature if signature is not None else sign(secret, ts, body)}
    if headers is not None:
        h = headers
    return requests.post(f"{server.url}/hooks/{cid}", data=body, headers=h, timeout=30)


def message(event, user="u1", text="Hello! Who are you?"):
    return {"event_id": event, "user": {"id": user, "name": "Ada"}, "text": text}


def deliveries(server, cid):
    return api(server, "GET", f"/v1/channels/{cid}/deliveries?limit=100")["data"]


def test_a_message_is_answered_through_the_callback_signed(server, receiver, channel):
    r = deliver(server, channel["id"], message("evt-1"))
    assert r.status_code == 202, r.text
    assert r.json() == {"accepted": True, "event_id": "evt-1"}
    [call] = receiver.wait("evt-1")
    assert call["data"]["user_id"] == "u1" and call["data"]["text"].strip()
    ts = call["headers"]["X-Kiln-Timestamp"]
    assert abs(int(ts) - time.time()) < 120
    assert hmac.compare_digest(call["headers"]["X-Kiln-Signature"], sign(SECRET, ts, call["body"]))
    d = delivery_logged(server, channel["id"], "evt-1")
    assert d["status"] == "sent" and d["attempts"] == 1 and d["http_status"] == 200
    # The same user continues their conversation; another user has their own.
    deliver(server, channel["id"], message("evt-2", text="And what can you do?"))
    deliver(server, channel["id"], message("evt-3", user="u2"))
    for event in ("evt-2", "evt-3"):
        receiver.wait(event)
        delivery_logged(server, channel["id"], event)
    convs = api(server, "GET", f"/v1/conversations?bot_id={channel['bot_id']}&user=webhook:u1")["data"]
    assert len(convs) == 1 and convs[0]["source"] == "channel" and convs[0]["message_count"] == 4
    convs = api(server, "GET", f"/v1/conversations?bot_id={channel['bot_id']}&user=webhook:u2")["data"]
    assert len(convs) == 1 and convs[0]["message_count"] == 2


def test_every_bad_delivery_is_refused_and_nothing_is_processed(server, receiver, channel):
    cid = channel["id"]
    before = len(deliveries(server, cid))
    body = json.dumps(message("evt-bad")).encode()
    now = int(time.time())
    good = sign(SECRET, now, body)
    flipped = bytearray(body)
    flipped[10] ^= 0x01
    cases = [
        ("flipped byte", dict(body=bytes(flipped), signature=good, ts=now), 401),
        ("stale", dict(body=body, ts=now - 301), 401),
        ("future", dict(body=body, ts=now + 301), 401),
        ("truncated", dict(body=body, ts=now, signature=good[:-2]), 401),
        ("uppercase", dict(body=body, ts=now, signature="sha256=" + good[7:].upper()), 401),
        ("wrong key", dict(body=body, ts=now, secret="another-secret-entirely"), 401),
        ("no prefix", dict(body=body, ts=now, signature=good[7:]), 401),
        ("no headers", dict(body=body, headers={"Content-Type": "application/json"}), 401),
        ("bad timestamp", dict(body=body, headers={"X-Kiln-Timestamp": "soon", "X-Kiln-Signature": good}), 401),
        ("malformed json", dict(body=b'{"event_id": "evt-bad", "user": {'), 400),
        ("no user", dict(body=json.dumps({"event_id": "evt-bad", "text": "hi"}).encode()), 400),
        ("empty text", dict(body=json.dumps({"event_id": "evt-bad", "user": {"id": "u"}, "text": ""}).encode()), 400),
        ("not an object", dict(body=b'["evt-bad"]'), 400),
        ("over the cap", dict(body=b'{"x": "' + b"a" * (1 << 20) + b'"}'), 413),
    ]
    for name, kw, status in cases:
        r = deliver(server, cid, None, **kw)
        assert r.status_code == status, (name, r.status_code, r.text)
        assert "error" in r.json(), name
    r = requests.post(f"{server.url}/hooks/chn_doesnotexist", data=body, timeout=10,
                      headers={"X-Kiln-Timestamp": str(now), "X-Kiln-Signature": good})
    assert r.status_code == 404
    # None of them was taken: the same event id is still new.
    time.sleep(0.5)
    assert not receiver.for_event("evt-bad")
    assert len(deliveries(server, cid)) == before
    r = deliver(server, cid, message("evt-bad"))
    assert r.status_code == 202, r.text
    receiver.wait("evt-bad")


def test_a_disabled_channel_answers_nothing(server, receiver, channel):
    api(server, "PATCH", f"/v1/channels/{channel['id']}", json={"enabled": False})
    try:
        r = deliver(server, channel["id"], message("evt-off"))
        assert r.status_code == 404, r.text
    finally:
        api(server, "PATCH", f"/v1/channels/{channel['id']}", json={"enabled": True})
    time.sleep(0.3)
    assert not receiver.for_event("evt-off")


def test_duplicates_are_processed_once_even_after_a_restart(server, receiver, channel):
    r = deliver(server, channel["id"], message("evt-dup"))
    assert r.status_code == 202
    for _ in range(3):
        again = deliver(server, channel["id"], message("evt-dup"))
        assert again.status_code == 200 and again.json() == {"duplicate": True, "event_id": "evt-dup"}
    receiver.wait("evt-dup")
    server.stop()
    server.start()
    replay = deliver(server, channel["id"], message("evt-dup"))
    assert replay.status_code == 200 and replay.json()["duplicate"] is True
    time.sleep(1)
    assert len(receiver.for_event("evt-dup")) == 1
    assert len([d for d in deliveries(server, channel["id"]) if d["event_id"] == "evt-dup"]) == 1


def test_a_burst_of_100_deliveries_is_answered_exactly_once_each(server, receiver, channel):
    events = [f"burst-{i}" for i in range(100)]

    def send(event):
        # As a platform does: a 429 (the server's queue is full) is retried.
        for _ in range(400):
            r = deliver(server, channel["id"], message(event, user=f"b{int(event[6:]) % 10}", text="Say hi."))
            if r.status_code != 429:
                return r.status_code
            time.sleep(0.25)
        return 429

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(send, events))
        replays = list(pool.map(lambda e: deliver(server, channel["id"], message(e)).status_code, events))
    assert statuses == [202] * 100, statuses
    assert replays == [200] * 100, replays
    deadline = time.time() + 300
    while time.time() < deadline and sum(bool(receiver.for_event(e)) for e in events) < 100:
        time.sleep(0.2)
    time.sleep(1)
    assert [len(receiver.for_event(e)) for e in events] == [1] * 100
    # The replies went over kept-alive connections: far fewer than one each.
    peers = {c["peer"] for e in events for c in receiver.for_event(e)}
    assert len(peers) <= 20, len(peers)


def test_429_is_retried_and_a_failing_receiver_shows_in_the_log(server, receiver, channel):
    r = deliver(server, channel["id"], message("evt-flaky", user="flaky"))
    assert r.status_code == 202
    [call] = receiver.wait("evt-flaky", timeout=120)
    assert receiver.attempts_for("evt-flaky") == 3
    d = delivery_logged(server, channel["id"], "evt-flaky")
    assert d["status"] == "sent" and d["attempts"] == 3, d

    r = deliver(server, channel["id"], message("evt-down", user="down"))
    assert r.status_code == 202
    d = delivery_logged(server, channel["id"], "evt-down", timeout=120)
    assert d["status"] == "failed" and d["attempts"] == 5 and d["http_status"] == 500, d
    assert "HTTP 500" in d["last_error"] and "5 attempts" in d["last_error"]


def test_an_unpublished_bot_is_logged_not_answered(server, receiver):
    bot = api(server, "POST", "/v1/bots", 201, json={"name": "Draft only"})["id"]
    c = api(server, "POST", f"/v1/bots/{bot}/channels", 201, json={
        "type": "webhook",
        "config": {"secret": SECRET, "callback_url": f"http://127.0.0.1:{receiver.port}/kiln"}})
    assert deliver(server, c["id"], message("evt-draft")).status_code == 202
    deadline = time.time() + 30
    log = []
    while time.time() < deadline and not log:
        log = deliveries(server, c["id"])
        time.sleep(0.2)
    assert log and log[0]["status"] == "failed" and "publish" in log[0]["last_error"], log
    assert not receiver.for_event("evt-draft")


def test_the_example_sender_reaches_the_bot(server, receiver, channel):
    script = pathlib.Path(__file__).resolve().parents[2] / "examples" / "channels" / "send_webhook.py"
    out = subprocess.run([sys.executable, str(script), f"{server.url}/hooks/{channel['id']}", SECRET,
                          "Hello from the example"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("202 ") and json.loads(out.stdout.split(" ", 1)[1])["accepted"] is True
    event_id = json.loads(out.stdout.split(" ", 1)[1])["event_id"]
    receiver.wait(event_id)
