"""The migrations are the schema: they agree with the models, and go down and up again cleanly."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.util.exc import CommandError
from sqlalchemy import inspect, text

from complaints.db import alembic_config, make_engine, upgrade


def test_the_migrated_schema_is_what_the_models_describe(scratch_url):
    upgrade(scratch_url)
    try:
        command.check(alembic_config(scratch_url))
    except CommandError as error:  # names the differences
        pytest.fail(f"the models and the migrations disagree: {error}")


@pytest.mark.slow  # about 10-40 s on two cores; left out by make test-fast
def test_every_migration_goes_down_and_up_again(scratch_url):
    upgrade(scratch_url)
    command.downgrade(alembic_config(scratch_url), "base")
    engine = make_engine(scratch_url)
    try:
        assert "complaint" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()
    upgrade(scratch_url)
    engine = make_engine(scratch_url)
    try:
        columns = {column["name"] for column in inspect(engine).get_columns("complaint")}
        assert {"review_round", "escalated_due_at", "reviewed_unit_code", "identity_erased_at"} <= columns
        if engine.dialect.name == "postgresql":
            with engine.connect() as connection:
                options = connection.execute(text("SELECT reloptions FROM pg_class WHERE relname = 'complaint'"))
                assert "fillfactor=85" in options.scalar_one()
    finally:
        engine.dispose()
