"""A multipart/form-data body read as it arrives: small form fields kept in memory, each file's type decided
from its first bytes (the `filetype` library, never the name) and the file written to storage chunk by chunk,
its size enforced while it streams. On any failure nothing stays in storage."""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import PureWindowsPath
from typing import TYPE_CHECKING, Any

import filetype
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool

from complaints.attachments.isobmff import TrackScanner, Unreadable, audio_only
from complaints.attachments.storage import Storage, Writer
from complaints.errors import DomainError, InvalidInput
from complaints.i18n import gettext
from complaints.settings import AttachmentSettings

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

# what a hotline receives: scanned letters, photos, call recordings
KINDS = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "png": "image/png",
    "tif": "image/tiff",
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "m4a": "audio/mp4",
    "amr": "audio/amr",
}
SNIFF = 8192  # enough for every signature filetype reads
# a plain-brand MP4 (isom, mp42: what phones' recorders write) is an M4A recording if its tracks are sound only,
# which is known once the whole file has gone by (isobmff)
BY_TRACKS = "mp4"
FIELDS_MAX = 64 * 1024
NAME_MAX = 200


class TooLarge(DomainError):
    code = "too_large"
    http_status = 413


@dataclass
class Received:
    """A file now in storage under `key`."""

    key: str
    filename: str
    size: int
    sha256: str
    kind: str  # a key of KINDS
    media_type: str


@dataclass
class Upload:
    fields: dict[str, str] = field(default_factory=dict)
    files: list[Received] = field(default_factory=list)
    error: DomainError | None = None  # a refused file (pages show the form again with it)
    kept: bool = False  # set once the files are recorded; otherwise they are deleted after the request


def allowed_text() -> str:
    return "PDF、JPEG、PNG、TIFF、MP3、WAV、M4A、AMR"


def clean_name(raw: str) -> str:
    """The file's own name without any folder, control characters or excess length."""
    name = PureWindowsPath(raw.replace("/", "\\")).name
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if ch.isprintable()).strip()
    return name[-NAME_MAX:] or gettext("附件")


def refused(filename: str, found: str) -> InvalidInput:
    return InvalidInput(
        gettext(
            "文件“{name}”的类型不能上传（按内容识别为：{found}）；可上传 {allowed}",
            name=filename[:60],
            found=found,
            allowed=allowed_text(),
        ),
        field="file",
    )


def sniff(head: bytes, filename: str) -> tuple[str, str]:
    """(kind, media type) from the content, or InvalidInput naming the file and what is accepted. A plain MP4
    comes back as (BY_TRACKS, its media type): by_tracks decides once the file has been read."""
    guessed = filetype.guess(head) if head else None
    if guessed is not None and guessed.extension == BY_TRACKS:
        return BY_TRACKS, guessed.mime
    if guessed is None or guessed.extension not in KINDS:
        raise refused(filename, guessed.mime if guessed is not None else gettext("无法识别"))
    return guessed.extension, KINDS[guessed.extension]


def by_tracks(scanner: TrackScanner, media_type: str, filename: str) -> tuple[str, str]:
    """An MP4 whose tracks are sound only is an M4A recording; a video (or what cannot be read) is refused."""
    try:
        handlers = scanner.handlers()
    except Unreadable:
        handlers = []
    if not audio_only(handlers):
        raise refused(filename, media_type)
    return "m4a", KINDS["m4a"]


class _Part:
    def __init__(self, headers: dict[bytes, bytes]) -> None:
        disposition, options = parse_options_header(headers.get(b"content-disposition", b""))
        self.name = options.get(b"name", b"").decode("utf-8", "replace")
        raw = options.get(b"filename")
        self.filename = clean_name(raw.decode("utf-8", "replace")) if raw else None
        self.is_file = raw is not None
        self.empty_file = raw is not None and not raw.strip()
        self.head = bytearray()
        self.body = bytearray()
        self.writer: Writer | None = None
        self.size = 0
        self.hash = hashlib.sha256()
        self.kind = self.media_type = ""
        self.tracks: TrackScanner | None = None  # a plain MP4's boxes, followed as it streams


class _Reader:
    def __init__(
        self, storage: Storage, limits: AttachmentSettings, before_file: Callable[[dict[str, str]], None] | None
    ) -> None:
        self.storage, self.limits, self.before_file = storage, limits, before_file
        self.upload = Upload()
        self.part: _Part | None = None
        self.field_bytes = 0

    async def begin(self, headers: dict[bytes, bytes]) -> None:
        self.part = _Part(headers)
        if self.part.is_file and not self.part.empty_file:
            if self.before_file is not None and not self.upload.files:
                self.before_file(self.upload.fields)
            if len(self.upload.files) >= self.limits.max_files:
                raise InvalidInput(gettext("一次最多上传 {n} 个文件", n=self.limits.max_files), field="file")

    async def data(self, chunk: bytes) -> None:
        part = self.part
        if part is None or part.empty_file:
            return
        if not part.is_file:
            self.field_bytes += len(chunk)
            if self.field_bytes > FIELDS_MAX:
                raise InvalidInput(gettext("表单内容过长"), field=part.name[:64] or None)
            part.body += chunk
            return
        part.size += len(chunk)
        if part.size > self.limits.max_bytes:
            raise TooLarge(
                gettext("文件“{name}”超过 {mb} MB 的上限", name=(part.filename or "")[:60], mb=self.limits.max_mb),
                field="file",
            )
        part.hash.update(chunk)
        if part.tracks is not None:
            self._follow(part, chunk)
        if part.writer is None:
            part.head += chunk
            if len(part.head) >= SNIFF:
                await self._open(part)
        else:
            await run_in_threadpool(part.writer.write, chunk)

    @staticmethod
    def _follow(part: _Part, chunk: bytes) -> None:
        assert part.tracks is not None
        try:
            part.tracks.feed(chunk)
        except Unreadable:
            raise refused(part.filename or "", part.media_type) from None

    async def _open(self, part: _Part) -> None:
        part.kind, part.media_type = sniff(bytes(part.head[:SNIFF]), part.filename or "")
        if part.kind == BY_TRACKS:
            part.tracks = TrackScanner()
            self._follow(part, bytes(part.head))
        part.writer = await run_in_threadpool(self.storage.create)
        await run_in_threadpool(part.writer.write, bytes(part.head))
        part.head.clear()

    async def end(self) -> None:
        part = self.part
        if part is None or part.empty_file:
            self.part = None
            return
        if not part.is_file:
            try:
                self.upload.fields[part.name] = part.body.decode("utf-8")
            except UnicodeDecodeError:
                raise InvalidInput(gettext("表单内容不是 UTF-8 文本"), field=part.name[:64] or None) from None
            self.part = None
            return
        if part.size == 0:
            raise InvalidInput(gettext("文件“{name}”是空的", name=(part.filename or "")[:60]), field="file")
        if part.writer is None:
            await self._open(part)
        assert part.writer is not None, "_open gives the part its writer"
        if part.tracks is not None:
            part.kind, part.media_type = by_tracks(part.tracks, part.media_type, part.filename or "")
        await run_in_threadpool(part.writer.commit)
        self.upload.files.append(
            Received(part.writer.key, part.filename or "", part.size, part.hash.hexdigest(), part.kind, part.media_type)
        )
        self.part = None

    def discard(self) -> None:
        """After a failure: the file being written and those already stored are removed."""
        if self.part is not None and self.part.writer is not None:
            self.part.writer.abort()  # a committed file's partial is already gone: nothing happens
        for received in self.upload.files:
            self.storage.delete(received.key)


def _parser(boundary: bytes, events: list) -> MultipartParser:
    headers: dict[bytes, bytes] = {}
    current = {"field": b"", "value": b""}

    def header_field(data: bytes, start: int, end: int) -> None:
        current["field"] += data[start:end]

    def header_value(data: bytes, start: int, end: int) -> None:
        current["value"] += data[start:end]

    def header_end() -> None:
        headers[current["field"].lower()] = current["value"]
        current["field"] = current["value"] = b""

    def headers_finished() -> None:
        events.append(("begin", dict(headers)))
        headers.clear()

    callbacks: MultipartCallbacks = {
        "on_header_field": header_field,
        "on_header_value": header_value,
        "on_header_end": header_end,
        "on_headers_finished": headers_finished,
        "on_part_data": lambda data, start, end: events.append(("data", bytes(data[start:end]))),
        "on_part_end": lambda: events.append(("end", None)),
    }
    return MultipartParser(boundary, callbacks)


async def receive(
    content_type: str,
    body: AsyncIterator[bytes],
    *,
    storage: Storage,
    limits: AttachmentSettings,
    before_file: Callable[[dict[str, str]], None] | None = None,
) -> Upload:
    """Read a multipart body: fields, and files stored as they arrive. `before_file(fields)` runs when the
    first file begins (a page checks its CSRF field there, before anything is stored)."""
    kind, options = parse_options_header(content_type)
    if kind != b"multipart/form-data" or not options.get(b"boundary"):
        raise InvalidInput(gettext("上传请使用 multipart/form-data"), field="file")
    events: list = []
    parser = _parser(options[b"boundary"], events)
    reader = _Reader(storage, limits, before_file)
    handlers: dict[str, Callable[[Any], Awaitable[None]]] = {
        "begin": reader.begin,
        "data": reader.data,
        "end": lambda _: reader.end(),
    }
    try:
        async for chunk in body:
            try:
                parser.write(chunk)
            except Exception as exc:  # the parser's own errors: a malformed body
                raise InvalidInput(gettext("上传内容格式不正确"), field="file") from exc
            for name, value in events:
                await handlers[name](value)
            events.clear()
        if reader.part is not None:
            raise InvalidInput(gettext("上传内容不完整"), field="file")
    except BaseException as exc:
        await run_in_threadpool(reader.discard)
        if isinstance(exc, DomainError):  # the form fields read so far, so that a page can show them again
            exc.details["fields"] = dict(reader.upload.fields)
        raise
    return reader.upload
