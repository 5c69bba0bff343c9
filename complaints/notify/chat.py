"""企业微信 and 钉钉: their group robots (a webhook; the person is @-mentioned by mobile) and their app
messages (an access token from gettoken, then a message to the person's user id).

Request shapes as the providers document them:
- 企业微信 robot: POST /cgi-bin/webhook/send?key=KEY {"msgtype": "text", "text": {"content", "mentioned_mobile_list"}}
- 企业微信 app: GET /cgi-bin/gettoken?corpid&corpsecret; POST /cgi-bin/message/send?access_token=T
  {"touser", "msgtype": "text", "agentid", "text": {"content"}, "enable_duplicate_check", "duplicate_check_interval"}
- 钉钉 robot: POST /robot/send?access_token=T&timestamp=MS&sign=S, S = urlencode(base64(HMAC-SHA256(secret,
  "MS\\nsecret"))); {"msgtype": "text", "text": {"content"}, "at": {"atMobiles"}}
- 钉钉 work notice: GET /gettoken?appkey&appsecret; POST /topapi/message/corpconversation/asyncsend_v2?access_token=T
  {"agent_id", "userid_list", "msg": {"msgtype": "text", "text": {"content"}}}
Each answers {"errcode": 0, ...}; a non-zero errcode is a refusal, a few of them a rate limit."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import urllib.parse
from datetime import datetime

from complaints.models import OutboxMessage
from complaints.notify.http import Answer, ChannelError, Receipt, call, post_json, status_failure
from complaints.settings import DingtalkSettings, WecomSettings

WECOM_RATE_LIMITED = {45009, 45033}  # api freq out of limit
WECOM_TOKEN_EXPIRED = {40014, 42001}
DINGTALK_RATE_LIMITED = {130101, 90018, 88}  # send too fast
DINGTALK_TOKEN_EXPIRED = {40014, 42001}


def _text(message: OutboxMessage) -> str:
    return f"{message.subject}\n{message.body}".strip()


def _checked(answer: Answer, rate_limited: set[int]) -> dict:
    """The answer as JSON, or ChannelError for a refusal."""
    data = answer.json() if answer.body else {}
    failure = status_failure(answer, data)
    if failure is not None:
        raise failure
    code = data.get("errcode", 0)
    if code != 0:
        outcome = "rate_limited" if code in rate_limited else "rejected"
        raise ChannelError(
            outcome, f"errcode {code}: {str(data.get('errmsg', ''))[:200]}", status_code=answer.status, receipt=data
        )
    return data


class WecomRobot:
    name = "wecom_robot"
    retry_after_timeout_minutes: int | None = None  # a repeated chat line is a nuisance, not a harm

    def __init__(self, settings: WecomSettings, timeout: float):
        self.settings, self.timeout = settings, timeout

    def send(self, message: OutboxMessage, now: datetime) -> Receipt:
        url = f"{self.settings.base_url}/cgi-bin/webhook/send?key={urllib.parse.quote(self.settings.robot_key)}"
        text: dict[str, object] = {"content": _text(message)[:2000]}
        if message.recipient:
            text["mentioned_mobile_list"] = [message.recipient]
        data = _checked(post_json(url, {"msgtype": "text", "text": text}, timeout=self.timeout), WECOM_RATE_LIMITED)
        return Receipt(None, data)


class _TokenCache:
    """An app's access token, fetched once per run and again when the provider says it expired."""

    def __init__(self) -> None:
        self.token: str | None = None

    def get(self, fetch) -> str:
        if self.token is None:
            self.token = fetch()
        return self.token

    def drop(self) -> None:
        self.token = None


class WecomApp:
    name = "wecom_app"
    retry_after_timeout_minutes: int | None = 25  # within the 30 minutes of enable_duplicate_check

    def __init__(self, settings: WecomSettings, timeout: float):
        self.settings, self.timeout, self.tokens = settings, timeout, _TokenCache()

    def _fetch_token(self) -> str:
        query = urllib.parse.urlencode({"corpid": self.settings.corp_id, "corpsecret": self.settings.corp_secret})
        data = _checked(
            call("GET", f"{self.settings.base_url}/cgi-bin/gettoken?{query}", timeout=self.timeout), WECOM_RATE_LIMITED
        )
        return str(data["access_token"])

    def send(self, message: OutboxMessage, now: datetime) -> Receipt:
        payload = {
            "touser": message.recipient,
            "msgtype": "text",
            "agentid": self.settings.agent_id,
            "text": {"content": _text(message)},
            "enable_duplicate_check": 1,
            "duplicate_check_interval": 1800,
        }
        for _ in range(2):
            token = self.tokens.get(self._fetch_token)
            url = f"{self.settings.base_url}/cgi-bin/message/send?access_token={urllib.parse.quote(token)}"
            try:
                data = _checked(post_json(url, payload, timeout=self.timeout), WECOM_RATE_LIMITED)
            except ChannelError as exc:
                if exc.receipt and exc.receipt.get("errcode") in WECOM_TOKEN_EXPIRED:
                    self.tokens.drop()
                    continue
                raise
            if data.get("invaliduser"):
                raise ChannelError("rejected", f"invaliduser {data['invaliduser']}"[:200], receipt=data)
            return Receipt(str(data.get("msgid") or "") or None, data)
        raise ChannelError("retry", "access token refused twice")


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """钉钉 加签: base64 of HMAC-SHA256 over "timestamp\\nsecret" keyed with the secret (URL-encoded by the caller)."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


class DingtalkRobot:
    name = "dingtalk_robot"
    retry_after_timeout_minutes: int | None = None

    def __init__(self, settings: DingtalkSettings, timeout: float):
        self.settings, self.timeout = settings, timeout

    def send(self, message: OutboxMessage, now: datetime) -> Receipt:
        query = {"access_token": self.settings.robot_token}
        if self.settings.robot_secret:
            timestamp = int(time.time() * 1000)  # the wall clock: 钉钉 refuses one off by over an hour
            query.update(timestamp=str(timestamp), sign=dingtalk_sign(self.settings.robot_secret, timestamp))
        url = f"{self.settings.base_url}/robot/send?{urllib.parse.urlencode(query)}"
        payload = {
            "msgtype": "text",
            "text": {"content": _text(message)},
            "at": {"atMobiles": [message.recipient] if message.recipient else [], "isAtAll": False},
        }
        return Receipt(None, _checked(post_json(url, payload, timeout=self.timeout), DINGTALK_RATE_LIMITED))


class DingtalkApp:
    name = "dingtalk_app"
    retry_after_timeout_minutes: int | None = 60  # 钉钉 delivers the same content to a person once a day

    def __init__(self, settings: DingtalkSettings, timeout: float):
        self.settings, self.timeout, self.tokens = settings, timeout, _TokenCache()

    def _fetch_token(self) -> str:
        query = urllib.parse.urlencode({"appkey": self.settings.app_key, "appsecret": self.settings.app_secret})
        data = _checked(
            call("GET", f"{self.settings.base_url}/gettoken?{query}", timeout=self.timeout), DINGTALK_RATE_LIMITED
        )
        return str(data["access_token"])

    def send(self, message: OutboxMessage, now: datetime) -> Receipt:
        payload = {
            "agent_id": self.settings.agent_id,
            "userid_list": message.recipient,
            "msg": {"msgtype": "text", "text": {"content": _text(message)}},
        }
        for _ in range(2):
            token = self.tokens.get(self._fetch_token)
            url = (
                f"{self.settings.base_url}/topapi/message/corpconversation/asyncsend_v2"
                f"?access_token={urllib.parse.quote(token)}"
            )
            try:
                data = _checked(post_json(url, payload, timeout=self.timeout), DINGTALK_RATE_LIMITED)
            except ChannelError as exc:
                if exc.receipt and exc.receipt.get("errcode") in DINGTALK_TOKEN_EXPIRED:
                    self.tokens.drop()
                    continue
                raise
            return Receipt(str(data.get("task_id") or "") or None, data)
        raise ChannelError("retry", "access token refused twice")
