"""Slack and LINE end to end, with the real default model and fake platform
APIs on 127.0.0.1 (conftest.FakePlatform) that the deliveries are signed for
exactly as the platforms sign them: Slack's URL check, a mention answered in
its thread through chat.postMessage, a refusal inside a 200 answer logged;
LINE's several events a request answered with their reply tokens; bad
signatures refused; retried events answered once."""
import base64
import hashlib
import hmac
import json
import time

import pytest
import requests

from conftest import api, delivery_logged, published_bot

SLACK_SECRET = "8f742231b10e8888abcd99aa85a5f0e1"
SLACK_TOKEN = "xoxb-1234-5678-abcdefgh"
LINE_SECRET = "0123456789abcdef0123456789abcdef"
LINE_TOKEN = "line-access-token"


def respond(path, data, n):
    if path == "/api/chat.postMessage" and data and data.get("channel") == "CBAD":
        return 200, {}, b'{"ok": false, "error": "channel_not_found"}'
    return 200, {"Content-Type": "application/json"}, b'{"ok": true}'


@pytest.fixture(scope="module")
def server(fake_server):
    return fake_server


@pytest.fixture(scope="module")
def channels(server, fake):
    bot = published_bot(server, "Chat-app bot")
    slack = api(server, "POST", f"/v1/bots/{bot}/channels", 201, json={
        "type": "slack", "api_base_url": fake.url + "/api",
        "config": {"bot_token": SLACK_TOKEN, "signing_secret": SLACK_SECRET}})
    line = api(server, "POST", f"/v1/bots/{bot}/channels", 201, json={
        "type": "line", "api_base_url": fake.url,
        "config": {"channel_secret": LINE_SECRET, "channel_access_token": LINE_TOKEN}})
    return {"slack": slack, "line": line}


def slack_post(server, channel, payload, ts=None, secret=SLACK_SECRET):
    body = json.dumps(payload).encode()
    ts = str(int(time.time()) if ts is None else ts)
    sig = "v0=" + hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    return requests.post(f"{server.url}/hooks/{channel['id']}", data=body, timeout=30, headers={
        "Content-Type": "application/json", "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig})


def mention(event_id, channel="C0CHAN", text="<@U0BOT> hello there"):
    return {"token": "legacy", "team_id": "T0TEST", "api_app_id": "A0TEST", "type": "event_callback",
            "event_id": event_id, "event_time": 1700000000,
            "event": {"type": "app_mention", "user": "U0USER", "text": text,
                      "ts": "1700000000.000100", "channel": channel}}


def test_slack_url_verification_and_a_mention_answered_in_its_thread(server, fake, channels):
    r = slack_post(server, channels["slack"], {"type": "url_verification", "token": "t", "challenge": "c-123"})
    assert r.status_code == 200 and r.json() == {"challenge": "c-123"}, r.text
    r = slack_post(server, channels["slack"], mention("Ev001"))
    assert r.status_code == 200, r.text
    [call] = fake.wait(lambda c: c["path"] == "/api/chat.postMessage" and c["data"]["channel"] == "C0CHAN")
    assert call["headers"]["Authorization"] == f"Bearer {SLACK_TOKEN}"
    assert call["data"]["thread_ts"] == "1700000000.000100" and call["data"]["text"].strip()
    # Slack retries with the same event id: answered once.
    r = slack_post(server, channels["slack"], mention("Ev001"))
    assert r.status_code == 200 and r.json()["duplicate"] is True
    time.sleep(1)
    assert len(fake.matching(lambda c: c["path"] == "/api/chat.postMessage" and c["data"]["channel"] == "C0CHAN")) == 1


def test_slack_refusals(server, fake, channels):
    for kw in [dict(ts=int(time.time()) - 301), dict(ts=int(time.time()) + 301), dict(secret="0" * 32)]:
        r = slack_post(server, channels["slack"], mention("Ev002", channel="C0NO"), **kw)
        assert r.status_code == 401, (kw, r.text)
    r = requests.post(f"{server.url}/hooks/{channels['slack']['id']}", data=b"{}", timeout=10)
    assert r.status_code == 401
    # A refusal inside a 200 answer is logged, not retried.
    assert slack_post(server, channels["slack"], mention("Ev003", channel="CBAD")).status_code == 200
    d = delivery_logged(server, channels["slack"]["id"], "T0TEST:Ev003")
    assert d["status"] == "failed" and "channel_not_found" in d["last_error"], d
    assert d["attempts"] == 1
    assert not fake.matching(lambda c: c["data"] and c["data"].get("channel") == "C0NO")


def line_post(server, channel, events, secret=LINE_SECRET):
    body = json.dumps({"destination": "U" + "0" * 32, "events": events}).encode()
    sig = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return requests.post(f"{server.url}/hooks/{channel['id']}", data=body, timeout=30,
                         headers={"Content-Type": "application/json", "x-line-signature": sig})


def line_text(event_id, user, text):
    return {"type": "message", "mode": "active", "timestamp": 1700000000000, "webhookEventId": event_id,
            "deliveryContext": {"isRedelivery": False}, "source": {"type": "user", "userId": user},
            "replyToken": f"rtok-{event_id}", "message": {"id": "5000", "type": "text", "text": text}}


def test_line_events_are_answered_with_their_reply_tokens(server, fake, channels):
    assert line_post(server, channels["line"], []).status_code == 200  # the console's Verify
    users = ["U" + "1" * 32, "U" + "2" * 32]
    r = line_post(server, channels["line"], [line_text("01HA", users[0], "hello"),
                                             line_text("01HB", users[1], "hi there")])
    assert r.status_code == 200, r.text
    for event in ("01HA", "01HB"):
        [call] = fake.wait(lambda c: c["path"] == "/v2/bot/message/reply" and c["data"]["replyToken"] == f"rtok-{event}")
        assert call["headers"]["Authorization"] == f"Bearer {LINE_TOKEN}"
        assert call["data"]["messages"][0]["type"] == "text" and call["data"]["messages"][0]["text"].strip()
    # A redelivery keeps its webhookEventId: answered once.
    again = line_text("01HA", users[0], "hello")
    again["deliveryContext"]["isRedelivery"] = True
    r = line_post(server, channels["line"], [again])
    assert r.status_code == 200 and r.json()["duplicate"] is True
    # Bad signatures: nothing processed.
    assert line_post(server, channels["line"], [line_text("01HC", users[0], "x")], secret="f" * 32).status_code == 401
    time.sleep(1)
    assert len(fake.matching(lambda c: c["path"] == "/v2/bot/message/reply" and c["data"]["replyToken"] == "rtok-01HA")) == 1
    assert not fake.matching(lambda c: c["path"] == "/v2/bot/message/reply" and c["data"]["replyToken"] == "rtok-01HC")
