"""Where attachment files live. One small interface, so that an object store can replace the folder.

Keys are random (32 bytes from `secrets`), never derived from a file's name or its item, so a stored
file's name says nothing and cannot be guessed."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Protocol

CHUNK = 64 * 1024


class Writer(Protocol):
    key: str

    def write(self, data: bytes) -> None: ...

    def commit(self) -> None: ...

    def abort(self) -> None: ...


class Storage(Protocol):
    def create(self) -> Writer:
        """A new file under a fresh key; nothing is visible under the key until commit()."""

    def read(self, key: str) -> Iterator[bytes]:
        """The file's bytes in chunks; FileNotFoundError if there is none."""

    def delete(self, key: str) -> None:
        """Remove the file (nothing happens if it is already gone)."""

    def stale(self, before: datetime) -> Iterator[str]:
        """The keys of the files written before `before` (for the sweep: jobs/attachment_sweep.py); writes left
        unfinished since then (a process killed mid-upload) are removed on the way."""


def new_key() -> str:
    return secrets.token_urlsafe(32)


class _FileWriter:
    def __init__(self, final: Path, key: str) -> None:
        self.key, self.final = key, final
        self.partial = final.with_name(final.name + ".part")
        final.parent.mkdir(parents=True, exist_ok=True)
        self.handle = open(self.partial, "xb")  # noqa: SIM115 (closed by commit or abort)

    def write(self, data: bytes) -> None:
        self.handle.write(data)

    def commit(self) -> None:
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()
        os.replace(self.partial, self.final)

    def abort(self) -> None:
        self.handle.close()
        self.partial.unlink(missing_ok=True)


class FileStorage:
    """Files in a folder, two levels of fan-out by the key's first characters, readable by the owner only."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if not key or not all(ch.isalnum() or ch in "-_" for ch in key):
            raise FileNotFoundError(key)
        return self.root / key[:2] / key

    def create(self) -> _FileWriter:
        key = new_key()
        return _FileWriter(self._path(key), key)

    def read(self, key: str) -> Iterator[bytes]:
        handle = open(self._path(key), "rb")  # noqa: SIM115 (opened now, so a missing file fails now)

        def chunks() -> Iterator[bytes]:
            with handle:
                while chunk := handle.read(CHUNK):
                    yield chunk

        return chunks()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def stale(self, before: datetime) -> Iterator[str]:
        if not self.root.is_dir():
            return
        limit = before.timestamp()
        for folder in sorted(self.root.iterdir()):
            if not folder.is_dir():
                continue
            for path in sorted(folder.iterdir()):
                try:
                    old = path.stat().st_mtime < limit
                except FileNotFoundError:  # deleted meanwhile
                    continue
                if not old or not path.is_file():
                    continue
                if path.name.endswith(".part"):
                    path.unlink(missing_ok=True)
                elif all(ch.isalnum() or ch in "-_" for ch in path.name):
                    yield path.name


def storage_for(settings) -> Storage:
    return FileStorage(settings.attachments_path())
