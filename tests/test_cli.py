"""The `complaints` command as an operator uses it: init, people, register, assign, act, show, list."""

import pytest
from typer.testing import CliRunner

from complaints.cli import app

runner = CliRunner()


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPLAINTS_DATABASE__URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.delenv("COMPLAINTS_USER", raising=False)

    def run(*args, ok=True):
        result = runner.invoke(app, [str(a) for a in args])
        if ok:
            assert result.exit_code == 0, result.output
        return result

    run("init", "--password", "admin-pass-1")
    run("users", "add", "op1", "--name", "接线员甲", "--unit", "ATS", "--roles", "operator")
    run("users", "add", "h1", "--name", "李承办", "--unit", "ATS", "--roles", "handler")
    run("users", "add", "sup1", "--name", "张科长", "--unit", "ATS", "--roles", "supervisor")
    return run


def test_register_assign_and_work_an_item(cli):
    tracking = cli(
        "--as",
        "op1",
        "register",
        "--summary",
        "反映学校收取共建费",
        "--unit",
        "ATS",
        "--category",
        "fees",
        "--name",
        "王丽",
        "--phone",
        "13812345678",
    ).output.strip()
    assert tracking.startswith("ATS-")
    assert "李承办" in cli("--as", "sup1", "assign", tracking, "h1").output
    assert "办理中" in cli("--as", "h1", "act", tracking, "accept", "-d", '{"note": "已联系"}').output
    shown = cli("--as", "sup1", "show", tracking).output
    assert "13812345678" in shown and "签收" in shown and "答复：" in shown and "可执行操作" in shown
    listed = cli("--as", "op1", "list").output
    assert tracking in listed and "138****5678" in listed and "13812345678" not in listed


def test_errors_go_to_stderr_with_nonzero_exit(cli):
    bad_unit = cli("--as", "op1", "register", "--summary", "测试诉求", "--unit", "XX", ok=False)
    assert bad_unit.exit_code == 1 and "未知单位" in bad_unit.output and "ATS" in bad_unit.output
    tracking = cli("--as", "op1", "register", "--summary", "反映学校收取共建费", "--unit", "ATS").output.strip()
    illegal = cli("--as", "sup1", "act", tracking, "close", ok=False)
    assert illegal.exit_code == 1 and "已登记" in illegal.output and "dispatch" in illegal.output
    bad_json = cli("--as", "sup1", "act", tracking, "note", "-d", "{oops", ok=False)
    assert bad_json.exit_code == 1 and "JSON" in bad_json.output


def test_calendar_commands(cli):
    # 2024's regional days are not known: an estimate, flagged as such
    assert (
        cli("calendar", "add-workdays", "2024-02-08", "3").output.strip()
        == "2024-02-19（估算，暂定 — 2024 年未公布：xinjiang）"
    )
    assert "调休上班" in cli("calendar", "is-workday", "2024-02-04").output
    assert cli("calendar", "add-workdays", "2026-05-26", "5").output.strip() == "2026-06-05"
    for day in ("2026-03-20", "2026-05-27"):
        festival = cli("calendar", "is-workday", day, ok=False)
        assert festival.exit_code == 1 and "自治区节日" in festival.output
    estimated = cli("calendar", "add-workdays", "2026-12-28", "5").output
    assert estimated.startswith("2027-01-05（估算") and "national、xinjiang" in estimated
    assert cli("calendar", "is-workday", "2025-02-04", ok=False).exit_code == 1
    unknown = cli("calendar", "is-workday", "2031-01-06", ok=False)
    assert unknown.exit_code == 2 and "不在已知工作日历范围内" in unknown.output
    layers = cli("calendar", "horizon").output
    assert "工作日历已知至" in layers and "未公布 2024" in layers and "2025-12-26" in layers


def test_declare_a_year_preview_then_confirm_then_withdraw(cli, tmp_path):
    schedule = tmp_path / "2027.txt"
    schedule.write_text(
        "2027-01-01 休 元旦\n2027-02-05~2027-02-11 休 春节\n2027-02-20 班 春节调休上班\n"
        "2027-04-05 休 清明节\n2027-05-01~2027-05-05 休 劳动节\n2027-06-09 休 端午节\n"
        "2027-10-01~2027-10-07 休 国庆节\n",
        encoding="utf-8",
    )
    args = ("calendar", "declare", schedule, "--year", "2027", "--title", "国务院办公厅关于2027年部分节假日安排的通知")
    refused = cli(*args, ok=False)
    assert refused.exit_code == 1 and "中秋节" in refused.output
    schedule.write_text(schedule.read_text(encoding="utf-8") + "2027-09-15 休 中秋节\n", encoding="utf-8")
    assert "未保存" in cli(*args).output and "已公布至 2026" in cli("calendar", "horizon").output
    assert "第 1 版已确认" in cli(*args, "--confirm").output
    assert "已公布至 2027" in cli("calendar", "horizon").output
    assert (
        cli(
            "--as",
            "sup1",
            "calendar",
            "withdraw",
            "--layer",
            "national",
            "--year",
            "2027",
            "--reason",
            "有误",
            "--confirm",
            ok=False,
        ).exit_code
        == 1
    )  # only an admin
    cli("calendar", "withdraw", "--layer", "national", "--year", "2027", "--reason", "文号有误", "--confirm")
    assert "已公布至 2026" in cli("calendar", "horizon").output


@pytest.mark.slow  # about 10-40 s on two cores; left out by make test-fast
def test_demo_then_overdue_list(cli):
    assert "已载入演示数据" in cli("demo", "--items", "60").output
    overdue = cli("list", "--overdue").output
    assert "已超期" in overdue and "正常" not in overdue.split("\n", 2)[2]


def test_ledger_export_writes_the_annex_workbook(cli, tmp_path):
    from openpyxl import load_workbook

    tracking = cli("--as", "op1", "register", "--summary", "反映学校收取共建费", "--unit", "ATS").output.strip()
    cli("--as", "sup1", "assign", tracking, "h1")
    cli("--as", "h1", "act", tracking, "accept")
    cli(
        "--as",
        "h1",
        "act",
        tracking,
        "reply",
        "-d",
        '{"text": "经核实已责令学校退费。", "outcome": "support", '
        '"handling_notes": "到校核查", "result_text": "学校已退费"}',
    )
    cli("--as", "op1", "act", tracking, "callback", "-d", '{"resolved": true, "satisfaction": "satisfied"}')
    cli("--as", "h1", "act", tracking, "close")
    target = tmp_path / "附件2.xlsx"
    out = cli(
        "--as",
        "sup1",
        "ledger",
        "export",
        "--annex",
        "2",
        "--unit",
        "ATS",
        "--from",
        "2026-01-01",
        "--to",
        "2026-12-31",
        "-o",
        target,
    ).output
    assert "1 行" in out
    sheet = load_workbook(target).active
    assert sheet["A1"].value == "附件2" and any(tracking in str(c.value) for c in sheet["B"])
    refused = cli(
        "--as",
        "h1",
        "ledger",
        "export",
        "--annex",
        "2",
        "--unit",
        "ATS",
        "--from",
        "2026-01-01",
        "--to",
        "2026-12-31",
        "-o",
        tmp_path / "x.xlsx",
        ok=False,
    )
    assert refused.exit_code == 1 and not (tmp_path / "x.xlsx").exists()


def test_platform_token_is_shown_once_and_listed_without_it(cli):
    added = cli("platform", "add", "12345", "--source", "hotline12345", "--unit", "ATS", "--unit", "AKT").output
    token = added.strip().splitlines()[-1]
    assert token.startswith("plat_") and "AKT、ATS" in added
    listed = cli("platform", "list").output
    assert "12345" in listed and "hotline12345" in listed and token not in listed
    refused = cli("platform", "add", "x", "--source", "nowhere", "--unit", "ATS", ok=False)
    assert refused.exit_code == 1 and "未知来源" in refused.output
    assert "已停用" in cli("platform", "disable", "12345").output
    assert "停用" in cli("platform", "list").output.splitlines()[-1]


def test_stats_rebuild_counts_every_item_again(cli):
    cli("demo", "--items", "60")
    output = cli("stats", "rebuild").output
    assert output.startswith("已重新计数 ") and int(output.split()[1]) >= 60
