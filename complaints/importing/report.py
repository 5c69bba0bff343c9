"""The report written next to a rejected file: what was wrong with it, row by row."""

from __future__ import annotations

from pathlib import Path

from complaints.i18n import gettext
from complaints.importing.importer import ImportResult


def report_text(result: ImportResult) -> str:
    lines = [gettext("文件：{name}", name=result.filename), gettext("来源：{source}", source=result.source),
             gettext("结果：未导入（整个文件被拒绝，数据库未作任何改动）")]
    if result.problem:
        lines.append(gettext("原因：{problem}", problem=result.problem))
    if result.bad_row_count:
        lines.append(gettext("共检查 {rows} 行，其中 {bad} 行有问题：", rows=result.rows, bad=result.bad_row_count))
        for row in result.bad_rows:
            where = f"（{row.field}）" if row.field else ""
            lines.append(gettext("第 {row} 行{where}：{reason}", row=row.number, where=where, reason=row.message))
        hidden = result.bad_row_count - len(result.bad_rows)
        if hidden:
            lines.append(gettext("……另有 {n} 行有问题，未逐一列出", n=hidden))
    if result.ignored_columns:
        lines.append(gettext("未使用的列：{columns}", columns="、".join(result.ignored_columns)))
    if not result.already_imported:
        lines.append(gettext("请修正后重新导入。"))
    return "\n".join(lines) + "\n"


def summary_text(result: ImportResult) -> str:
    """One line for a good file (the CLI and the job's log)."""
    return gettext("{name}：{rows} 行，新建 {created} 件，已存在 {existing} 件", name=result.filename,
                   rows=result.rows, created=result.created, existing=result.existing)


def write_report(result: ImportResult, rejected_file: Path) -> Path:
    """`name.csv.report.txt` next to the rejected file."""
    target = rejected_file.with_name(f"{rejected_file.name}.report.txt")
    target.write_text(report_text(result), encoding="utf-8")
    return target
