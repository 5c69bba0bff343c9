"""`complaints init`, `users`, `demo`."""

from __future__ import annotations

import getpass
import os

import typer
from sqlmodel import col

from complaints.cli.common import domain_errors, echo_table, fail, state
from complaints.db import upgrade
from complaints.demo import load_demo
from complaints.models import User
from complaints.services import people

users_app = typer.Typer(help="人员管理", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("demo")(demo)
    app.add_typer(users_app, name="users")


def init(
    admin: str = typer.Option("admin", help="首个管理员的用户名"),
    name: str = typer.Option("系统管理员", help="姓名"),
    unit: str = typer.Option(None, help="单位代码（默认：州教育局）"),
    password: str = typer.Option(None, help="密码（也可设 COMPLAINTS_ADMIN_PASSWORD；不给则提示输入）"),
) -> None:
    """建库（Alembic 迁移到最新）并创建首个管理员。"""
    settings = state.settings
    upgrade(settings.database.url)
    with state.session() as session, domain_errors():
        if people.count_admins(session=session):
            typer.echo("数据库已是最新；已有管理员，未新建。")
            return
        password = password or os.environ.get("COMPLAINTS_ADMIN_PASSWORD") or ""
        if not password:
            if not os.isatty(0):
                fail("请用 --password 或 COMPLAINTS_ADMIN_PASSWORD 提供管理员密码")
            password = getpass.getpass("管理员密码：")
        user = people.add_user(
            session=session,
            settings=settings,
            actor=None,
            username=admin,
            name=name,
            unit_code=unit or settings.app.prefecture_unit,
            roles=["supervisor", "admin"],
            password=password,
        )
    typer.echo(f"已创建管理员 {user.username}（{settings.unit_map[user.unit_code].name}）")


@users_app.command("add")
def users_add(
    username: str,
    name: str = typer.Option(..., help="姓名"),
    unit: str = typer.Option(..., help="单位代码，如 ATS"),
    roles: str = typer.Option(..., help="角色，逗号分隔：operator,handler,supervisor,admin"),
    password: str = typer.Option(None, help="登录密码（至少8位）"),
    phone: str = typer.Option(None, help="联系电话"),
) -> None:
    """新增人员（以 --as 指定的管理员身份，记入审计日志）。"""
    with state.session() as session, domain_errors():
        user = people.add_user(
            session=session,
            settings=state.settings,
            actor=state.actor(session),
            username=username,
            name=name,
            unit_code=unit,
            roles=roles,
            password=password,
            phone=phone,
        )
    typer.echo(f"已新增 {user.username}（id {user.id}）")


@users_app.command("set")
def users_set(
    username: str,
    roles: str = typer.Option(None, help="新的角色，逗号分隔"),
    unit: str = typer.Option(None, help="调往的单位代码"),
    active: bool = typer.Option(None, "--active/--inactive", help="在岗或停用"),
    password: str = typer.Option(None, help="重设登录密码（该人员的会话和令牌随之失效）"),
    unlock: bool = typer.Option(False, "--unlock", help="解除登录失败后的锁定"),
) -> None:
    """修改人员的角色、单位、在岗状态或密码（以 --as 指定的管理员身份，记入审计日志）。"""
    changes = {"roles": roles, "unit_code": unit, "active": active, "password": password, "unlock": unlock or None}
    with state.session() as session, domain_errors():
        actor = state.actor(session)
        person = people.get_user(session=session, username=username)
        people.update_user(
            session=session,
            settings=state.settings,
            actor=actor,
            user=person,
            changes={name: value for name, value in changes.items() if value is not None},
        )
    typer.echo(f"已修改 {username}")


@users_app.command("list")
def users_list(unit: str = typer.Option(None, help="单位代码")) -> None:
    """列出人员。"""
    from sqlmodel import select

    with state.session() as session:
        query = select(User).order_by(col(User.unit_code), col(User.id))
        if unit:
            query = query.where(User.unit_code == unit)
        rows = [
            [str(u.id), u.username, u.name, u.unit_code, u.roles, "在岗" if u.active else "停用"]
            for u in session.exec(query)
        ]
    echo_table(rows, ["id", "用户名", "姓名", "单位", "角色", "状态"])


def demo(
    items: int = typer.Option(400, help="诉求件数量"),
    seed: int = typer.Option(2026, help="随机种子（同一种子生成同样的数据）"),
    password: str = typer.Option("demo-pass-2026", help="演示账号的密码"),
) -> None:
    """载入演示数据：五个单位的人员，近三个月各类、各状态的诉求件（部分已超期）。"""

    upgrade(state.settings.database.url)
    with state.session() as session, domain_errors():
        summary = load_demo(session=session, runtime=state.runtime, items=items, seed=seed, password=password)
    typer.echo(summary)
