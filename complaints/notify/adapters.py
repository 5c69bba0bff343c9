"""Delivery adapters: a log adapter (the default) and a real SMTP adapter, configured off by default."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr
from typing import Protocol

from complaints.i18n import gettext
from complaints.settings import NotifySettings, SmtpSettings

log = logging.getLogger("complaints.notify")


@dataclass(frozen=True)
class Message:
    user_id: int
    to_name: str
    to_address: str | None
    subject: str
    text: str
    html: str | None = None


class DeliveryError(Exception):
    """Sending failed; `permanent` when trying again cannot help (no address, address refused)."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


class Adapter(Protocol):
    name: str

    def send(self, message: Message) -> None:
        """Deliver or raise DeliveryError."""


class LogAdapter:
    """Writes each message to the log: the notification stays visible in the web pages."""

    name = "log"

    def __init__(self) -> None:
        self.sent: list[Message] = []

    def send(self, message: Message) -> None:
        log.info("notification for user %s: %s", message.user_id, message.subject)
        self.sent.append(message)


class SmtpAdapter:
    """E-mail through an SMTP server (STARTTLS and login when configured)."""

    name = "smtp"

    def __init__(self, settings: SmtpSettings):
        self.settings = settings

    def send(self, message: Message) -> None:
        if not message.to_address:
            raise DeliveryError(gettext("该用户没有电子邮箱"), permanent=True)
        try:
            with smtplib.SMTP(self.settings.host, self.settings.port, timeout=self.settings.timeout_seconds) as smtp:
                if self.settings.starttls:
                    smtp.starttls()
                if self.settings.username:
                    smtp.login(self.settings.username, self.settings.password or "")
                smtp.send_message(self.build(message))
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(gettext("收件地址被拒绝：{error}", error=str(exc)[:200]), permanent=True) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(gettext("邮件发送失败：{error}", error=str(exc)[:200])) from exc

    def build(self, message: Message) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.settings.sender
        email["To"] = formataddr((message.to_name, message.to_address or ""))
        email["Subject"] = message.subject
        email.set_content(message.text)
        if message.html:
            email.add_alternative(message.html, subtype="html")
        return email


def adapter_for(settings: NotifySettings) -> Adapter:
    return SmtpAdapter(settings.smtp) if settings.smtp.enabled else LogAdapter()
