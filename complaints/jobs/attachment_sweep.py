"""Files in attachment storage that no attachment holds are deleted: those of an upload whose request failed
after storing them (its rollback deletes them, unless the process died first), and those left by a removal or
an erasure whose deletion did not happen. A file is only touched once it is older than `[attachments]
orphan_grace_hours`, so an upload still under way keeps its files."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import islice

from sqlmodel import Session, col, select

from complaints.attachments.storage import storage_for
from complaints.jobs.registry import daily_at, job
from complaints.models import Attachment
from complaints.runtime import Runtime

BATCH = 500


@job(
    "sweep_attachments",
    trigger=daily_at(lambda s: s.attachments.sweep_time),
    description="附件存储清理：删除没有附件记录（或附件已删除）的遗留文件",
)
def sweep_attachments(*, session: Session, runtime: Runtime, now: datetime) -> dict[str, int]:
    storage = storage_for(runtime.settings)
    before = now - timedelta(hours=runtime.settings.attachments.orphan_grace_hours)
    counts = {"checked": 0, "deleted": 0}
    stale = storage.stale(before)
    while keys := list(islice(stale, BATCH)):
        held = set(
            session.exec(
                select(Attachment.storage_key).where(
                    col(Attachment.storage_key).in_(keys),
                    col(Attachment.removed_at).is_(None),
                    col(Attachment.erased_at).is_(None),
                )
            )
        )
        for key in keys:
            if key not in held:
                storage.delete(key)
                counts["deleted"] += 1
        counts["checked"] += len(keys)
    return counts
