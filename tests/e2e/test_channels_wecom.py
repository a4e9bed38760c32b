"""WeCom end to end, with the real default model and a fake WeCom API on
127.0.0.1: the signed GET URL check answered with the decrypted echostr; an
encrypted, signed XML message acknowledged empty and answered through
message/send with a token from gettoken; refusals with nothing processed; a
repeated MsgId answered once."""
import base64
import hashlib
import json
import os
import struct
import time

import pytest
import requests
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from conftest import api, published_bot

CORP = "wwcorp0001"
TOKEN = "QDG6eK"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"


def respond(path, data, n):
    if path.startswith("/cgi-bin/gettoken"):
        ok = path == f"/cgi-bin/gettoken?corpid={CORP}&corpsecret=wecom-secret"
        body = {"errcode": 0, "errmsg": "ok", "access_token": "AT-fake", "expires_in": 7200} if ok \
            else {"errcode": 40013, "errmsg": "invalid corpid"}
        return 200, {}, json.dumps(body).encode()
    return 200, {}, b'{"errcode": 0, "errmsg": "ok"}'


@pytest.fixture(scope="module")
def server(fake_server):
    return fake_server


@pytest.fixture(scope="module")
def channel(server, fake):
    bot = published_bot(server, "WeCom bot")
    return api(server, "POST", f"/v1/bots/{bot}/channels", 201, json={
        "type": "wecom", "api_base_url": fake.url,
        "config": {"corp_id": CORP, "agent_id": "1000002", "secret": "wecom-secret",
                   "token": TOKEN, "encoding_aes_key": AES_KEY}})


def encrypt(msg: bytes, receiver=CORP):
    key = base64.b64decode(AES_KEY + "=")
    plain = os.urandom(16) + struct.pack(">I", len(msg)) + msg + receiver.encode()
    pad = 32 - len(plain) % 32
    plain += bytes([pad]) * pad
    enc = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(enc.update(plain) + enc.finalize()).decode()


def signature(*parts):
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def query(text, ts="1700000000", nonce="n0nce", sig=None):
    return {"msg_signature": sig or signature(TOKEN, ts, nonce, text), "timestamp": ts, "nonce": nonce}


def xml_message(msg_id, text="你好", user="zhangsan"):
    return (f"<xml><ToUserName><![CDATA[{CORP}]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
            f"<CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId><AgentID>1000002</AgentID></xml>").encode()


def post(server, channel, msg_id, receiver=CORP, sig=None, user="zhangsan"):
    enc = encrypt(xml_message(msg_id, user=user), receiver)
    body = f"<xml><ToUserName><![CDATA[{CORP}]]></ToUserName><Encrypt><![CDATA[{enc}]]></Encrypt></xml>"
    return requests.post(f"{server.url}/hooks/{channel['id']}", params=query(enc, sig=sig),
                         data=body.encode(), headers={"Content-Type": "text/xml"}, timeout=30)


def sends(fake, user):
    return fake.matching(lambda c: c["path"] == "/cgi-bin/message/send?access_token=AT-fake"
                         and c["data"]["touser"] == user)


def test_url_check_and_a_message_answered_by_message_send(server, fake, channel):
    echostr = encrypt(b"8848123456789")
    r = requests.get(f"{server.url}/hooks/{channel['id']}", params={**query(echostr), "echostr": echostr}, timeout=10)
    assert r.status_code == 200 and r.text == "8848123456789", r.text
    r = post(server, channel, "7300000000000000001")
    assert r.status_code == 200 and r.text == "", r.text
    [call] = fake.wait(lambda c: c["path"].startswith("/cgi-bin/message/send") and c["data"]["touser"] == "zhangsan")
    assert call["data"]["msgtype"] == "text" and call["data"]["agentid"] == 1000002
    assert call["data"]["text"]["content"].strip()
    assert post(server, channel, "7300000000000000001").json()["duplicate"] is True
    time.sleep(1)
    assert len(sends(fake, "zhangsan")) == 1


def test_refusals(server, fake, channel):
    assert post(server, channel, "7300000000000000002", user="lisi", sig="0" * 40).status_code == 401
    assert post(server, channel, "7300000000000000002", user="lisi", receiver="wwsomeoneelse").status_code == 401
    r = requests.post(f"{server.url}/hooks/{channel['id']}", data=b"<xml/>", timeout=10)
    assert r.status_code == 401
    r = requests.post(f"{server.url}/hooks/{channel['id']}", params=query(""), data=b"<xml></xml>", timeout=10)
    assert r.status_code == 400
    echostr = encrypt(b"x")
    r = requests.get(f"{server.url}/hooks/{channel['id']}", params={**query(echostr, sig="1" * 40), "echostr": echostr}, timeout=10)
    assert r.status_code == 401
    time.sleep(1)
    assert not sends(fake, "lisi")
