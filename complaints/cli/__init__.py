"""The `complaints` command."""

from __future__ import annotations

import typer

from complaints.cli import (
    calendar_cmd,
    import_cmd,
    items,
    jobs_cmd,
    ledger_cmd,
    platform_cmd,
    replies_cmd,
    server_cmd,
    setup,
    stats_cmd,
)
from complaints.cli.common import state

app = typer.Typer(
    help="阳光招生接诉即办：诉求登记、派单、办理、督办与台账。", no_args_is_help=True, pretty_exceptions_enable=False
)


@app.callback()
def _root(acting_as: str = typer.Option(None, "--as", help="以该用户名的身份操作（也可设 COMPLAINTS_USER）")):
    state.reset(acting_as)


setup.register(app)
items.register(app)
app.add_typer(calendar_cmd.app, name="calendar")

for module in (server_cmd, jobs_cmd, import_cmd, ledger_cmd, replies_cmd, platform_cmd, stats_cmd):
    module.register(app)


def main() -> None:
    app()
