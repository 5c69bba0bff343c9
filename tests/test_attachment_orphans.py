"""No stored file outlives the attachment it was stored for: a rollback after the file was stored deletes it,
and the nightly sweep deletes what no attachment holds once it is older than the grace period."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlmodel import select
from test_attachments import AMR, PDF, stored_files
from test_web_pages import browser_as, csrf_of  # noqa: F401

from complaints.attachments.receiving import Received
from complaints.attachments.storage import FileStorage
from complaints.clock import utcnow
from complaints.jobs.attachment_sweep import sweep_attachments
from complaints.jobs.runner import run_job
from complaints.models import Attachment, JobRun
from complaints.runtime import Runtime
from complaints.services import attachments
from complaints.settings import AttachmentSettings


def stored(storage: FileStorage, content: bytes = PDF) -> Received:
    writer = storage.create()
    writer.write(content)
    writer.commit()
    return Received(writer.key, "来信.pdf", len(content), "0" * 64, "pdf", "application/pdf")


def keys(storage: FileStorage) -> set[str]:
    return {p.name for p in storage.root.rglob("*") if p.is_file()}


def test_a_rollback_deletes_the_files_recorded_in_it(session, settings, make_user, make_item, tmp_path):
    storage = FileStorage(tmp_path)
    item, operator = make_item(), make_user("operator")

    def add(*files):
        return attachments.add(
            session=session, settings=settings, actor=operator, item=item, files=list(files), storage=storage
        )

    undone = stored(storage)
    with pytest.raises(RuntimeError), session.begin_nested():  # a savepoint undone: its file goes, at once
        add(undone)
        raise RuntimeError("refused after the file was recorded")
    assert undone.key not in keys(storage)
    kept, released = stored(storage), stored(storage)
    add(kept)
    with session.begin_nested():  # a savepoint released is no commit yet: its file waits for the transaction
        add(released)
    assert {kept.key, released.key} <= keys(storage)
    session.rollback()  # the whole transaction undone: both go
    assert not {kept.key, released.key} & keys(storage)

    item, operator = make_item(), make_user("operator")
    committed = stored(storage)
    add(committed)
    session.commit()
    session.rollback()  # a later rollback leaves the committed file alone
    assert committed.key in keys(storage)
    assert session.exec(select(Attachment).where(Attachment.storage_key == committed.key)).one()
    never = stored(storage)
    add(never)
    session.close()  # ended without a commit
    assert never.key not in keys(storage)


def test_an_upload_whose_commit_fails_leaves_no_file(browser_as, make_user, make_item, session, settings, monkeypatch):  # noqa: F811
    item = make_item()
    session.flush()
    original = attachments.add

    def add_then_fail_the_commit(*, session, **kwargs):
        added = original(session=session, **kwargs)

        def fail(_session):
            raise RuntimeError("the database went away while committing")

        event.listen(session, "before_commit", fail, once=True)
        return added

    monkeypatch.setattr(attachments, "add", add_then_fail_the_commit)
    web = browser_as(make_user("operator"))
    token = csrf_of(web.get(f"/items/{item.tracking_no}").text)
    before = stored_files(settings)
    with pytest.raises(RuntimeError):
        web.post(
            f"/items/{item.tracking_no}/attachments",
            data={"csrf_token": token},
            files=[("file", ("来信.pdf", PDF, "application/pdf")), ("file", ("录音.amr", AMR, "audio/amr"))],
        )
    assert stored_files(settings) == before
    assert not session.exec(select(Attachment).where(Attachment.complaint_id == item.id)).all()


def test_the_sweep_deletes_old_files_no_attachment_holds(session, settings, engine, make_user, make_item, tmp_path):
    folder = AttachmentSettings(storage=str(tmp_path), orphan_grace_hours=24)
    runtime = Runtime(settings=settings.model_copy(update={"attachments": folder}), engine=engine)
    storage = FileStorage(tmp_path)
    item, supervisor = make_item(), make_user("supervisor")
    held, removed, orphan, fresh = (stored(storage) for _ in range(4))
    attachments.add(session=session, settings=settings, actor=supervisor, item=item, files=[held, removed])
    [_, gone] = session.exec(select(Attachment).where(Attachment.complaint_id == item.id).order_by(Attachment.id))
    attachments.remove(
        session=session, settings=settings, actor=supervisor, item=item, attachment_id=gone.id, reason="重复上传"
    )
    unfinished = storage.create()  # a process killed mid-upload
    unfinished.write(b"%PDF-1.4 partial")
    now = utcnow()
    day_old = (now - timedelta(hours=30)).timestamp()
    for received in (held, removed, orphan):
        os.utime(storage._path(received.key), (day_old, day_old))
    os.utime(unfinished.partial, (day_old, day_old))
    counts = sweep_attachments(session=session, runtime=runtime, now=now)
    assert counts == {"checked": 3, "deleted": 2}
    assert keys(storage) == {held.key, fresh.key}  # the fresh orphan waits for its grace period
    assert not unfinished.partial.exists()
    later = sweep_attachments(session=session, runtime=runtime, now=now + timedelta(days=2))
    assert later == {"checked": 2, "deleted": 1} and keys(storage) == {held.key}


def test_the_sweep_is_a_scheduled_job_run_once_per_slot(runtime):
    slot = utcnow().replace(microsecond=0)
    first = run_job("sweep_attachments", runtime=runtime, slot=slot)
    second = run_job("sweep_attachments", runtime=runtime, slot=slot)
    assert first.status == "ok" and second.status == "skipped" and second.counts == {"slot_taken": 1}
    assert isinstance(first, JobRun)
