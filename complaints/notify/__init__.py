"""Telling people and other systems. `staff()` writes a notice for a member of staff (see staff.py); the
outbox's adapters send e-mail (outbox.py), and outside channels — 企业微信, 钉钉, SMS, webhooks — go
through OutboxMessage rows sent by messages.py."""

from complaints.notify.staff import staff

__all__ = ["staff"]
