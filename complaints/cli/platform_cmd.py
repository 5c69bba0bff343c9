"""`complaints platform add NAME --source S --unit U …`: a platform's token for the push/pull API."""

from __future__ import annotations

import typer
from sqlmodel import col

from complaints.cli.common import domain_errors, echo_table, fail, state
from complaints.i18n import gettext
from complaints.models import PlatformClient
from complaints.services.platform import add_client


def register(app: typer.Typer) -> None:
    platform = typer.Typer(help="平台对接：12345、信访系统推送诉求件、查询办理进度的令牌", no_args_is_help=True)
    platform.command("add")(add_platform)
    platform.command("list")(list_platforms)
    platform.command("disable")(disable_platform)
    app.add_typer(platform, name="platform")


def add_platform(
    name: str = typer.Argument(..., help="平台名称，如 12345"),
    source: str = typer.Option(..., "--source", help="来源：hotline12345、xinfang、message_board 等"),
    unit: list[str] = typer.Option(..., "--unit", help="可推送和查询的单位代码（可重复）"),
) -> None:
    """新增一个平台并显示其令牌（只显示这一次）。"""

    with state.session() as session, domain_errors():
        client, token = add_client(session=session, runtime=state.runtime, name=name, source=source, units=unit)
    typer.echo(gettext("平台 {name}（{units}）的令牌，只显示这一次：", name=client.name, units="、".join(client.units)))
    typer.echo(token)


def list_platforms() -> None:
    """列出平台及其单位。"""
    from sqlmodel import select

    with state.session() as session:
        rows = session.exec(select(PlatformClient).order_by(col(PlatformClient.id))).all()
        echo_table(
            [[r.name, r.source, "、".join(r.units), gettext("启用") if r.active else gettext("停用")] for r in rows],
            [gettext("名称"), gettext("来源"), gettext("单位"), gettext("状态")],
        )


def disable_platform(name: str = typer.Argument(..., help="平台名称")) -> None:
    """停用一个平台的令牌（推送和查询立即被拒绝）。"""
    from sqlmodel import select

    with state.session() as session:
        client = session.exec(select(PlatformClient).where(PlatformClient.name == name)).first()
        if client is None:
            fail(gettext("找不到平台：{name}", name=name[:64]))
        client.active = False
        session.add(client)
    typer.echo(gettext("已停用平台 {name}", name=name[:64]))
