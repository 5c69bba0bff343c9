"""Benchmark: stream 100,000 附件2 rows to xlsx; print seconds and peak memory against the targets.

    python bench/bench_ledger_export.py [--rows 100000] [--runs 3]

Each measurement runs in a fresh subprocess, so the peak RSS (ru_maxrss) is that run's alone.
Rows come from a generator of realistic Chinese text (summaries of 60–200 characters).
Baselines in the same run: the bare generator (interpreter + data, no writer), the CSV writer,
openpyxl's write-only (streaming) mode with the same cell styles, and openpyxl's ordinary
in-memory Workbook on fewer rows, scaled linearly to the full count.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from complaints.ledgers import Annex2Row, HeaderInfo, write_csv, write_xlsx  # noqa: E402

TARGET_SECONDS, TARGET_MB, TARGET_RATIO = 10.0, 300.0, 3.0  # ratio: seconds over write_csv's, same run
HEADER = HeaderInfo("阿图什市教育局", "张丽", "0908-4223232")

SOURCES = [
    "12345政务服务便民热线",
    "群众来信",
    "群众来电（州教育局监督举报电话0908-7625037）",
    "来访",
    "人民网领导留言板",
    "自治区政务服务平台举报",
    "州纪委监委转办",
    "县（市）教育局咨询热线",
]
PLACES = ["阿图什市", "阿克陶县", "乌恰县", "阿合奇县", "克州"]
SCHOOLS = ["第一小学", "第二小学", "第三中学", "实验学校", "第四小学", "育才中学", "光明小学"]
ISSUES = [
    "反映其居住的{p}新建小区“{e}”对口学校至今未公布，孩子今年满六周岁需要上一年级，家长多次咨询学校和社区均未得到明确答复，"
    "担心错过报名时间，要求尽快明确划片范围并公开。",
    "反映{p}{s}在新生报名时要求家长交纳“共建费”{n}元，并称不交费将无法保证入学，家长认为该行为属于违规收费，要求核实处理并退还费用。",
    "反映{p}{s}组织入学测试，根据测试成绩分配班级，疑似设立重点班、快慢班，要求教育局调查处理。",
    "来电人系进城务工人员，户籍不在本地，反映孩子在{p}办理随迁子女入学时被要求提供{n}年以上社保证明，材料过多难以办理，"
    "询问能否精简入学证明材料。",
    "反映某培训机构宣称与{p}{s}合作，交纳{n}元报名费即可“保证录取”，怀疑是招生诈骗，请求核实并提醒其他家长。",
    "咨询{p}今年小学一年级网上报名的时间、需要准备的材料以及户籍和房产不一致时如何办理。",
    "反映其孩子为残疾儿童，能够接受普通教育，但{p}{s}以缺少条件为由拒绝接收随班就读，要求依法保障孩子入学权利。",
]
HANDLING = [
    "当日转{p}教育局办理，承办人于{d}日内电话联系来电人，经核实{s}{f}，已向来电人解释相关政策并告知后续安排。",
    "州教育局教育科会同{p}教育局赴{s}实地核查，调阅招生台账和收费票据，约谈学校负责人，{f}。",
    "按照“谁承办、谁答复”原则由{p}教育局办理，已于{d}个工作日内书面答复来信人，{f}。",
]
FINDINGS = [
    "情况属实，已责令学校立即整改",
    "反映问题不属实",
    "部分属实，已督促学校规范招生行为",
    "已协调学区内学校解决入学问题",
    "已退还违规收取的费用",
]
RESULTS = [
    "已办结，来电人表示满意",
    "已办结，来电人表示理解",
    "已办结，来信人对答复不满意，已说明复查途径",
    "已移交县纪委监委依纪依法处理",
    "正在办理中，已延期并告知来电人",
]
ESTATES = ["昆仑花园", "帕米尔小区", "天山苑", "玉龙湾", "博格达家园"]


def make_rows(n: int, seed: int = 2024):
    rng = random.Random(seed)
    for i in range(1, n + 1):
        p, s = rng.choice(PLACES), rng.choice(SCHOOLS)
        summary = rng.choice(ISSUES).format(p=p, s=s, e=rng.choice(ESTATES), n=rng.choice([500, 2000, 3]))
        if rng.random() < 0.2:
            summary += f"\n来电人要求对其个人信息保密。工单号：KZ2024{i:06d}"
        handling = rng.choice(HANDLING).format(p=p, s=s, d=rng.randint(1, 5), f=rng.choice(FINDINGS))
        remarks = rng.choice(["", "", "", "重复来电", "实名举报", "已回访"])
        yield Annex2Row(i, rng.choice(SOURCES), summary, handling, rng.choice(RESULTS), remarks)


def child(kind: str, rows: int, out: str) -> dict:
    start = time.perf_counter()
    if kind == "generate":
        written = sum(1 for _ in make_rows(rows))
    elif kind == "xlsx":
        written = write_xlsx(2, HEADER, make_rows(rows), out)
    elif kind == "csv":
        with open(out, "w", encoding="utf-8", newline="") as fh:
            written = write_csv(2, HEADER, make_rows(rows), fh)
    elif kind == "openpyxl":  # the ordinary (non-streaming) openpyxl Workbook, for comparison
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        written = 0
        for r in make_rows(rows):
            ws.append([r.seq, r.source, r.summary, r.handling, r.result, r.remarks])
            written += 1
        wb.save(out)
    elif kind == "openpyxl-wo":  # openpyxl's streaming mode, styled cells, the alternative considered
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Alignment, Border, Font, Side

        wb = Workbook(write_only=True)
        ws = wb.create_sheet("附件2")
        thin = Side(style="thin")
        cells = [WriteOnlyCell(ws) for _ in range(6)]
        for cell in cells:
            cell.font, cell.alignment = Font(name="宋体"), Alignment(wrap_text=True, vertical="top")
            cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
        written = 0
        for r in make_rows(rows):
            values = (r.seq, r.source, r.summary, r.handling, r.result, r.remarks)
            for cell, value in zip(cells, values, strict=True):
                cell.value = value
            ws.append(cells)
            written += 1
        wb.save(out)
    else:
        raise SystemExit(f"unknown kind {kind}")
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    size = os.path.getsize(out) if os.path.exists(out) else 0
    return {"rows": written, "seconds": seconds, "peak_mb": peak_mb, "bytes": size}


def measure(kind: str, rows: int, runs: int, out: str) -> dict:
    results = []
    for _ in range(runs):
        proc = subprocess.run(
            [sys.executable, __file__, "--child", kind, "--rows", str(rows), "--out", out],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return {
        "rows": results[0]["rows"],
        "bytes": results[-1]["bytes"],
        "seconds": statistics.median(r["seconds"] for r in results),
        "peak_mb": statistics.median(r["peak_mb"] for r in results),
        "all_seconds": [round(r["seconds"], 2) for r in results],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--openpyxl-rows", type=int, default=20_000, help="rows for the in-memory baseline")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--out", default="", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.rows, args.out)))
        return 0

    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        print(f"附件2 export, {args.rows:,} rows, median of {args.runs} runs, each in a fresh process")
        print(f"{'what':<44}{'rows':>9}{'seconds':>10}{'peak MB':>10}{'file MB':>9}  runs (s)")

        def show(name, m, scale=1.0):
            print(
                f"{name:<44}{m['rows']:>9,}{m['seconds'] * scale:>10.2f}{m['peak_mb']:>10.1f}"
                f"{m['bytes'] / 2**20 * scale:>9.1f}  {m['all_seconds']}"
            )

        gen = measure("generate", args.rows, args.runs, os.path.join(tmp, "none"))
        show("baseline: generate rows only", gen)
        xlsx = measure("xlsx", args.rows, args.runs, os.path.join(tmp, "a2.xlsx"))
        show("write_xlsx (XlsxWriter, constant_memory)", xlsx)
        csv_run = measure("csv", args.rows, args.runs, os.path.join(tmp, "a2.csv"))
        show("baseline: write_csv", csv_run)
        show(
            "baseline: openpyxl write-only (streaming)",
            measure("openpyxl-wo", args.rows, args.runs, os.path.join(tmp, "wo.xlsx")),
        )
        n = min(args.openpyxl_rows, args.rows)
        opx = measure("openpyxl", n, args.runs, os.path.join(tmp, "opx.xlsx"))
        show(f"baseline: openpyxl in-memory, {n:,} rows", opx)
        scale = args.rows / n
        label = f"  ... scaled linearly to {args.rows:,} rows"
        print(
            f"{label:<44}{args.rows:>9,}"
            f"{opx['seconds'] * scale:>10.2f}{gen['peak_mb'] + (opx['peak_mb'] - gen['peak_mb']) * scale:>10.1f}"
        )
        ratio = xlsx["seconds"] / csv_run["seconds"]
        ok = ratio <= TARGET_RATIO and xlsx["seconds"] < TARGET_SECONDS and xlsx["peak_mb"] < TARGET_MB
        print(
            f"targets for {args.rows:,} rows: <= {TARGET_RATIO:.0f}x the CSV, < {TARGET_SECONDS:.0f} s and "
            f"< {TARGET_MB:.0f} MB peak -> write_xlsx {xlsx['seconds']:.2f} s ({ratio:.2f}x the CSV's "
            f"{csv_run['seconds']:.2f} s), {xlsx['peak_mb']:.1f} MB: {'PASS' if ok else 'FAIL'}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
