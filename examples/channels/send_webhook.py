"""Sends one message to a bot through Kiln's signed webhook channel and
prints Kiln's answer to it (the acknowledgement; the bot's reply goes to the
channel's callback_url, signed the same way).

    python3 send_webhook.py http://127.0.0.1:8080/hooks/chn_... SECRET "Hello!"
"""
import hashlib
import hmac
import json
import sys
import time
import urllib.request
import uuid

url, secret, text = sys.argv[1], sys.argv[2], sys.argv[3]
body = json.dumps({"event_id": str(uuid.uuid4()), "user": {"id": "user-1"}, "text": text}).encode()
ts = str(int(time.time()))
signature = "sha256=" + hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
request = urllib.request.Request(url, data=body, method="POST", headers={
    "Content-Type": "application/json", "X-Kiln-Timestamp": ts, "X-Kiln-Signature": signature})
with urllib.request.urlopen(request, timeout=10) as response:
    print(response.status, response.read().decode())
