"""Schemathesis against the app's own OpenAPI document, in process, as a prefecture supervisor (who also
administers and registers): every phase (examples, coverage, fuzzing, stateful), all default checks.

It runs through Schemathesis' engine (what `st run` uses): the pytest integration's lazy fixture loader
does not work with pytest 9 (it writes `Function._nodeid`, which pytest 9 no longer has).

The schema cannot say everything the rules do: a handler id must name an on-duty handler of the unit,
a username must be new, a phone must be a real number, an action must fit the item's state. Such
requests are well formed yet refused with 422, so for the operations that take such input 422 is an
accepted answer to "positive" data; every other check keeps its defaults."""

from __future__ import annotations

import pytest
import schemathesis
from schemathesis import engine
from schemathesis.engine import Status, events

from complaints import auth

pytest_plugins = ["test_api_client"]  # the app wired to the test's transaction, and its clients

SEMANTIC_422 = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]


def config(token: str) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": 2026,  # reproducible: the same cases every run, on every machine
            "headers": {"Authorization": f"Bearer {token}"},
            "generation": {"max-examples": 12, "database": "none"},
            "phases": {"stateful": {"max-steps": 40}},
            "max-failures": 20,
            "operations": [
                # these would end the very session the run uses
                {"include-path": "/api/auth/logout", "enabled": False},
                {"include-path-regex": "^/api/auth/tokens/", "include-method": "DELETE", "enabled": False},
                {
                    "include-path-regex": "^/api/(complaints|people|auth/password)",
                    "include-method-regex": "^(POST|PATCH|PUT)$",
                    "checks": {"positive_data_acceptance": {"expected-statuses": SEMANTIC_422}},
                },
            ],
        }
    )


def failures_of(event) -> list[str]:
    if isinstance(event, events.NonFatalError | events.FatalError):
        return [f"{getattr(event, 'label', 'engine')}: {event.info.title}: {event.info.message[:500]}"]
    if not isinstance(event, events.ScenarioFinished):
        return []
    found = []
    for checks in event.recorder.checks.values():
        for check in checks:
            if check.status is Status.FAILURE and check.failure_info is not None:
                failure = check.failure_info.failure
                found.append(f"{event.recorder.label} [{check.name}]: {failure.title} — {failure.message[:400]}")
    return found


@pytest.mark.slow
def test_the_api_honours_its_own_schema(app, session, make_user):
    user = make_user("supervisor", "admin", "operator", unit="KZ")
    _, token = auth.create_session(session=session, user=user, kind="api", name="schemathesis")
    session.commit()
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config(token))
    found, scenarios, phases = [], 0, {}
    for event in engine.from_schema(schema).execute():
        found.extend(failures_of(event))
        scenarios += isinstance(event, events.ScenarioFinished)
        if isinstance(event, events.PhaseFinished):
            phases[str(event.phase.name)] = event.status
    assert not found, "\n".join(sorted(set(found)))
    assert phases.get("stateful") is Status.SUCCESS, phases  # the stateful phase ran (links were found)
    assert phases.get("coverage") is Status.SUCCESS and phases.get("fuzzing") is Status.SUCCESS, phases
    assert scenarios > 100
