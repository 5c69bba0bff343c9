"""Attachments: letters, photos and recordings uploaded to an item, the type decided by the content, the size
by a setting; seen as the item is (another unit: 404; a confidential one only by those who may reveal the
reporter, each download recorded); removed only by a supervisor with a reason; erased with the identity."""

from __future__ import annotations

import struct
import zlib
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from complaints.app import create_app
from complaints.jobs.retention import erase_identity
from complaints.models import Attachment, Event, lifecycle_write
from complaints.runtime import Runtime
from complaints.services.transitions import act
from complaints.settings import AttachmentSettings

pytest_plugins = ["test_api_client"]


def png(width: int = 2, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
AMR = b"#!AMR\n" + b"\x3c" + b"\x00" * 31
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def box(kind: bytes, *children: bytes, large: bool = False) -> bytes:
    body = b"".join(children)
    if large:  # a 64-bit size, as a recorder writes for its media data
        return struct.pack(">I4sQ", 1, kind, 16 + len(body)) + body
    return struct.pack(">I4s", 8 + len(body), kind) + body


def track(handler: bytes) -> bytes:
    hdlr = box(b"hdlr", b"\0\0\0\0", b"\0\0\0\0", handler, b"\0" * 12, b"\0")
    return box(b"trak", box(b"tkhd", b"\0" * 84), box(b"mdia", box(b"mdhd", b"\0" * 24), hdlr, box(b"minf")))


def mp4(*handlers: bytes, brand: bytes = b"isom", moov_first: bool = False, media: int = 70_000) -> bytes:
    """An ISO base media file shaped as a phone writes one: ftyp with a plain brand, the media data (here
    larger than the bytes sniffed, so the tracks are only known once it has all streamed by), then moov."""
    ftyp = box(b"ftyp", brand, b"\0\0\0\0", b"isom", b"mp42")
    moov = box(b"moov", box(b"mvhd", b"\0" * 100), *(track(h) for h in handlers))
    mdat = box(b"mdat", bytes(range(256)) * (media // 256), large=True)
    return ftyp + (moov + mdat if moov_first else mdat + moov)


def stored_files(settings) -> set[Path]:
    root = settings.attachments_path()
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def upload(client, headers, ref, *files):
    return client.post(
        f"/api/complaints/{ref}/attachments",
        headers=headers,
        files=[("file", (name, content, "application/octet-stream")) for name, content in files],
    )


def test_letters_photos_and_recordings_are_uploaded_typed_by_their_content(
    client, bearer, make_user, new_item, session, settings
):
    item, operator = new_item(), make_user("operator")
    response = upload(
        client, bearer(operator), item.tracking_no, ("来信扫描件", PDF), ("现场照片.jpg", png()), ("来电录音.amr", AMR)
    )
    assert response.status_code == 201, response.text
    kinds = [(a["filename"], a["kind"], a["media_type"]) for a in response.json()]
    assert kinds == [
        ("来信扫描件", "pdf", "application/pdf"),
        ("现场照片.jpg", "png", "image/png"),
        ("来电录音.amr", "amr", "audio/amr"),
    ]  # the photo is a PNG whatever its name says
    rows = session.exec(select(Attachment).where(Attachment.complaint_id == item.id)).all()
    assert {Path(p).name for p in stored_files(settings)} >= {r.storage_key for r in rows}
    assert all(len(r.storage_key) >= 40 and "来信" not in r.storage_key for r in rows)  # names cannot be guessed
    events = session.exec(select(Event).where(Event.complaint_id == item.id, Event.action == "attach")).all()
    assert [e.note for e in events] == ["来信扫描件", "现场照片.jpg", "来电录音.amr"]
    download = client.get(f"/api/complaints/{item.tracking_no}/attachments/{rows[1].id}", headers=bearer(operator))
    assert download.status_code == 200 and download.content == png()
    assert download.headers["content-type"] == "image/png" and download.headers["x-content-type-options"] == "nosniff"


def test_a_file_of_another_type_is_refused_by_its_content_and_nothing_is_kept(
    client, bearer, make_user, new_item, settings
):
    item, headers = new_item(), bearer(make_user("operator"))
    before = stored_files(settings)
    for name, content in (("来信.pdf", EXE), ("照片.jpg", "这不是图片".encode() * 50), ("录音.mp3", b"")):
        response = upload(client, headers, item.tracking_no, ("好的.png", png()), (name, content))
        assert response.status_code == 422, response.text
        assert name in response.json()["error"]["message"]
    assert "PDF、JPEG、PNG" in upload(client, headers, item.tracking_no, ("a.pdf", EXE)).json()["error"]["message"]
    assert stored_files(settings) == before  # the good file sent with the bad one is not kept either
    assert client.get(f"/api/complaints/{item.tracking_no}/attachments", headers=headers).json() == []


def test_a_phones_recording_in_a_plain_mp4_is_an_m4a_and_a_video_is_refused(
    client, bearer, make_user, new_item, settings
):
    import filetype

    item, headers = new_item(), bearer(make_user("operator"))
    recording, video = mp4(b"soun"), mp4(b"vide", b"soun", brand=b"mp42")
    assert filetype.guess(recording).mime == "video/mp4"  # what sniffing alone says of both
    response = upload(
        client, headers, item.tracking_no, ("录音.m4a", recording), ("录音2.m4a", mp4(b"soun", moov_first=True))
    )
    assert response.status_code == 201, response.text
    assert [(a["kind"], a["media_type"]) for a in response.json()] == [("m4a", "audio/mp4")] * 2
    before = stored_files(settings)
    for name, content in (
        ("现场视频.mp4", video),
        ("视频.m4a", mp4(b"vide")),
        ("无音轨.m4a", mp4()),  # no track at all
        ("截断.m4a", mp4(b"soun")[:-40]),  # moov cut short
    ):
        response = upload(client, headers, item.tracking_no, (name, content))
        assert response.status_code == 422, (name, response.text)
        message = response.json()["error"]["message"]
        assert name in message and "video/mp4" in message and "M4A" in message
    assert stored_files(settings) == before
    listed = client.get(f"/api/complaints/{item.tracking_no}/attachments", headers=headers).json()
    assert [a["filename"] for a in listed] == ["录音.m4a", "录音2.m4a"]


def test_the_track_scanner_reads_boxes_split_anywhere():
    from complaints.attachments.isobmff import TrackScanner, Unreadable

    data = mp4(b"soun", b"hint")
    for step in (1, 7, 8, 4096):
        scanner = TrackScanner()
        for at in range(0, len(data), step):
            scanner.feed(data[at : at + step])
        assert scanner.handlers() == ["soun", "hint"]
    with pytest.raises(Unreadable):
        TrackScanner().feed(b"\0\0\0\x04ftyp")  # a box smaller than its own header
    scanner = TrackScanner()
    scanner.feed(data[:-1])
    with pytest.raises(Unreadable):
        scanner.handlers()  # the file ended inside moov


def test_a_file_over_the_limit_is_refused_while_files_over_the_json_cap_pass(
    settings, engine, connection, runtime, bearer, make_user, new_item
):
    from fastapi.testclient import TestClient

    limits = AttachmentSettings(max_mb=2, storage=settings.attachments.storage)
    small = settings.model_copy(update={"attachments": limits})
    app = create_app(small, engine=engine, connection=connection, runtime=Runtime(settings=small, engine=engine))
    item, headers = new_item(), bearer(make_user("operator"))
    before = stored_files(settings)
    with TestClient(app) as client:
        scan = PDF + b"0" * (3 * 1024 * 1024 // 2)  # 1.5 MB: over the 1 MB cap of JSON bodies, under 2 MB
        assert upload(client, headers, item.tracking_no, ("扫描件.pdf", scan)).status_code == 201
        too_big = PDF + b"0" * (2 * 1024 * 1024)
        response = upload(client, headers, item.tracking_no, ("大文件.pdf", too_big))
        assert response.status_code == 413 and "2 MB" in response.json()["error"]["message"]
        assert len(client.get(f"/api/complaints/{item.tracking_no}/attachments", headers=headers).json()) == 1
    assert len(stored_files(settings) - before) == 1
    assert not [p for p in stored_files(settings) if p.name.endswith(".part")]


def test_another_unit_gets_404_for_the_item_and_its_files(client, bearer, make_user, new_item):
    item = new_item()
    [attachment] = upload(client, bearer(make_user("operator")), item.tracking_no, ("照片.png", png())).json()
    for other in (make_user("supervisor", unit="AKT"), make_user("handler", unit="AKT")):
        headers = bearer(other)
        assert upload(client, headers, item.tracking_no, ("照片.png", png())).status_code == 404
        assert client.get(f"/api/complaints/{item.tracking_no}/attachments", headers=headers).status_code == 404
        assert (
            client.get(
                f"/api/complaints/{item.tracking_no}/attachments/{attachment['id']}", headers=headers
            ).status_code
            == 404
        )
    prefecture = bearer(make_user("supervisor", unit="KZ"))
    assert (
        client.get(f"/api/complaints/{item.tracking_no}/attachments/{attachment['id']}", headers=prefecture).status_code
        == 200
    )


def test_a_confidential_items_files_are_hidden_and_every_download_is_recorded(
    client, bearer, make_user, new_item, session, runtime
):
    supervisor, handler, colleague = make_user("supervisor"), make_user("handler"), make_user("handler")
    operator = make_user("operator")
    report = new_item(actor=operator, kind="report", summary="举报学校违规收费")
    act(
        session=session,
        runtime=runtime,
        actor=supervisor,
        item=report,
        action="dispatch",
        payload={"handler_id": handler.id},
    )
    [letter] = upload(client, bearer(operator), report.tracking_no, ("举报信.pdf", PDF)).json()
    url = f"/api/complaints/{report.tracking_no}/attachments"
    for hidden in (colleague, operator):  # they see the item but may not reveal its reporter
        assert client.get(url, headers=bearer(hidden)).json() == []
        assert client.get(f"{url}/{letter['id']}", headers=bearer(hidden)).status_code == 404
    for allowed in (handler, supervisor, handler):
        response = client.get(f"{url}/{letter['id']}", headers=bearer(allowed))
        assert response.status_code == 200 and response.content == PDF
    viewed = session.exec(select(Event).where(Event.complaint_id == report.id, Event.action == "view_attachment")).all()
    assert [e.actor_id for e in viewed] == [handler.id, supervisor.id, handler.id]
    assert {e.note for e in viewed} == {"举报信.pdf"}


def test_only_a_supervisor_removes_an_attachment_with_a_reason_kept_in_the_history(
    client, bearer, make_user, new_item, session, settings
):
    item = new_item()
    handler, supervisor = make_user("handler"), make_user("supervisor")
    [photo] = upload(client, bearer(handler), item.tracking_no, ("误传的照片.png", png())).json()
    url = f"/api/complaints/{item.tracking_no}/attachments/{photo['id']}"
    key = session.get(Attachment, photo["id"]).storage_key
    assert client.request("DELETE", url, json={"reason": "传错了"}, headers=bearer(handler)).status_code == 403
    assert client.request("DELETE", url, json={"reason": ""}, headers=bearer(supervisor)).status_code == 422
    assert (
        client.request(
            "DELETE", url, json={"reason": "属于其他诉求人的材料，误传"}, headers=bearer(supervisor)
        ).status_code
        == 204
    )
    assert client.get(url, headers=bearer(supervisor)).status_code == 404
    assert key not in {p.name for p in stored_files(settings)}
    [event] = session.exec(
        select(Event).where(Event.complaint_id == item.id, Event.action == "remove_attachment")
    ).all()
    assert event.actor_id == supervisor.id and "误传的照片.png" in event.note and "属于其他诉求人的材料" in event.note


def test_closing_keeps_files_and_erasing_the_identity_removes_them(
    client, bearer, make_user, new_item, session, runtime, settings
):
    item = new_item()
    [recording] = upload(client, bearer(make_user("operator")), item.tracking_no, ("录音.amr", AMR)).json()
    key = session.get(Attachment, recording["id"]).storage_key
    with lifecycle_write():  # closed long ago, without going through every step
        item.status, item.is_open = "closed", False
    item.closed_at = item.updated_at = datetime(2022, 1, 1, tzinfo=ZoneInfo("Asia/Shanghai"))
    session.flush()
    assert key in {p.name for p in stored_files(settings)}  # closing deletes nothing
    counts = erase_identity(session=session, runtime=runtime, now=item.closed_at + timedelta(days=1200))
    assert counts["attachments"] == 1
    assert key not in {p.name for p in stored_files(settings)}
    assert session.get(Attachment, recording["id"]).erased_at is not None
    supervisor = bearer(make_user("supervisor"))
    assert client.get(f"/api/complaints/{item.tracking_no}/attachments", headers=supervisor).json() == []
