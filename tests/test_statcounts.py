"""The kept counts (complaints.statcounts) after a mixed history: they agree with a rebuild from the items, and
every figure read from them equals the same figure counted from the items (services.stats.query_*)."""

from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import func, select

from complaints import statcounts
from complaints.jobs.retention import erase_identity
from complaints.models import Complaint
from complaints.services import openwork, stats
from complaints.services import queries as service
from complaints.services.repeats import link_repeat
from complaints.services.scope import visible_filter
from complaints.services.transitions import act
from complaints.settings import CallbackSettings

TZ = ZoneInfo("Asia/Shanghai")
REPLY = {
    "text": "经核实已按政策处理完毕。",
    "outcome": "explain",
    "handling_notes": "电话核实",
    "result_text": "已解释",
}
HAPPY = {"resolved": True, "satisfaction": "satisfied"}
BASIC = {"resolved": True, "satisfaction": "basically"}
UNHAPPY = {"resolved": False, "satisfaction": "dissatisfied"}
AWAY = {"resolved": False, "satisfaction": "unreachable"}
PERIODS = (
    (date(2026, 6, 1), date(2026, 6, 30)),
    (date(2026, 6, 10), date(2026, 7, 12)),
    (date(2026, 1, 1), date(2026, 12, 31)),
)


def at(month: int, day: int, hour: int = 11) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=TZ)


@pytest.fixture
def history(session, runtime, make_user, make_item):
    """Items of two counties and the prefecture through most of what can happen to them."""
    people = {
        "kz_sup": make_user("supervisor", unit="KZ"),
        "kz_handler": make_user("handler", unit="KZ"),
        "kz_op": make_user("operator", unit="KZ"),
    }
    for unit in ("AHQ", "ATS"):
        people[f"{unit}_op"] = make_user("operator", unit=unit)
        people[f"{unit}_handler"] = make_user("handler", unit=unit)
        people[f"{unit}_other"] = make_user("handler", unit=unit)
        people[f"{unit}_sup"] = make_user("supervisor", unit=unit)
    people["AHQ_suphandler"] = make_user("supervisor", "handler", unit="AHQ")
    people["ATS_supop"] = make_user("supervisor", "operator", unit="ATS")

    def item(unit: str, received: datetime, by: str | None = None, **fields):
        return make_item(actor=people[by or f"{unit}_op"], unit_code=unit, received_at=received, **fields)

    def run(thing, when: datetime, *steps):
        for minutes, (who, action, payload) in enumerate(steps):
            act(
                session=session,
                runtime=runtime,
                actor=people[who],
                item=thing,
                action=action,
                payload=payload,
                now=when + timedelta(minutes=10 * minutes),
            )
        return thing

    def handled(unit, handler=None):
        handler = handler or f"{unit}_handler"
        return (
            (f"{unit}_sup", "dispatch", {"handler_id": people[handler].id}),
            (handler, "accept", {}),
            (handler, "reply", REPLY),
        )

    items = []
    for unit in ("AHQ", "ATS"):
        h = f"{unit}_handler"
        first = len(items)
        # answered in time, satisfied, closed
        items.append(
            run(item(unit, at(6, 2, 9)), at(6, 2), *handled(unit), (f"{unit}_op", "callback", HAPPY), (h, "close", {}))
        )
        # unsatisfied, sent back, basically satisfied in July, closed
        e = run(item(unit, at(6, 8, 9)), at(6, 8), *handled(unit), (f"{unit}_op", "callback", UNHAPPY))
        run(e, at(6, 11), (f"{unit}_sup", "redo", {"note": "请重新调查"}))
        run(e, at(7, 3), (h, "reply", REPLY), (f"{unit}_op", "callback", BASIC), (h, "close", {}))
        items.append(e)
        # satisfied, closed, reopened twice on different days, answered again
        f = run(item(unit, at(6, 9, 9)), at(6, 9), *handled(unit), (f"{unit}_op", "callback", HAPPY), (h, "close", {}))
        run(f, at(6, 15), (f"{unit}_sup", "reopen", {"note": "再次来电"}))
        run(f, at(6, 16), (h, "reply", REPLY), (f"{unit}_op", "callback", HAPPY), (h, "close", {}))
        run(f, at(6, 20), (f"{unit}_sup", "reopen", {"note": "又一次来电"}))
        items.append(f)
        # unreachable on the callback
        items.append(run(item(unit, at(6, 12, 9)), at(6, 12), *handled(unit), (f"{unit}_op", "callback", AWAY)))
        # contacted late and answered after the deadline
        late = run(item(unit, at(6, 3, 9)), at(6, 3), handled(unit)[0])
        run(late, at(6, 9), (h, "accept", {}))
        run(
            late,
            late.reply_due_at + timedelta(days=2),
            (h, "reply", REPLY),
            (f"{unit}_op", "callback", HAPPY),
            (h, "close", {}),
        )
        items.append(late)
        # dispatched, never contacted; another accepted and left open past its deadline
        items.append(run(item(unit, at(6, 4, 9)), at(6, 4), handled(unit)[0]))
        items.append(run(item(unit, at(6, 5, 9)), at(6, 5), *handled(unit)[:2]))
        # transferred to the other handler, then to the prefecture's handler (another unit)
        moved = run(item(unit, at(6, 6, 9)), at(6, 6), *handled(unit)[:2])
        run(moved, at(6, 7), (f"{unit}_sup", "reassign", {"handler_id": people[f"{unit}_other"].id}))
        run(moved, at(6, 8), ("kz_sup", "reassign", {"handler_id": people["kz_handler"].id, "unit_code": "KZ"}))
        items.append(moved)
        # waiting for dispatch; a question answered at intake; a refusal; a duplicate of the first item
        items.append(item(unit, at(7, 10, 9)))
        question = item(unit, at(6, 18, 9), kind="question", category="consultation", summary="请问报名什么时候开始")
        items.append(run(question, at(6, 18), (f"{unit}_op", "answer_now", {"text": "7月1日开始。"})))
        items.append(
            run(item(unit, at(6, 19, 9)), at(6, 19), (f"{unit}_sup", "not_accept", {"note": "不属于受理范围"}))
        )
        duplicate = run(
            item(unit, at(6, 21, 9)), at(6, 21), (f"{unit}_sup", "mark_duplicate", {"of": items[first].tracking_no})
        )
        items.append(duplicate)
        # a repeat of the open item, registered by the prefecture's hotline
        again = item(unit, at(6, 22, 9), by="kz_op")
        link_repeat(session=session, item=again, earlier=items[-8], actor=people[f"{unit}_op"], now=at(6, 22, 10))
        run(again, at(6, 22), (f"{unit}_sup", "dispatch", {"handler_id": people[h].id}))
        items.append(again)
        # received the day the figures are read, contact due later
        items.append(run(item(unit, at(7, 12, 8)), at(7, 12, 8), handled(unit)[0]))
    # the county's handler under the combined roles, and a 复查 at the prefecture
    ahq = run(item("AHQ", at(6, 25, 9)), at(6, 25), *handled("AHQ", "AHQ_suphandler"))
    run(ahq, at(6, 26), ("AHQ_op", "callback", HAPPY), ("AHQ_suphandler", "close", {}))
    items.append(ahq)
    session.flush()
    erase_identity(session=session, runtime=runtime, now=at(12, 31) + timedelta(days=4000))
    session.flush()
    return people, items


def _same_order(rows):
    return sorted(rows, key=lambda row: (str(row[0]), row[1:]))


def test_the_kept_counts_agree_with_a_rebuild_from_the_items(session, runtime, history):
    tz = runtime.settings.app.timezone
    assert statcounts.counted_zone(session) == tz
    kept = statcounts.kept_rows(session)
    assert kept and kept == statcounts.counted_rows(session, tz)
    assert statcounts.rebuild(session, tz) == session.exec(select(func.count()).select_from(Complaint)).one()
    assert statcounts.kept_rows(session) == kept


@pytest.mark.parametrize("counted", ["first", "last"])
def test_every_figure_from_the_kept_counts_equals_the_query_over_the_items(session, runtime, history, counted):
    people, _ = history
    settings = runtime.settings.model_copy(update={"callbacks": CallbackSettings(counted=counted)})
    rt = replace(runtime, settings=settings)
    actors = ["kz_sup", "AHQ_suphandler", "ATS_supop", "kz_op"]
    nows = (at(7, 12, 15), at(6, 4, 23))
    compared = 0
    for name in actors:
        actor = people[name]
        for start, end in PERIODS:
            for now in nows:
                for unit in (None, "KZ"):
                    win = stats.window(runtime=rt, actor=actor, start=start, end=end, unit_code=unit, now=now)
                    for key in stats.MEASURES:
                        assert stats.measure(session, key, win) == stats.query_measure(session, key, win), (name, key)
                        compared += 1
                    for column in (Complaint.unit_code, Complaint.handler_id):
                        kept = stats.grouped_all(session, stats.MEASURES, win, column)
                        assert kept == {k: stats.query_grouped(session, k, win, column) for k in stats.MEASURES}
            window = {"start": start, "end": end, "now": nows[0], "actor": actor, "runtime": rt}
            new, old = stats.dashboard(session=session, **window), stats.query_dashboard(session=session, **window)
            assert new.rates == old.rates and new.by_day == old.by_day
            for part in ("by_category", "by_unit", "overdue_by_handler"):
                assert _same_order(getattr(new, part)) == _same_order(getattr(old, part)), (name, part)
    assert compared > 300


def test_open_work_and_list_totals_from_the_kept_counts(session, runtime, history):
    people, _ = history
    for name in ("kz_sup", "AHQ_suphandler", "ATS_supop"):
        actor = people[name]
        for now in (at(7, 12, 15), at(6, 5, 12), at(8, 1)):
            for unit in (None, "AHQ", "KZ"):
                for by in ("unit", "handler", "category"):
                    kept = openwork.workload(
                        session=session, runtime=runtime, actor=actor, by=by, unit_code=unit, now=now
                    )
                    old = openwork.query_workload(
                        session=session, runtime=runtime, actor=actor, by=by, unit_code=unit, now=now
                    )
                    assert _same_order(kept) == _same_order(old), (name, by, now)
                for shape in ({}, {"overdue": True}, {"due_soon": True}, {"open_only": True}):
                    filters = service.ListFilter(unit_code=unit, **shape)
                    where = service.list_where(filters, actor=actor, runtime=runtime, now=now, dialect="")
                    expected = session.exec(select(func.count()).select_from(Complaint).where(*where)).one()
                    found = openwork.kept_total(session=session, runtime=runtime, actor=actor, filters=filters, now=now)
                    assert found in (None, expected), (name, shape, unit)
                    _, total = service.list_complaints(
                        session=session, runtime=runtime, actor=actor, filters=filters, now=now
                    )
                    assert total == expected
                groups = openwork.overdue_groups(session=session, runtime=runtime, actor=actor, unit_code=unit, now=now)
                scope = [
                    visible_filter(actor, runtime.settings),
                    Complaint.is_open.is_(True),
                    Complaint.next_due_at < now,
                ]
                if unit:
                    scope.append(Complaint.unit_code == unit)
                for name_, column in (("unit", Complaint.unit_code), ("handler", Complaint.handler_id)):
                    old = session.exec(select(column, func.count()).where(*scope).group_by(column)).all()
                    assert _same_order(groups[name_]) == _same_order([tuple(r) for r in old])


def test_the_board_read_twice_in_one_session_follows_a_change_made_between(session, runtime, history, make_item):
    """The board asks for its open figures five times and they are read once; a change flushed in between is
    seen by the next read (nothing stale is served from the first)."""
    people, _ = history
    actor, now = people["kz_sup"], at(7, 12, 15)

    def overdue_by_unit() -> dict:
        groups = openwork.overdue_groups(session=session, runtime=runtime, actor=actor, unit_code=None, now=now)
        return dict(groups["unit"])

    def overdue_total() -> int:
        filters = service.ListFilter(overdue=True)
        return service.list_complaints(session=session, runtime=runtime, actor=actor, filters=filters, now=now)[1]

    before, total = overdue_by_unit(), overdue_total()
    assert overdue_by_unit() == before and overdue_total() == total
    item = make_item(actor=people["ATS_op"], unit_code="ATS", received_at=at(7, 12, 9))
    item.next_due_at, item.warn_at = at(7, 12, 10), at(7, 12, 9)  # overdue since earlier today
    session.add(item)
    session.flush()
    assert overdue_total() == total + 1
    assert overdue_by_unit().get("ATS", 0) == before.get("ATS", 0) + 1


def test_without_built_counts_the_figures_come_from_the_items(session, runtime, history):
    people, _ = history
    win = stats.window(
        runtime=runtime, actor=people["kz_sup"], start=PERIODS[0][0], end=PERIODS[0][1], unit_code=None, now=at(7, 12)
    )
    kept = {key: stats.measure(session, key, win) for key in stats.MEASURES}
    other = replace(
        runtime,
        settings=runtime.settings.model_copy(
            update={"app": runtime.settings.app.model_copy(update={"timezone": "UTC"})}
        ),
    )
    assert statcounts.counted_zone(session) != other.settings.app.timezone
    total = openwork.kept_total(
        session=session, runtime=other, actor=people["kz_sup"], filters=service.ListFilter(), now=at(7, 12)
    )
    assert total is None
    assert kept == {key: stats.query_measure(session, key, win) for key in stats.MEASURES}


def test_items_imported_in_bulk_are_counted(session, runtime, make_user):
    from complaints.services.registration import register_many

    actor = make_user("operator", "supervisor", unit="KZ")
    row = {"unit_code": "ATS", "summary": "反映学校收取共建费", "received_at": at(6, 1), "source": "hotline12345"}
    rows = [row | {"external_ref": f"R{i}", "channel": "call", "kind": "complaint"} for i in range(3)]
    before = statcounts.kept_rows(session)
    assert register_many(session=session, runtime=runtime, actor=actor, rows=rows, now=at(6, 1, 12)) == 3
    kept = statcounts.kept_rows(session)
    assert kept != before and kept == statcounts.counted_rows(session, runtime.settings.app.timezone)


def test_a_session_on_another_database_flushes_as_if_the_counts_did_not_exist(tmp_path):
    """The listeners are on every Session in the process: one over a database without the project's tables
    (a bench's baseline, a tool sharing the process) must not be made to read the kept counts' state."""
    from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine
    from sqlalchemy.orm import registry
    from sqlmodel import Session

    metadata = MetaData()
    table = Table("note", metadata, Column("id", Integer, primary_key=True), Column("text", String))

    class Note:
        pass

    registry().map_imperatively(Note, table)
    engine = create_engine(f"sqlite:///{tmp_path / 'other.db'}")
    metadata.create_all(engine)
    with Session(engine) as other:
        note = Note()
        note.text = "备忘"
        other.add(note)
        other.commit()
        assert other.exec(select(func.count()).select_from(table)).one() == 1
    engine.dispose()
