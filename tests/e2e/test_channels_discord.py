"""Discord end to end, with the real default model and a fake Discord API on
127.0.0.1: interactions signed with Ed25519 exactly as Discord signs them
(timestamp + raw body); PING answered PONG; a slash command deferred at once
and answered by editing the deferred message; bad signatures (which Discord
itself sends to test endpoints) refused; a repeated interaction answered once."""
import json
import time

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from conftest import api, published_bot

KEY = Ed25519PrivateKey.from_private_bytes(bytes([7] * 32))
PUBLIC = KEY.public_key().public_bytes_raw().hex()
APP = "1100000000000000001"


@pytest.fixture(scope="module")
def server(fake_server):
    return fake_server


@pytest.fixture(scope="module")
def channel(server, fake):
    bot = published_bot(server, "Discord bot")
    return api(server, "POST", f"/v1/bots/{bot}/channels", 201, json={
        "type": "discord", "api_base_url": fake.url + "/api/v10",
        "config": {"public_key": PUBLIC, "application_id": APP, "bot_token": "discord-bot-token"}})


def post(server, channel, payload, key=KEY, ts=None, tamper=False):
    body = json.dumps(payload).encode()
    ts = str(int(time.time()) if ts is None else ts)
    sig = key.sign(ts.encode() + body).hex()
    if tamper:
        body = body.replace(b"hello", b"hellp")
    return requests.post(f"{server.url}/hooks/{channel['id']}", data=body, timeout=30, headers={
        "Content-Type": "application/json", "X-Signature-Ed25519": sig, "X-Signature-Timestamp": ts})


def command(interaction_id, text="hello there", token="itok_abc"):
    return {"id": interaction_id, "application_id": APP, "type": 2, "token": token, "version": 1,
            "data": {"id": "1", "name": "ask", "type": 1, "options": [{"name": "q", "type": 3, "value": text}]},
            "guild_id": "1000000000000000001", "channel_id": "1000000000000000002",
            "member": {"user": {"id": "900000000000000001", "username": "ana"}}}


def test_ping_and_a_command_answered_by_editing_the_deferred_message(server, fake, channel):
    r = post(server, channel, {"type": 1})
    assert r.status_code == 200 and r.json() == {"type": 1}
    r = post(server, channel, command("1200000000000000001"))
    assert r.status_code == 200 and r.json() == {"type": 5}, r.text
    path = f"/api/v10/webhooks/{APP}/itok_abc/messages/@original"
    [call] = fake.wait(lambda c: c["path"] == path)
    assert call["method"] == "PATCH" and call["data"]["content"].strip()
    assert call["data"]["allowed_mentions"] == {"parse": []}
    again = post(server, channel, command("1200000000000000001"))
    assert again.status_code == 200 and again.json()["duplicate"] is True
    time.sleep(1)
    assert len(fake.matching(lambda c: c["path"] == path)) == 1


def test_bad_signatures_are_refused(server, fake, channel):
    other = Ed25519PrivateKey.from_private_bytes(bytes([8] * 32))
    assert post(server, channel, command("1200000000000000002", token="t2"), key=other).status_code == 401
    assert post(server, channel, command("1200000000000000003", token="t3"), tamper=True).status_code == 401
    r = requests.post(f"{server.url}/hooks/{channel['id']}", data=b'{"type":1}', timeout=10)
    assert r.status_code == 401
    time.sleep(1)
    assert not fake.matching(lambda c: "/t2/" in c["path"] or "/t3/" in c["path"])
