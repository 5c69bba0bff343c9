"""`complaints serve` (uvicorn) and `complaints tokens create | list | revoke`."""

from __future__ import annotations

import os

import typer

from complaints import auth
from complaints.cli.common import domain_errors, echo_table, fail, state
from complaints.services.people import get_user

tokens_app = typer.Typer(help="API 令牌（供平台对接等程序使用）", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.add_typer(tokens_app, name="tokens")


def serve(
    host: str = typer.Option("127.0.0.1", help="监听地址（对外服务请放在反向代理之后）"),
    port: int = typer.Option(8000, min=1, max=65535, help="端口"),
    workers: int = typer.Option(1, min=1, max=64, help="工作进程数（多进程须使用 PostgreSQL）"),
    reload: bool = typer.Option(False, help="代码变更时自动重启（开发用）"),
    forwarded_allow_ips: str = typer.Option(None, help="信任其 X-Forwarded-For 的反向代理地址，逗号分隔"),
) -> None:
    """启动 HTTP 服务（API 文档见 /docs）。"""
    import uvicorn

    url = state.settings.database.url
    if workers > 1 and url.startswith("sqlite"):
        fail(
            "SQLite 只支持单个工作进程：多进程请配置 PostgreSQL（COMPLAINTS_DATABASE__URL=postgresql+psycopg://...）",
            code=2,
        )
    if workers > 1 and reload:
        fail("--reload 与 --workers 不能同时使用", code=2)
    if workers > 1:  # each worker would start its own scheduler: run `complaints scheduler` beside them instead
        os.environ["COMPLAINTS_APP__RUN_SCHEDULER_IN_PROCESS"] = "false"
    in_process = workers == 1 and state.settings.app.run_scheduler_in_process
    typer.echo(
        f"服务地址 http://{host}:{port}/  （API 文档 /docs，{workers} 个工作进程；"
        f"{'定时任务在本进程中运行' if in_process else '定时任务请另行运行 complaints scheduler'}）"
    )
    uvicorn.run(
        "complaints.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        proxy_headers=bool(forwarded_allow_ips),
        forwarded_allow_ips=forwarded_allow_ips,
        access_log=False,
        log_level="info",
    )


@tokens_app.command("create")
def tokens_create(
    username: str,
    name: str = typer.Option(..., "--name", help="令牌用途，如“12345平台对接”"),
    days: int = typer.Option(90, min=1, max=365, help="有效天数"),
) -> None:
    """为某人新建 API 令牌；令牌只显示这一次。"""

    with state.session() as session, domain_errors():
        user = get_user(session=session, username=username)
        if not user.active:
            fail(f"该用户已停用：{username}")
        record, token = auth.issue_api_token(session=session, user=user, name=name, days=days)
    typer.echo(token)
    typer.echo(
        f"（令牌 id {record.id}，有效至 {record.expires_at:%Y-%m-%d}；请立即妥善保存，之后无法再次查看）", err=True
    )


@tokens_app.command("list")
def tokens_list(username: str) -> None:
    """列出某人的 API 令牌（不显示令牌本身）。"""

    with state.session() as session, domain_errors():
        records = auth.list_tokens(session=session, user=get_user(session=session, username=username))
        rows = [
            [
                str(r.id),
                r.name,
                f"{r.created_at:%Y-%m-%d}",
                f"{r.expires_at:%Y-%m-%d}",
                f"{r.last_used_at:%Y-%m-%d %H:%M}" if r.last_used_at else "—",
            ]
            for r in records
        ]
    echo_table(rows, ["id", "名称", "创建", "到期", "最近使用"])


@tokens_app.command("revoke")
def tokens_revoke(username: str, token_id: int) -> None:
    """吊销某人的一个 API 令牌。"""

    with state.session() as session, domain_errors():
        auth.revoke_token(session=session, user=get_user(session=session, username=username), token_id=token_id)
    typer.echo(f"已吊销令牌 {token_id}")
