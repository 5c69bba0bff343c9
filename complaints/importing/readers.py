"""Reading an export row by row (memory stays flat): CSV in UTF-8, UTF-8 with BOM, GB18030/GBK or UTF-16
with BOM, and XLSX read without evaluating anything, in a worker process (xlsx.py). A cell is returned as
the file holds it; mapping.py interprets it. Every read is held to the limits of `ReadLimits`."""

from __future__ import annotations

import codecs
import csv
import hashlib
import re
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from complaints.i18n import gettext
from complaints.importing import xlsx
from complaints.importing.common import CONTROL, FileProblem, Formula, ReadLimits

__all__ = ["Export", "FileFacts", "FileProblem", "Formula", "find_header", "normalise_header", "scan"]

CHUNK = 1 << 20
HEADER_SCAN_ROWS = 10
TIME_CHECK_EVERY = 1000  # rows between two looks at the clock
_SPACE = re.compile(r"\s+")
csv.field_size_limit(1 << 24)


@dataclass(frozen=True)
class FileFacts:
    sha256: str
    size: int
    encoding: str | None  # for CSV


def normalise_header(value: object) -> str:
    return _SPACE.sub("", CONTROL.sub("", str(value or ""))).replace("\ufeff", "").strip("*")


def accepted_encodings() -> str:
    return gettext("UTF-8（可带 BOM）、GBK/GB18030、带 BOM 的 UTF-16")


def scan(path: Path, *, max_bytes: int) -> FileFacts:
    """Size check, SHA-256 and (for CSV) the encoding: UTF-16 by its BOM, strict UTF-8 (BOM or not), otherwise
    strict GB18030; anything else is refused naming the encodings accepted."""
    size = path.stat().st_size
    if size > max_bytes:
        raise FileProblem(
            gettext(
                "文件过大：{size} MB，上限 {limit} MB；请分成几个文件导出",
                size=round(size / 2**20, 1),
                limit=max_bytes // 2**20,
            )
        )
    if size == 0:
        raise FileProblem(gettext("文件是空的"))
    is_csv = path.suffix.lower() != ".xlsx"
    digest, detector = hashlib.sha256(), _EncodingDetector()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            if is_csv:
                detector.feed(chunk)
    return FileFacts(sha256=digest.hexdigest(), size=size, encoding=detector.result() if is_csv else None)


class _EncodingDetector:
    """Strict decoders fed side by side; the first that reads the whole file wins."""

    def __init__(self) -> None:
        self.decoders: dict[str, codecs.IncrementalDecoder] | None = None

    def feed(self, chunk: bytes, final: bool = False) -> None:
        if self.decoders is None:
            self.decoders = {
                name: codecs.getincrementaldecoder(name)(errors="strict") for name in self._candidates(chunk)
            }
        for name, decoder in list(self.decoders.items()):
            try:
                decoder.decode(chunk, final=final)
            except UnicodeDecodeError:
                del self.decoders[name]

    @staticmethod
    def _candidates(head: bytes) -> list[str]:
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return ["utf-16"]
        if head.startswith(b"PK\x03\x04"):
            raise FileProblem(gettext("文件内容是 Excel（.xlsx）格式，扩展名却不是 .xlsx；请改正扩展名后重新导入"))
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            raise FileProblem(gettext("文件是旧版 Excel（.xls）格式；请另存为 .xlsx 或 CSV 后重新导入"))
        sample = head[:4096]
        if sample.count(0) > len(sample) // 10:  # ASCII in UTF-16 is half NUL bytes
            raise FileProblem(
                gettext(
                    "文件似乎是不带 BOM 的 UTF-16 编码，无法可靠读取；可接受的编码：{encodings}",
                    encodings=accepted_encodings(),
                )
            )
        return ["utf-8-sig", "gb18030"]

    def result(self) -> str:
        self.feed(b"", final=True)
        if not self.decoders:
            raise FileProblem(
                gettext(
                    "无法识别文件的编码（不是 UTF-8，也不是 GBK/GB18030）；"
                    "可接受的编码：{encodings}。请在导出时选择其中一种",
                    encodings=accepted_encodings(),
                )
            )
        return next(iter(self.decoders))


class Export:
    """One export open for reading: `rows()` may be walked more than once (check, then register). An XLSX is
    read once, by the worker, into a temporary file that is removed on leaving the `with` block."""

    def __init__(self, path: Path, facts: FileFacts, limits: ReadLimits) -> None:
        self.path, self.facts, self.limits = path, facts, limits
        self._folder: tempfile.TemporaryDirectory | None = None
        self._converted: Path | None = None

    def __enter__(self) -> Export:
        if self.facts.encoding is None:
            xlsx.check_zip(self.path, self.limits)
            self._folder = tempfile.TemporaryDirectory(prefix="complaints-import-")
            self._converted = Path(self._folder.name) / "rows.jsonl"
            try:
                xlsx.convert(self.path, self._converted, self.limits)
            except BaseException:
                self._folder.cleanup()
                raise
        return self

    def __exit__(self, *_exc) -> None:
        if self._folder is not None:
            self._folder.cleanup()

    def rows(self) -> Iterator[tuple[int, list[object]]]:
        """(row number as a person counts it, cells) for every non-blank row."""
        if self._converted is not None:
            yield from xlsx.read_converted(self._converted)
            return
        for number, cells in self._csv_rows():
            if any(cell not in (None, "") for cell in cells):
                yield number, cells

    def _csv_rows(self) -> Iterator[tuple[int, list[object]]]:
        limits, cells, spent, resumed = self.limits, 0, 0.0, time.monotonic()
        with self.path.open("r", encoding=self.facts.encoding, errors="strict", newline="") as stream:
            try:
                for number, row in enumerate(csv.reader(stream), 1):
                    cells += len(row)
                    if number > limits.max_rows:
                        raise FileProblem(
                            gettext("行数（含空行）超过上限 {limit}；请分成几个文件导出", limit=limits.max_rows)
                        )
                    if cells > limits.max_cells:
                        raise FileProblem(
                            gettext(
                                "单元格数（含空单元格）超过上限 {limit}；请只导出需要的列和行", limit=limits.max_cells
                            )
                        )
                    spent += time.monotonic() - resumed  # the time spent reading, not what the caller does
                    if number % TIME_CHECK_EVERY == 0 and spent > limits.max_seconds:
                        raise FileProblem(
                            gettext(
                                "读取文件超过 {limit} 秒仍未完成，已停止；请分成几个文件导出", limit=limits.max_seconds
                            )
                        )
                    yield number, cast(list[object], row)  # the cells are str; cleaning writes str back
                    resumed = time.monotonic()
            except (csv.Error, UnicodeDecodeError) as exc:
                raise FileProblem(gettext("CSV 文件格式错误：{error}", error=str(exc)[:200])) from exc


def find_header(
    stream: Iterator[tuple[int, list[object]]], known: set[str], header_row: int | None
) -> tuple[int, list[str]]:
    """The header: the given row, or the first of the first rows naming at least two known columns
    (a title row merged across the sheet, or a group row above the real headings, is passed over)."""
    for number, cells in stream:
        names = [normalise_header(c) for c in cells]
        if header_row is not None:
            if number == header_row:
                return number, names
            continue
        if len(known.intersection(names)) >= 2:
            return number, names
        if number >= HEADER_SCAN_ROWS:
            break
    raise FileProblem(
        gettext(
            "找不到表头：前 {n} 行中没有可识别的列名（如 {examples}）",
            n=HEADER_SCAN_ROWS,
            examples="、".join(sorted(known)[:4]),
        )
    )
