"""Feishu / Lark end to end, with the real default model and a fake Open
Platform on 127.0.0.1: events encrypted (AES-256-CBC under SHA-256 of the
Encrypt Key, iv first) and signed (SHA-256 of timestamp + nonce + key + body)
as Feishu does; the URL check; a message answered through the reply API with
a tenant_access_token fetched once and reused; refusals with nothing
processed; a repeated event_id answered once."""
import base64
import hashlib
import json
import os
import time

import pytest
import requests
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from conftest import api, published_bot

KEY = "feishu encrypt key"
VT = "VT_test"


def respond(path, data, n):
    if path == "/open-apis/auth/v3/tenant_access_token/internal":
        ok = data == {"app_id": "cli_a1b2c3d4e5", "app_secret": "feishu-app-secret"}
        body = {"code": 0, "msg": "ok", "tenant_access_token": "t-fake-token", "expire": 7200} if ok \
            else {"code": 10003, "msg": "invalid app"}
        return 200, {}, json.dumps(body).encode()
    return 200, {}, json.dumps({"code": 0, "msg": "success", "data": {}}).encode()


@pytest.fixture(scope="module")
def server(fake_server):
    return fake_server


@pytest.fixture(scope="module")
def channel(server, fake):
    bot = published_bot(server, "Feishu bot")
    return api(server, "POST", f"/v1/bots/{bot}/channels", 201, json={
        "type": "feishu", "api_base_url": fake.url,
        "config": {"app_id": "cli_a1b2c3d4e5", "app_secret": "feishu-app-secret",
                   "verification_token": VT, "encrypt_key": KEY}})


def encrypt(obj, key=KEY):
    iv = os.urandom(16)
    padder = padding.PKCS7(128).padder()
    data = padder.update(json.dumps(obj).encode()) + padder.finalize()
    enc = Cipher(algorithms.AES(hashlib.sha256(key.encode()).digest()), modes.CBC(iv)).encryptor()
    return base64.b64encode(iv + enc.update(data) + enc.finalize()).decode()


def post(server, channel, obj, key=KEY, sign=True, ts=None, raw=None):
    body = raw if raw is not None else json.dumps({"encrypt": encrypt(obj, key)}).encode()
    headers = {"Content-Type": "application/json"}
    if sign:
        ts = str(int(time.time()) if ts is None else ts)
        headers.update({"X-Lark-Request-Timestamp": ts, "X-Lark-Request-Nonce": "n0nce",
                        "X-Lark-Signature": hashlib.sha256((ts + "n0nce" + key).encode() + body).hexdigest()})
    return requests.post(f"{server.url}/hooks/{channel['id']}", data=body, headers=headers, timeout=30)


def message(event_id, message_id, text="hello bot", token=VT):
    return {"schema": "2.0",
            "header": {"event_id": event_id, "event_type": "im.message.receive_v1",
                       "create_time": "1700000000000", "token": token, "app_id": "cli_a1b2c3d4e5"},
            "event": {"sender": {"sender_id": {"open_id": "ou_user1"}, "sender_type": "user"},
                      "message": {"message_id": message_id, "chat_id": "oc_chat1", "chat_type": "p2p",
                                  "message_type": "text", "content": json.dumps({"text": text}),
                                  "mentions": []}}}


def replies(fake, message_id):
    return fake.matching(lambda c: c["path"] == f"/open-apis/im/v1/messages/{message_id}/reply")


def test_url_check_and_messages_answered_with_one_token(server, fake, channel):
    r = post(server, channel, {"challenge": "ch-42", "token": VT, "type": "url_verification"}, sign=False)
    assert r.status_code == 200 and r.json() == {"challenge": "ch-42"}, r.text
    for i in (1, 2):
        assert post(server, channel, message(f"ev-{i}", f"om_{i}")).status_code == 200
        [call] = fake.wait(lambda c, i=i: c["path"] == f"/open-apis/im/v1/messages/om_{i}/reply")
        assert call["headers"]["Authorization"] == "Bearer t-fake-token"
        assert call["data"]["msg_type"] == "text" and json.loads(call["data"]["content"])["text"].strip()
    tokens = fake.matching(lambda c: c["path"].endswith("/tenant_access_token/internal"))
    assert len(tokens) == 1  # cached for the second answer
    r = post(server, channel, message("ev-1", "om_1"))
    assert r.status_code == 200 and r.json()["duplicate"] is True
    time.sleep(1)
    assert len(replies(fake, "om_1")) == 1


def test_refusals(server, fake, channel):
    m = message("ev-bad", "om_bad")
    assert post(server, channel, m, sign=False).status_code == 401            # unsigned event
    assert post(server, channel, m, ts=int(time.time()) - 400).status_code == 401  # stale
    assert post(server, channel, m, key="another key").status_code == 401     # wrong key
    assert post(server, channel, message("ev-bad", "om_bad", token="VT_other")).status_code == 401
    assert post(server, channel, None, raw=json.dumps(m).encode()).status_code == 401  # plaintext
    assert post(server, channel, None, raw=b'{"encrypt": "bm90IGJsb2Nrcw=="}').status_code == 400
    assert post(server, channel, None, raw=b'{"encrypt": ').status_code == 400
    time.sleep(1)
    assert not replies(fake, "om_bad")
    assert post(server, channel, m).status_code == 200  # still new
    fake.wait(lambda c: c["path"] == "/open-apis/im/v1/messages/om_bad/reply")
