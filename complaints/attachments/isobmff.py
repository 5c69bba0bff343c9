"""The kinds of track an ISO base media file (MP4) holds, read as the file streams by.

A phone's recorder writes its `.m4a` recordings with a plain MP4 brand (`isom`, `mp42`), which content sniffing
takes for a video; what decides is the handler of each track (`moov/trak/mdia/hdlr`: `soun` for sound, `vide`
for video). The top-level boxes are followed as the bytes arrive: the media data (`mdat`, nearly the whole file,
often before `moov`) is skipped without being kept, and only `moov`, small for a recording, is held, up to
MOOV_MAX bytes."""

from __future__ import annotations

import struct

MOOV_MAX = 8 * 1024 * 1024  # an hour-long recording's moov is some hundreds of kB
MAX_TRACKS = 64
AUDIO_ONLY = frozenset({"soun", "hint", "meta"})  # sound, and what goes along with it without being a picture


class Unreadable(ValueError):
    """The boxes are not those of an ISO base media file (or its moov is larger than MOOV_MAX)."""


class TrackScanner:
    """Feed it the file's bytes in order (`feed`), then ask for the handler types of its tracks (`handlers`)."""

    def __init__(self) -> None:
        self._header = bytearray()  # the top-level box header being read
        self._left = 0  # bytes of the current box's body still to come (-1: up to the end of the file)
        self._in_moov = False
        self._moov = bytearray()
        self._moovs = 0
        self._size = 0

    def feed(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            if self._left == 0:
                view = self._read_header(view)
                continue
            take = len(view) if self._left < 0 else min(self._left, len(view))
            if self._in_moov:
                if len(self._moov) + take > MOOV_MAX:
                    raise Unreadable("moov too large")
                self._moov += view[:take]
            if self._left > 0:
                self._left -= take
                if self._left == 0:
                    self._in_moov = False
            view = view[take:]

    def _read_header(self, view: memoryview) -> memoryview:
        need = 8 if len(self._header) < 8 else 16
        take = min(need - len(self._header), len(view))
        self._header += view[:take]
        view = view[take:]
        if len(self._header) < 8:
            return view
        size, kind = struct.unpack(">I4s", self._header[:8])
        if size == 1 and len(self._header) < 16:  # a 64-bit size follows the type
            return view
        header = 16 if size == 1 else 8
        if size == 1:
            size = struct.unpack(">Q", self._header[8:16])[0]
        if size != 0 and size < header:
            raise Unreadable("box smaller than its header")
        self._header.clear()
        self._in_moov = kind == b"moov"
        self._moovs += self._in_moov
        self._left = -1 if size == 0 else size - header
        if self._left == 0:
            self._in_moov = False
        return view

    def handlers(self) -> list[str]:
        """The handler type of each track (`soun`, `vide`, …); Unreadable if the file ended inside a box or no
        single moov was found."""
        if self._header or self._left > 0 or self._moovs != 1:
            raise Unreadable("incomplete file or no single moov")
        found: list[str] = []
        for kind, body in _boxes(bytes(self._moov)):
            if kind != b"trak":
                continue
            if len(found) >= MAX_TRACKS:
                raise Unreadable("too many tracks")
            found.append(_handler(body))
        return found


def _boxes(data: bytes):
    """(type, body) of each box in `data`, which must hold whole boxes."""
    at = 0
    while at < len(data):
        if len(data) - at < 8:
            raise Unreadable("truncated box")
        size, kind = struct.unpack_from(">I4s", data, at)
        header = 8
        if size == 1:
            if len(data) - at < 16:
                raise Unreadable("truncated box")
            size, header = struct.unpack_from(">Q", data, at + 8)[0], 16
        elif size == 0:
            size = len(data) - at
        if size < header or at + size > len(data):
            raise Unreadable("box beyond its parent")
        yield kind, data[at + header : at + size]
        at += size


def _handler(trak: bytes) -> str:
    for kind, mdia in _boxes(trak):
        if kind == b"mdia":
            for inner, body in _boxes(mdia):
                if inner == b"hdlr":
                    if len(body) < 12:
                        raise Unreadable("short hdlr")
                    return body[8:12].decode("latin-1")  # after version, flags and pre_defined
    raise Unreadable("track without a handler")


def audio_only(handlers: list[str]) -> bool:
    return "soun" in handlers and all(handler in AUDIO_ONLY for handler in handlers)
