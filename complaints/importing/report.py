"""The report written next to a rejected file (what was wrong with it, row by row), or next to an imported one
whose cells had to be cleaned."""

from __future__ import annotations

from pathlib import Path

from complaints.i18n import gettext
from complaints.importing.importer import BadRow, ImportResult


def report_text(result: ImportResult) -> str:
    lines = [gettext("文件：{name}", name=result.filename), gettext("来源：{source}", source=result.source)]
    if result.ok:
        lines.append(
            gettext(
                "结果：已导入，新建 {created} 件，已存在 {existing} 件",
                created=result.created,
                existing=result.existing,
            )
        )
    else:
        lines.append(gettext("结果：未导入（整个文件被拒绝，数据库未作任何改动）"))
    if result.problem:
        lines.append(gettext("原因：{problem}", problem=result.problem))
    if result.bad_row_count:
        lines.append(gettext("共检查 {rows} 行，其中 {bad} 行有问题：", rows=result.rows, bad=result.bad_row_count))
        lines.extend(_row_lines(result.bad_rows))
        if result.bad_row_count > len(result.bad_rows):
            lines.append(gettext("……另有 {n} 行有问题，未逐一列出", n=result.bad_row_count - len(result.bad_rows)))
    lines.extend(notes_lines(result))
    if result.ignored_columns:
        lines.append(gettext("未使用的列：{columns}", columns="、".join(result.ignored_columns)))
    if not result.ok and not result.already_imported:
        lines.append(gettext("请修正后重新导入。"))
    return "\n".join(lines) + "\n"


def notes_lines(result: ImportResult) -> list[str]:
    """The cells cleaned on the way in (an imported file's rows hold the cleaned text)."""
    if not result.note_count:
        return []
    lines = [gettext("有 {n} 个单元格含控制字符，已删除这些字符：", n=result.note_count), *_row_lines(result.notes)]
    if result.note_count > len(result.notes):
        lines.append(gettext("……另有 {n} 处，未逐一列出", n=result.note_count - len(result.notes)))
    return lines


def _row_lines(rows: list[BadRow]) -> list[str]:
    return [
        gettext("第 {row} 行{where}：{reason}", row=row.number, where=_where(row), reason=row.message) for row in rows
    ]


def _where(row: BadRow) -> str:
    return f"（{row.field}）" if row.field else ""


def summary_text(result: ImportResult) -> str:
    """One line for a good file (the CLI and the job's log), and the cells cleaned if any."""
    line = gettext(
        "{name}：{rows} 行，新建 {created} 件，已存在 {existing} 件",
        name=result.filename,
        rows=result.rows,
        created=result.created,
        existing=result.existing,
    )
    return "\n".join([line, *notes_lines(result)])


def write_report(result: ImportResult, rejected_file: Path) -> Path:
    """`name.csv.report.txt` next to the rejected file."""
    target = rejected_file.with_name(f"{rejected_file.name}.report.txt")
    target.write_text(report_text(result), encoding="utf-8")
    return target
