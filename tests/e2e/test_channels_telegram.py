"""Telegram end to end, with the real default model and a fake Bot API on
127.0.0.1 (conftest.FakePlatform): an update with the right secret token is
acknowledged at once and answered through sendMessage as a reply; a wrong or
missing token is 401 with nothing processed; a retried update_id is answered
once, also after a restart; groups are answered only when the bot is
mentioned; a 429 with the Bot API's retry_after is waited out."""
import json
import time

import pytest
import requests

from conftest import api, delivery_logged, published_bot

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
SECRET = "tg_Secret-1"


def respond(path, data, n):
    # The chat "429" is rate limited once, the Bot API's way.
    if data and data.get("chat_id") == 429 and n == 1:
        return 429, {}, json.dumps({"ok": False, "error_code": 429, "description": "Too Many Requests",
                                    "parameters": {"retry_after": 1}}).encode()
    return 200, {"Content-Type": "application/json"}, b'{"ok": true, "result": {"message_id": 1}}'


@pytest.fixture(scope="module")
def telegram(fake):
    return fake


@pytest.fixture(scope="module")
def server(fake_server):
    return fake_server


@pytest.fixture(scope="module")
def channel(server, telegram):
    bot = published_bot(server, "Telegram bot")
    return api(server, "POST", f"/v1/bots/{bot}/channels", 201, json={
        "type": "telegram", "api_base_url": telegram.url,
        "config": {"bot_token": TOKEN, "secret_token": SECRET, "bot_username": "kiln_test_bot"}})


def update(update_id, text="hello bot", chat_id=5550001, chat_type="private", **message):
    return {"update_id": update_id, "message": {
        "message_id": 42, "date": 1700000000,
        "from": {"id": 5550001, "is_bot": False, "first_name": "Ana"},
        "chat": {"id": chat_id, "type": chat_type}, "text": text, **message}}


def post(server, channel, body, secret=SECRET):
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return requests.post(f"{server.url}/hooks/{channel['id']}", data=data, headers=headers, timeout=30)


def to_chat(chat_id):
    return lambda c: c["path"] == f"/bot{TOKEN}/sendMessage" and c["data"]["chat_id"] == chat_id


def test_an_update_is_answered_with_send_message(server, telegram, channel):
    r = post(server, channel, update(700000001))
    assert r.status_code == 200, r.text
    [call] = telegram.wait(to_chat(5550001))
    assert call["data"]["text"].strip()
    assert call["data"]["reply_parameters"] == {"message_id": 42, "allow_sending_without_reply": True}
    assert call["headers"]["Content-Type"] == "application/json"
    assert delivery_logged(server, channel["id"], "update:700000001")["status"] == "sent"
    conv = api(server, "GET", f"/v1/conversations?bot_id={channel['bot_id']}&user=telegram:5550001")["data"]
    assert len(conv) == 1 and conv[0]["source"] == "channel"


def test_a_wrong_or_missing_secret_token_is_refused(server, telegram, channel):
    before = len(telegram.calls)
    for secret in ["tg_Secret-2", "tg_Secret-", "", None]:
        r = post(server, channel, update(700000002, chat_id=111), secret=secret)
        assert r.status_code == 401, (secret, r.text)
    for body in [b"{", b"[]", {"message": {}}, {"update_id": "7", "message": {}},
                 {"update_id": 7, "message": {"text": "no chat"}}]:
        r = post(server, channel, body)
        assert r.status_code == 400, (body, r.text)
    # The refused update is still new.
    assert post(server, channel, update(700000002, chat_id=111)).status_code == 200
    telegram.wait(to_chat(111))
    assert len(telegram.calls) == before + 1


def test_a_retried_update_is_answered_once_even_after_a_restart(server, telegram, channel):
    assert post(server, channel, update(700000003, chat_id=222)).status_code == 200
    for _ in range(3):
        r = post(server, channel, update(700000003, chat_id=222))
        assert r.status_code == 200 and r.json()["duplicate"] is True
    telegram.wait(to_chat(222))
    server.stop()
    server.start()
    assert post(server, channel, update(700000003, chat_id=222)).json()["duplicate"] is True
    time.sleep(1)
    assert len(telegram.matching(to_chat(222))) == 1


def test_groups_answer_only_when_the_bot_is_mentioned(server, telegram, channel):
    r = post(server, channel, update(700000004, "anyone here?", chat_id=-100333, chat_type="supergroup"))
    assert r.status_code == 200 and "duplicate" not in r.json()
    text = "@kiln_test_bot are you there?"
    r = post(server, channel, update(700000005, text, chat_id=-100333, chat_type="supergroup",
                                     entities=[{"type": "mention", "offset": 0, "length": 14}]))
    assert r.status_code == 200
    [call] = telegram.wait(to_chat(-100333))
    assert call["data"]["text"].strip()
    conv = api(server, "GET", f"/v1/conversations?bot_id={channel['bot_id']}&user=telegram:5550001")["data"]
    messages = api(server, "GET", f"/v1/conversations/{conv[0]['id']}/messages?limit=100")["data"]
    assert "are you there?" in [m["content"].strip() for m in messages if m["role"] == "user"]
    assert "anyone here?" not in [m["content"] for m in messages]


def test_429_with_retry_after_is_waited_out(server, telegram, channel):
    assert post(server, channel, update(700000006, chat_id=429)).status_code == 200
    ok = telegram.wait(to_chat(429), timeout=60)
    refused = telegram.matching(to_chat(429), status=429)
    assert len(ok) == 1 and len(refused) == 1
    d = delivery_logged(server, channel["id"], "update:700000006")
    assert d["status"] == "sent" and d["attempts"] == 2, d
