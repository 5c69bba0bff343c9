"""An item's attachments: recorded when stored, listed and read as the item allows, removed by a supervisor.

Access is the item's (services.scope): another unit's item is not found. A confidential item's attachments
are hidden from whoever may not reveal its reporter, and every read of one is recorded in the history."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session, col, select

from complaints.attachments.receiving import Received
from complaints.attachments.storage import Storage
from complaints.clock import utcnow
from complaints.errors import Forbidden, InvalidInput, NotFound
from complaints.i18n import gettext
from complaints.models import Attachment, Complaint, Event, User
from complaints.services.scope import can_see, may_see_identity, roles_of, sees_all_units
from complaints.settings import Settings
from complaints.tables import id_of
from workflows.events import EventKind
from workflows.vocab import Role

PREVIEW = frozenset({"pdf", "jpg", "png"})  # what a browser shows in the page itself
PENDING = "attachment_files"  # session.info: files recorded in a transaction not yet committed
log = logging.getLogger("complaints.attachments")


def may_view(actor: User, item: Complaint, settings: Settings) -> bool:
    """Who sees an item's attachments: those who see the item; a confidential one's only those who may
    reveal its reporter (letters and recordings carry the name and the voice)."""
    if not can_see(actor, item, settings):
        return False
    return not item.confidential or may_see_identity(actor, item, settings)


def may_remove(actor: User, item: Complaint, settings: Settings) -> bool:
    return (
        Role.SUPERVISOR in roles_of(actor)
        and can_see(actor, item, settings)
        and (actor.unit_code == item.unit_code or sees_all_units(actor, settings))
    )


def add(
    *,
    session: Session,
    settings: Settings,
    actor: User,
    item: Complaint,
    files: list[Received],
    storage: Storage | None = None,
    now: datetime | None = None,
) -> list[Attachment]:
    """Record files already in storage as the item's, with one history event each. Given the `storage` they
    are in, the files are deleted again if the rows do not last: the transaction (or the savepoint) they
    were recorded in is rolled back, or the session ends without committing it."""
    if not can_see(actor, item, settings):
        raise NotFound(gettext("找不到诉求件：{ref}", ref=item.tracking_no), field="complaint")
    if not files:
        raise InvalidInput(gettext("请选择要上传的文件"), field="file")
    now = now or utcnow()
    added = []
    for received in files:
        attachment = Attachment(
            complaint_id=id_of(item),
            storage_key=received.key,
            filename=received.filename,
            kind=received.kind,
            media_type=received.media_type,
            size=received.size,
            sha256=received.sha256,
            uploaded_by_id=actor.id,
            uploaded_at=now,
        )
        session.add(attachment)
        added.append(attachment)
    session.flush()
    if storage is not None:
        transaction = session.get_nested_transaction() or session.get_transaction()
        session.info.setdefault(PENDING, []).extend((transaction, storage, f.key) for f in files)
    for attachment in added:
        session.add(
            Event(
                complaint_id=id_of(item),
                at=now,
                actor_id=actor.id,
                action=EventKind.ATTACH,
                from_status=item.status,
                to_status=item.status,
                note=attachment.filename,
                changes={"attachment": attachment.id, "kind": attachment.kind, "size": attachment.size},
            )
        )
    session.flush()
    return added


def _delete(pending: list) -> None:
    for _, storage, key in pending:
        try:
            storage.delete(key)
        except Exception:  # noqa: BLE001 - the nightly sweep (jobs/attachments.py) removes what is left
            log.exception("attachment file %s not deleted after a rollback", key)


def _within(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(OrmSession, "after_soft_rollback")
def _rolled_back(session: OrmSession, previous: SessionTransaction) -> None:
    """A rollback (of the whole transaction or of a savepoint) deletes the files recorded within it."""
    pending = session.info.get(PENDING)
    if pending:
        session.info[PENDING] = [p for p in pending if not _within(p[0], previous)]
        _delete([p for p in pending if _within(p[0], previous)])


@event.listens_for(OrmSession, "after_commit")
def _committed(session: OrmSession) -> None:
    """Once the outermost transaction commits, its files are the rows' (a savepoint's release is no commit)."""
    if session.get_nested_transaction() is None:
        session.info.pop(PENDING, None)


@event.listens_for(OrmSession, "after_transaction_end")
def _ended(session: OrmSession, transaction: SessionTransaction) -> None:
    """The outermost transaction ended without a commit (a session closed, a connection lost): its files go."""
    if transaction.parent is None and session.info.get(PENDING):
        _delete(session.info.pop(PENDING))


def listed(*, session: Session, settings: Settings, actor: User, item: Complaint) -> list[Attachment]:
    """The item's attachments `actor` may see (none of a confidential item's for whoever may not reveal it)."""
    if not may_view(actor, item, settings):
        return []
    return list(
        session.exec(
            select(Attachment)
            .where(
                col(Attachment.complaint_id) == item.id,
                col(Attachment.removed_at).is_(None),
                col(Attachment.erased_at).is_(None),
            )
            .order_by(col(Attachment.id))
        )
    )


def _one(session: Session, settings: Settings, actor: User, item: Complaint, attachment_id: int) -> Attachment:
    attachment = session.get(Attachment, attachment_id) if 0 < attachment_id <= 2**31 - 1 else None
    if (
        attachment is None
        or attachment.complaint_id != item.id
        or attachment.removed_at is not None
        or attachment.erased_at is not None
        or not may_view(actor, item, settings)
    ):
        raise NotFound(gettext("找不到附件"), field="attachment")
    return attachment


def read(
    *, session: Session, settings: Settings, storage: Storage, actor: User, item: Complaint, attachment_id: int
) -> tuple[Attachment, Iterator[bytes]]:
    """The attachment and its bytes; reading a confidential item's is recorded in its history."""
    attachment = _one(session, settings, actor, item, attachment_id)
    try:
        chunks = storage.read(attachment.storage_key)
    except FileNotFoundError:
        raise NotFound(gettext("附件文件已不在存储中"), field="attachment") from None
    if item.confidential:
        session.add(
            Event(
                complaint_id=id_of(item),
                at=utcnow(),
                actor_id=actor.id,
                action=EventKind.VIEW_ATTACHMENT,
                from_status=item.status,
                to_status=item.status,
                note=attachment.filename,
                changes={"attachment": attachment.id},
            )
        )
        session.flush()
    return attachment, chunks


def remove(
    *,
    session: Session,
    settings: Settings,
    actor: User,
    item: Complaint,
    attachment_id: int,
    reason: str,
    now: datetime | None = None,
) -> Attachment:
    """A supervisor removes an attachment, saying why; the removal stays in the history. The caller deletes
    the file from storage once this is committed."""
    attachment = _one(session, settings, actor, item, attachment_id)
    if not may_remove(actor, item, settings):
        raise Forbidden(gettext("只有督办人可以删除附件"), field="attachment")
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise InvalidInput(gettext("请说明删除附件的原因"), field="reason")
    now = now or utcnow()
    attachment.removed_at, attachment.removed_by_id, attachment.removed_reason = now, actor.id, reason[:500]
    session.add(attachment)
    session.add(
        Event(
            complaint_id=id_of(item),
            at=now,
            actor_id=actor.id,
            action=EventKind.REMOVE_ATTACHMENT,
            from_status=item.status,
            to_status=item.status,
            note=gettext("删除附件“{name}”：{reason}", name=attachment.filename, reason=reason[:500]),
            changes={"attachment": attachment.id},
        )
    )
    session.flush()
    return attachment
