"""XLSX exports: the zip directory checked before anything is unpacked, then the sheet read in a child process
(xlsx_worker.py) held to the limits, its rows kept in a temporary file that the import walks twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path

from complaints.i18n import gettext
from complaints.importing.common import FileProblem, Formula, ReadLimits

RATIO_CHECKED_FROM = 1 << 20  # small members (styles, themes) may compress well without harm
KILL_GRACE_SECONDS = 5  # the worker stops itself at the time limit; past this it is killed


def check_zip(path: Path, limits: ReadLimits) -> None:
    """Refuse a file that is no zip, or whose members would unpack too large, from the directory alone."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FileProblem(gettext("不是有效的 Excel（.xlsx）文件：内容不是 zip 压缩包，或已损坏")) from exc
    total = sum(m.file_size for m in members)
    if total > limits.max_uncompressed_mb * 2**20:
        raise FileProblem(
            gettext(
                "Excel 文件解压后过大：{size} MB，上限 {limit} MB；请分成几个文件导出",
                size=round(total / 2**20),
                limit=limits.max_uncompressed_mb,
            )
        )
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size >= RATIO_CHECKED_FROM and ratio > limits.max_ratio:
            raise FileProblem(
                gettext(
                    "Excel 文件中的 {member} 压缩比异常（{ratio} 倍，上限 {limit} 倍），疑似压缩炸弹，未读取",
                    member=member.filename[:80],
                    ratio=round(ratio),
                    limit=limits.max_ratio,
                )
            )


def convert(path: Path, target: Path, limits: ReadLimits) -> None:
    """Run the worker; raise FileProblem naming what went wrong (a limit, damage, a crash)."""
    arguments = json.dumps(
        {
            "rows": limits.max_rows,
            "cells": limits.max_cells,
            "seconds": limits.max_seconds,
            "memory_mb": limits.max_memory_mb,
        }
    )
    command = [sys.executable, "-m", "complaints.importing.xlsx_worker", str(path), str(target), arguments]
    package_root = str(Path(__file__).resolve().parents[2])  # found even when not installed
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")])),
    }
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=environment,
            timeout=limits.max_seconds + KILL_GRACE_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise FileProblem(_problem_text({"problem": "seconds", "limit": limits.max_seconds})) from exc
    lines = done.stdout.strip().splitlines()
    try:
        outcome = json.loads(lines[-1]) if lines else {}
    except ValueError:
        outcome = {}
    if not outcome.get("ok"):
        if not outcome:  # killed (the kernel's answer to memory running out) or crashed
            outcome = (
                {"problem": "memory", "limit": limits.max_memory_mb}
                if done.returncode == -signal.SIGKILL
                else {"problem": "damaged", "detail": done.stderr.strip()[-200:] or f"exit {done.returncode}"}
            )
        raise FileProblem(_problem_text(outcome))


def _problem_text(outcome: dict) -> str:
    problem, limit = outcome.get("problem"), outcome.get("limit")
    if problem == "rows":
        return gettext("行数（含空行）超过上限 {limit}；请分成几个文件导出", limit=limit)
    if problem == "cells":
        return gettext("单元格数（含空单元格）超过上限 {limit}；请只导出需要的列和行", limit=limit)
    if problem == "seconds":
        return gettext("读取 Excel 文件超过 {limit} 秒仍未完成，已停止；请分成几个文件导出，或另存为 CSV", limit=limit)
    if problem == "memory":
        return gettext(
            "读取 Excel 文件所需内存超过上限 {limit} MB，已停止；请分成几个文件导出，或另存为 CSV", limit=limit
        )
    return gettext("无法读取 Excel 文件（文件已损坏）：{error}", error=outcome.get("detail") or "—")


def read_converted(target: Path) -> Iterator[tuple[int, list[object]]]:
    """The rows the worker wrote, cells decoded back to what openpyxl gave."""
    with target.open(encoding="utf-8") as stream:
        for line in stream:
            number, cells = json.loads(line)
            yield number, [_decode(cell) for cell in cells]


def _decode(value: object) -> object:
    if not isinstance(value, dict):
        return value
    tag, content = next(iter(value.items()))
    if tag == "f":
        return Formula(content)
    if tag == "dt":
        return datetime.fromisoformat(content)
    if tag == "d":
        return date.fromisoformat(content)
    if tag == "t":
        return time.fromisoformat(content)
    return timedelta(seconds=content)
