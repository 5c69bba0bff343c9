"""SMS through Alibaba Cloud's or Tencent Cloud's SendSms, signed as each documents it.

The message body holds the template parameters as JSON; the wording is the provider's approved template
(its code in config `[sms.templates]`). Our idempotency key is the OutboxMessage key:
- Alibaba (RPC, signature v1): it is the SignatureNonce, which Alibaba refuses to see twice within 15
  minutes (SignatureNonceUsed), so a retry after a time-out inside that window cannot send twice; it is
  also OutId, echoed in the delivery receipts. Past the window a timed-out message is left "uncertain".
- Tencent (API 3.0, TC3-HMAC-SHA256): it is SessionContext, echoed in the receipts. Tencent drops no
  repeats, so a message that timed out is never sent again: it is left "uncertain" for a person to check.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.parse
from datetime import UTC, datetime

from complaints.models import OutboxMessage
from complaints.notify.http import ChannelError, Receipt, call, status_failure
from complaints.settings import SmsSettings

ALIYUN_RATE_LIMITED = {"isv.BUSINESS_LIMIT_CONTROL", "Throttling.User", "Throttling", "isv.DAY_LIMIT_CONTROL"}
ALIYUN_NONCE_WINDOW_MINUTES = 14  # SignatureNonce is remembered for 15 minutes


def percent_encode(value: str) -> str:
    """RFC 3986 as Alibaba's RPC signature wants it: space %20, * %2A, ~ kept."""
    return urllib.parse.quote(value, safe="~")


def aliyun_signature(params: dict[str, str], secret: str, method: str = "POST") -> str:
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))
    string_to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


class AliyunSms:
    name = "sms"
    retry_after_timeout_minutes: int | None = ALIYUN_NONCE_WINDOW_MINUTES

    def __init__(self, settings: SmsSettings):
        self.settings, self.config = settings, settings.aliyun

    def params(self, message: OutboxMessage) -> dict[str, str]:
        return {
            "AccessKeyId": self.config.access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "OutId": message.key,
            "PhoneNumbers": message.recipient,
            "RegionId": self.config.region,
            "SignName": self.settings.sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": message.key,
            "SignatureVersion": "1.0",
            "TemplateCode": message.subject,
            "TemplateParam": message.body,
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }

    def send(self, message: OutboxMessage, now: datetime) -> Receipt:
        params = self.params(message)
        params["Signature"] = aliyun_signature(params, self.config.access_key_secret)
        body = urllib.parse.urlencode(params, quote_via=urllib.parse.quote).encode("ascii")
        answer = call(
            "POST",
            f"{self.config.endpoint}/",
            timeout=self.settings.timeout_seconds,
            body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        data = answer.json() if answer.body else {}
        code = str(data.get("Code", ""))
        if code == "OK":
            return Receipt(str(data.get("BizId") or "") or None, data)
        if code == "SignatureNonceUsed":  # our earlier try did arrive: it was sent then
            return Receipt(None, data)
        if code in ALIYUN_RATE_LIMITED:
            raise ChannelError(
                "rate_limited", f"{code}: {data.get('Message', '')}"[:300], status_code=answer.status, receipt=data
            )
        failure = status_failure(answer, data)
        if failure is not None and failure.outcome != "rejected":
            raise failure
        raise ChannelError(
            "rejected",
            f"{code or answer.status}: {data.get('Message', '')}"[:300],
            status_code=answer.status,
            receipt=data,
        )


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def tc3_authorization(
    *, secret_id: str, secret_key: str, host: str, payload: bytes, timestamp: int, service: str = "sms"
) -> str:
    """The Authorization header of Tencent Cloud API 3.0 (TC3-HMAC-SHA256) for a JSON POST to /."""
    day = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    canonical = (
        f"POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:{host}\n\n"
        f"content-type;host\n{_sha256_hex(payload)}"
    )
    scope = f"{day}/{service}/tc3_request"
    string_to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{_sha256_hex(canonical.encode('utf-8'))}"
    signing = _hmac(_hmac(_hmac(f"TC3{secret_key}".encode(), day), service), "tc3_request")
    signature = hmac.new(signing, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders=content-type;host, Signature={signature}"


class TencentSms:
    name = "sms"
    retry_after_timeout_minutes: int | None = 0  # never: Tencent would send it again

    def __init__(self, settings: SmsSettings):
        self.settings, self.config = settings, settings.tencent

    def payload(self, message: OutboxMessage) -> bytes:
        values = json.loads(message.body or "{}")
        return json.dumps(
            {
                "PhoneNumberSet": [f"+86{message.recipient}"],
                "SmsSdkAppId": self.config.sdk_app_id,
                "SignName": self.settings.sign_name,
                "TemplateId": message.subject,
                "TemplateParamSet": [str(v) for v in values.values()],
                "SessionContext": message.key,
            },
            ensure_ascii=False,
        ).encode("utf-8")

    def send(self, message: OutboxMessage, now: datetime) -> Receipt:
        payload, timestamp = self.payload(message), int(time.time())  # the wall clock, as signatures need
        host = urllib.parse.urlsplit(self.config.endpoint).netloc
        headers = {
            "Authorization": tc3_authorization(
                secret_id=self.config.secret_id,
                secret_key=self.config.secret_key,
                host=host,
                payload=payload,
                timestamp=timestamp,
            ),
            "Content-Type": "application/json; charset=utf-8",
            "Host": host,
            "X-TC-Action": "SendSms",
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Version": "2021-01-11",
            "X-TC-Region": self.config.region,
        }
        answer = call(
            "POST", f"{self.config.endpoint}/", timeout=self.settings.timeout_seconds, body=payload, headers=headers
        )
        if answer.status >= 500:  # it may have been sent
            raise ChannelError("timeout", f"HTTP {answer.status}", status_code=answer.status)
        response = answer.json().get("Response", {})
        if "Error" in response:
            raise _tencent_error(response["Error"], answer.status, response)
        status = (response.get("SendStatusSet") or [{}])[0]
        if status.get("Code") == "Ok":
            return Receipt(str(status.get("SerialNo") or "") or None, response)
        raise _tencent_error(status, answer.status, response)


def _tencent_error(error: dict, status_code: int, receipt: dict) -> ChannelError:
    code = str(error.get("Code", ""))
    text = f"{code}: {error.get('Message', '')}"[:300]
    if code.startswith(("LimitExceeded", "RequestLimitExceeded")):
        return ChannelError("rate_limited", text, status_code=status_code, receipt=receipt)
    if code.startswith("InternalError"):
        return ChannelError("timeout", text, status_code=status_code, receipt=receipt)
    return ChannelError("rejected", text, status_code=status_code, receipt=receipt)


def sms_channel(settings: SmsSettings):
    return TencentSms(settings) if settings.provider == "tencent" else AliyunSms(settings)
