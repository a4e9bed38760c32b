"""The channels API against the running server: a channel per chat app with
the credentials each needs (write-only: never in any answer), validation
naming the field, field-by-field changes, the webhook URL on the public URL,
the delivery log, workspace isolation, and channels going with their bot."""
import json
import pathlib

import pytest
import requests

from conftest import ADMIN_KEY, start_kiln

H = {"Authorization": f"Bearer {ADMIN_KEY}"}
ROOT = pathlib.Path(__file__).resolve().parents[2]

CONFIGS = {
    "telegram": {"bot_token": "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", "secret_token": "tg_Secret-1"},
    "slack": {"bot_token": "xoxb-1234-5678-abcdefgh", "signing_secret": "8f742231b10e8888abcd99aa85a5f0e1"},
    "discord": {"public_key": "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c",
                "application_id": "123456789012345678", "bot_token": "MTIz.discord.token"},
    "feishu": {"app_id": "cli_a1b2c3d4e5", "app_secret": "feishu-app-secret",
               "verification_token": "feishu-verify", "encrypt_key": "test key"},
    "line": {"channel_secret": "0123456789abcdef0123456789abcdef", "channel_access_token": "line-access-token"},
    "wecom": {"corp_id": "wx5823bf96d3bd56c7", "agent_id": "1000002", "secret": "wecom-secret",
              "token": "QDG6eK", "encoding_aes_key": "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"},
    "webhook": {"secret": "a-webhook-secret-of-some-length", "callback_url": "https://example.com/kiln"},
}
SECRET_VALUES = [v for c in CONFIGS.values() for k, v in c.items()
                 if k not in ("app_id", "application_id", "corp_id", "agent_id", "callback_url")]


@pytest.fixture(scope="module")
def server():
    s = start_kiln("--no-models", "--public-url", "https://bots.example.com/")
    yield s
    s.close()


def call(server, method, path, status=200, headers=H, **kw):
    r = requests.request(method, server.url + path, headers=headers, timeout=30, **kw)
    assert r.status_code == status, (method, path, r.status_code, r.text)
    for value in SECRET_VALUES:
        assert value not in r.text, (path, value)
    return r.json()


def bot(server, headers=H):
    return call(server, "POST", "/v1/bots", 201, headers=headers, json={"name": "Channel bot"})["id"]


def test_a_channel_for_every_chat_app(server):
    b = bot(server)
    made = {}
    for kind, config in CONFIGS.items():
        c = call(server, "POST", f"/v1/bots/{b}/channels", 201, json={"type": kind, "config": config})
        assert c["type"] == kind and c["bot_id"] == b and c["enabled"] is True
        assert c["webhook_url"] == f"https://bots.example.com/hooks/{c['id']}"
        assert sorted(c["configured"]) == sorted(config)
        assert "config" not in c
        made[kind] = c
    page = call(server, "GET", f"/v1/bots/{b}/channels")
    assert [c["id"] for c in page["data"]] == [made[k]["id"] for k in reversed(list(CONFIGS))]
    one = call(server, "GET", f"/v1/channels/{made['slack']['id']}")
    assert one == made["slack"]
    assert call(server, "GET", f"/v1/channels/{made['line']['id']}/deliveries")["data"] == []


@pytest.mark.parametrize("kind,config,param", [
    ("telegram", {"bot_token": CONFIGS["telegram"]["bot_token"]}, "config.secret_token"),
    ("telegram", {**CONFIGS["telegram"], "secret_token": "no spaces allowed"}, "config.secret_token"),
    ("telegram", {**CONFIGS["telegram"], "bot_token": "not-a-token"}, "config.bot_token"),
    ("slack", {**CONFIGS["slack"], "bot_token": "xoxp-user-token"}, "config.bot_token"),
    ("discord", {**CONFIGS["discord"], "public_key": "8a88"}, "config.public_key"),
    ("feishu", {**CONFIGS["feishu"], "app_secret": "   "}, "config.app_secret"),
    ("line", {**CONFIGS["line"], "channel_secret": "ZZZ"}, "config.channel_secret"),
    ("wecom", {**CONFIGS["wecom"], "encoding_aes_key": "short"}, "config.encoding_aes_key"),
    ("webhook", {**CONFIGS["webhook"], "callback_url": "ftp://x"}, "config.callback_url"),
    ("webhook", {**CONFIGS["webhook"], "secret": "short"}, "config.secret"),
    ("line", {**CONFIGS["line"], "bot_token": "x"}, "config.bot_token"),
])
def test_bad_credentials_name_their_field(server, kind, config, param):
    b = bot(server)
    r = requests.post(f"{server.url}/v1/bots/{b}/channels", headers=H, json={"type": kind, "config": config})
    assert r.status_code == 400, r.text
    assert r.json()["error"]["param"] == param, r.text
    assert call(server, "GET", f"/v1/bots/{b}/channels")["data"] == []


@pytest.mark.parametrize("body,param", [
    ({"type": "myspace", "config": {}}, "type"),
    ({"config": {}}, "type"),
    ({"type": "line"}, "config"),
    ({"type": "line", "config": {"channel_secret": 5}}, "config.channel_secret"),
    ({"type": "line", "config": CONFIGS["line"], "api_base_url": "javascript:alert(1)"}, "api_base_url"),
    ({"type": "line", "config": CONFIGS["line"], "enabled": "yes"}, "enabled"),
    ({"type": "line", "config": CONFIGS["line"], "extra": 1}, "extra"),
])
def test_malformed_requests(server, body, param):
    b = bot(server)
    r = requests.post(f"{server.url}/v1/bots/{b}/channels", headers=H, json=body)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["param"] == param, r.text
    r = requests.post(f"{server.url}/v1/bots/{b}/channels", headers={**H, "Content-Type": "application/json"},
                      data=b'{"type": "line", "config": {')
    assert r.status_code == 400 and "error" in r.json()


def test_changes_are_merged_field_by_field(server):
    b = bot(server)
    c = call(server, "POST", f"/v1/bots/{b}/channels", 201,
             json={"type": "webhook", "config": CONFIGS["webhook"], "enabled": False,
                   "api_base_url": "http://127.0.0.1:9/"})
    assert c["enabled"] is False and c["api_base_url"] == "http://127.0.0.1:9"
    path = f"/v1/channels/{c['id']}"
    c2 = call(server, "PATCH", path, json={"enabled": True, "config": {"callback_url": "https://example.org/new"}})
    assert c2["enabled"] is True and sorted(c2["configured"]) == ["callback_url", "secret"]
    assert c2["updated_at"] >= c["updated_at"]
    # Removing a required field is refused, and nothing changes.
    r = requests.patch(server.url + path, headers=H, json={"config": {"secret": None}, "enabled": False})
    assert r.status_code == 400 and r.json()["error"]["param"] == "config.secret", r.text
    assert call(server, "GET", path)["enabled"] is True
    # The type is fixed once made.
    r = requests.patch(server.url + path, headers=H, json={"type": "line"})
    assert r.status_code == 400
    call(server, "DELETE", path)
    call(server, "GET", path, 404)
    call(server, "DELETE", path, 404)
    call(server, "GET", path + "/deliveries", 404)


def test_workspaces_are_isolated_and_channels_go_with_their_bot(server):
    key = call(server, "POST", "/v1/keys", 201, json={"name": "other", "workspace": "ws_other"})["key"]
    other = {"Authorization": f"Bearer {key}"}
    b = bot(server)
    c = call(server, "POST", f"/v1/bots/{b}/channels", 201, json={"type": "line", "config": CONFIGS["line"]})
    call(server, "GET", f"/v1/channels/{c['id']}", 404, headers=other)
    call(server, "PATCH", f"/v1/channels/{c['id']}", 404, headers=other, json={"enabled": False})
    call(server, "DELETE", f"/v1/channels/{c['id']}", 404, headers=other)
    call(server, "GET", f"/v1/bots/{b}/channels", 404, headers=other)
    call(server, "POST", f"/v1/bots/{b}/channels", 404, headers=other,
         json={"type": "line", "config": CONFIGS["line"]})
    call(server, "GET", f"/v1/channels/{c['id']}")
    call(server, "DELETE", f"/v1/bots/{b}")
    call(server, "GET", f"/v1/channels/{c['id']}", 404)
    call(server, "GET", "/v1/bots/bot_nope/channels", 404)


def test_the_webhook_url_follows_the_host_without_a_public_url():
    s = start_kiln("--no-models")
    try:
        b = call(s, "POST", "/v1/bots", 201, json={"name": "b"})["id"]
        c = call(s, "POST", f"/v1/bots/{b}/channels", 201, json={"type": "line", "config": CONFIGS["line"]})
        assert c["webhook_url"] == f"http://127.0.0.1:{s.port}/hooks/{c['id']}"
        r = requests.get(f"{s.url}/v1/channels/{c['id']}", headers={**H, "Host": "evil\"><script>"})
        assert r.json()["webhook_url"] == f"http://127.0.0.1/hooks/{c['id']}"
        assert json.dumps(r.json()).count("<script>") == 0
    finally:
        s.close()


def test_the_example_configs_are_accepted(server):
    examples = sorted((ROOT / "examples" / "channels").glob("*.json"))
    assert {p.stem for p in examples} == set(CONFIGS), examples
    b = bot(server)
    for path in examples:
        body = json.loads(path.read_text())
        c = requests.post(f"{server.url}/v1/bots/{b}/channels", headers=H, json=body, timeout=30)
        assert c.status_code == 201, (path.name, c.text)
        assert sorted(c.json()["configured"]) == sorted(body["config"])
