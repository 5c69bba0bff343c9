"""A local stand-in (127.0.0.1 only) for the providers' HTTP APIs: 企业微信, 钉钉, Alibaba Cloud and
Tencent Cloud SMS, and a webhook receiver. It checks each request's documented shape and signature with
its own code, answers as the provider does, and can be told to answer slowly, with a rate limit or with
a refusal. Every request it saw is kept in `requests`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRETS = {
    "wecom_key": "robot-key-1",
    "corp_id": "ww-corp",
    "corp_secret": "corp-secret",
    "ding_token": "ding-token",
    "ding_secret": "SECding",
    "app_key": "ding-app",
    "app_secret": "ding-secret",
    "ali_id": "LTAIexample",
    "ali_secret": "ali-secret",
    "tc_id": "AKIDexample",
    "tc_key": "tc-key",
    "hook_secret": None,
}


class FakeProviders:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.script: list[str] = []  # answers to give next, in order: ok | slow | rate | reject | error
        self.delivered: list[str] = []  # what would reach a phone or a chat
        self.nonces: set[str] = set()
        self.hook_secret = ""
        handler = type("Handler", (_Handler,), {"fake": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def next_mode(self) -> str:
        return self.script.pop(0) if self.script else "ok"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _b64_hmac(key: bytes, text: str, digest) -> str:
    return base64.b64encode(hmac.new(key, text.encode(), digest).digest()).decode()


class _Handler(BaseHTTPRequestHandler):
    fake: FakeProviders

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._handle(b"")

    def do_POST(self) -> None:
        self._handle(self.rfile.read(int(self.headers.get("Content-Length", "0"))))

    def _answer(self, status: int, payload: dict) -> None:
        body = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the caller gave up waiting
            pass

    def _handle(self, body: bytes) -> None:
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        headers = {k.lower(): v for k, v in self.headers.items()}
        record = {"path": url.path, "query": query, "body": body, "headers": headers}
        self.fake.requests.append(record)
        routes = {
            "/cgi-bin/webhook/send": self._wecom_robot,
            "/cgi-bin/gettoken": self._wecom_token,
            "/cgi-bin/message/send": self._wecom_app,
            "/robot/send": self._ding_robot,
            "/gettoken": self._ding_token,
            "/topapi/message/corpconversation/asyncsend_v2": self._ding_app,
            "/hook": self._webhook,
        }
        if url.path == "/" and self.headers.get("X-TC-Action"):
            return self._tencent(body)
        if url.path == "/":
            return self._aliyun(body)
        return routes[url.path](query, body)

    def _mode(self, rate: tuple[int, dict], reject: tuple[int, dict], sent: str | None = None) -> bool:
        """Play the scripted failure, if any; True when the request is to be answered normally. A slow
        answer comes after the caller gave up, but what it carried was sent (`sent`)."""
        mode = self.fake.next_mode()
        if mode == "slow":
            if sent is not None:
                self.fake.delivered.append(sent)
            time.sleep(1.6)
            self._answer(200, {"errcode": 0, "errmsg": "ok (too late)"})
            return False
        if mode in ("rate", "reject", "error"):
            status, payload = {"rate": rate, "reject": reject, "error": (502, {"error": "bad gateway"})}[mode]
            self._answer(status, payload)
            return False
        return True

    # ---- 企业微信
    def _wecom_robot(self, query: dict, body: bytes) -> None:
        data = json.loads(body)
        assert query["key"] == SECRETS["wecom_key"] and data["msgtype"] == "text" and data["text"]["content"]
        if self._mode(
            (200, {"errcode": 45009, "errmsg": "api freq out of limit"}),
            (200, {"errcode": 93000, "errmsg": "invalid webhook url"}),
        ):
            self.fake.delivered.append(data["text"]["content"])
            self._answer(200, {"errcode": 0, "errmsg": "ok"})

    def _wecom_token(self, query: dict, body: bytes) -> None:
        good = query == {"corpid": SECRETS["corp_id"], "corpsecret": SECRETS["corp_secret"]}
        self._answer(
            200,
            {"errcode": 0, "access_token": "wecom-token", "expires_in": 7200}
            if good
            else {"errcode": 40001, "errmsg": "invalid credential"},
        )

    def _wecom_app(self, query: dict, body: bytes) -> None:
        data = json.loads(body)
        if query.get("access_token") != "wecom-token":
            return self._answer(200, {"errcode": 42001, "errmsg": "access_token expired"})
        assert data["msgtype"] == "text" and data["touser"] and isinstance(data["agentid"], int)
        if self._mode((200, {"errcode": 45009, "errmsg": "freq"}), (200, {"errcode": 81013, "errmsg": "no user"})):
            self.fake.delivered.append(data["text"]["content"])
            self._answer(200, {"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": "wx-msg-1"})

    # ---- 钉钉
    def _ding_robot(self, query: dict, body: bytes) -> None:
        timestamp = int(query["timestamp"])
        expected = _b64_hmac(SECRETS["ding_secret"].encode(), f"{timestamp}\n{SECRETS['ding_secret']}", hashlib.sha256)
        if (
            query.get("access_token") != SECRETS["ding_token"]
            or query.get("sign") != expected
            or abs(time.time() * 1000 - timestamp) > 3600_000
        ):
            return self._answer(200, {"errcode": 310000, "errmsg": "sign not match"})
        data = json.loads(body)
        assert data["msgtype"] == "text" and "atMobiles" in data["at"]
        if self._mode(
            (200, {"errcode": 130101, "errmsg": "send too fast"}),
            (200, {"errcode": 300001, "errmsg": "token is not exist"}),
        ):
            self.fake.delivered.append(data["text"]["content"])
            self._answer(200, {"errcode": 0, "errmsg": "ok"})

    def _ding_token(self, query: dict, body: bytes) -> None:
        good = query == {"appkey": SECRETS["app_key"], "appsecret": SECRETS["app_secret"]}
        self._answer(
            200,
            {"errcode": 0, "access_token": "ding-app-token", "expires_in": 7200}
            if good
            else {"errcode": 40089, "errmsg": "invalid appkey"},
        )

    def _ding_app(self, query: dict, body: bytes) -> None:
        data = json.loads(body)
        assert query.get("access_token") == "ding-app-token" and data["msg"]["msgtype"] == "text"
        if self._mode((200, {"errcode": 90018, "errmsg": "too fast"}), (200, {"errcode": 33012, "errmsg": "bad"})):
            self.fake.delivered.append(data["msg"]["text"]["content"])
            self._answer(200, {"errcode": 0, "task_id": 4711, "request_id": "r1"})

    # ---- Alibaba Cloud SendSms (RPC, signature v1)
    def _aliyun(self, body: bytes) -> None:
        params = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
        signature = params.pop("Signature")

        def enc(text: str) -> str:
            return urllib.parse.quote(text, safe="~")

        canonical = "&".join(f"{enc(k)}={enc(params[k])}" for k in sorted(params))
        expected = _b64_hmac(f"{SECRETS['ali_secret']}&".encode(), f"POST&%2F&{enc(canonical)}", hashlib.sha1)
        required = {
            "AccessKeyId",
            "Action",
            "Format",
            "PhoneNumbers",
            "SignName",
            "SignatureMethod",
            "SignatureNonce",
            "SignatureVersion",
            "TemplateCode",
            "Timestamp",
            "Version",
        }
        if signature != expected or not required <= set(params) or params["Action"] != "SendSms":
            return self._answer(400, {"Code": "SignatureDoesNotMatch", "Message": "bad signature"})
        if params["SignatureNonce"] in self.fake.nonces:
            return self._answer(400, {"Code": "SignatureNonceUsed", "Message": "nonce used"})
        self.fake.nonces.add(params["SignatureNonce"])
        if self._mode(
            (200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "limit"}),
            (200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "bad number"}),
            params["PhoneNumbers"],
        ):
            self.fake.delivered.append(params["PhoneNumbers"])
            self._answer(200, {"Code": "OK", "Message": "OK", "BizId": f"biz-{params['OutId']}", "RequestId": "x"})

    # ---- Tencent Cloud SendSms (API 3.0, TC3-HMAC-SHA256)
    def _tencent(self, body: bytes) -> None:
        headers = self.headers
        timestamp = int(headers["X-TC-Timestamp"])
        day = time.strftime("%Y-%m-%d", time.gmtime(timestamp))
        canonical = (
            f"POST\n/\n\ncontent-type:{headers['Content-Type']}\nhost:{headers['Host']}\n\n"
            f"content-type;host\n{hashlib.sha256(body).hexdigest()}"
        )
        to_sign = (
            f"TC3-HMAC-SHA256\n{timestamp}\n{day}/sms/tc3_request\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        )
        key = hmac.new(f"TC3{SECRETS['tc_key']}".encode(), day.encode(), hashlib.sha256).digest()
        for part in ("sms", "tc3_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        expected = (
            f"TC3-HMAC-SHA256 Credential={SECRETS['tc_id']}/{day}/sms/tc3_request, "
            f"SignedHeaders=content-type;host, Signature={signature}"
        )
        if (
            headers["Authorization"] != expected
            or headers["X-TC-Action"] != "SendSms"
            or headers["X-TC-Version"] != "2021-01-11"
        ):
            return self._answer(
                200,
                {"Response": {"Error": {"Code": "AuthFailure.SignatureFailure", "Message": "bad"}, "RequestId": "t"}},
            )
        data = json.loads(body)
        status = {
            "SerialNo": "tc-serial-1",
            "PhoneNumber": data["PhoneNumberSet"][0],
            "Fee": 1,
            "SessionContext": data["SessionContext"],
            "Code": "Ok",
            "Message": "send success",
        }
        if self._mode(
            (200, {"Response": {"Error": {"Code": "RequestLimitExceeded", "Message": "limit"}}}),
            (200, {"Response": {"SendStatusSet": [{**status, "Code": "FailedOperation.Blacklist"}]}}),
            data["PhoneNumberSet"][0],
        ):
            self.fake.delivered.append(data["PhoneNumberSet"][0])
            self._answer(200, {"Response": {"SendStatusSet": [status], "RequestId": "t"}})

    # ---- a webhook subscriber
    def _webhook(self, query: dict, body: bytes) -> None:
        timestamp = self.headers["X-Complaints-Timestamp"]
        expected = (
            "sha256="
            + hmac.new(self.fake.hook_secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        )
        if self.headers["X-Complaints-Signature"] != expected:
            return self._answer(401, {"error": "bad signature"})
        if self._mode((429, {"error": "slow down"}), (410, {"error": "gone"})):
            self.fake.delivered.append(self.headers["X-Complaints-Delivery"])
            self._answer(200, {"ok": True})
