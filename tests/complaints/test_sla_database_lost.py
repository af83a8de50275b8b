"""A sweep that loses its database stops at once with one log line, keeps whole what it had
committed and nothing of the transaction in flight; the next sweep finishes the work, each step
once. The connection is really lost: the server ends the sweep's backend (`pg_terminate_backend`,
what a restart or a failover does) while its second batch of clocks is being written."""

import logging
import socket

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection

from complaints import workflow
from complaints.deadlines import sweep as sla
from complaints.models import Clock, ClockKind, ClockStep, Event, EventType, Notification, StepKind
from tests.clock import local
from tests.pg import terminate

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="drills a PostgreSQL connection"),
]

REPORTS = 3 * sla.CLAIM_SIZE + 5
LADDER = {StepKind.REMINDER, StepKind.OVERDUE, StepKind.ESCALATED}


@pytest.fixture
def overdue_reports(region, citizen, operator):
    with time_machine.travel(local(2026, 11, 2, 10), tick=False):
        for i in range(REPORTS):
            workflow.file_complaint(
                reporter=citizen,
                title=f"Jalan berlubang nomor {i}",
                body="Lubang besar di Jalan Poros, sudah dua minggu.",
                category=region.roads,
            )
    return local(2026, 12, 15, 10)  # every verification clock is past its escalation


def ladders():
    """{clock pk: set of its steps} of the verification clocks."""
    out = {pk: set() for pk in Clock.objects.filter(kind=ClockKind.VERIFICATION).values_list("pk", flat=True)}
    for clock_id, step in ClockStep.objects.values_list("clock_id", "step"):
        out[clock_id].add(step)
    return out


def problems(caplog):
    """Warnings and errors of the application (the eager Celery test setup has a kombu warning
    of its own)."""
    return [r for r in caplog.records if r.levelno >= logging.WARNING and not r.name.startswith("kombu")]


def test_a_sweep_that_loses_its_database_stops_with_one_line_and_keeps_nothing_half_written(overdue_reports, caplog):
    now = overdue_reports
    writes = []

    def drop_during_the_second_batch(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith('INSERT INTO "complaints_clockstep"'):
            writes.append(sql)
            if len(writes) == 2:
                terminate(context["connection"].connection.info.backend_pid)
        return result

    caplog.set_level(logging.INFO)
    with connection.execute_wrapper(drop_during_the_second_batch):
        counts = sla.sla_sweep(now)
    connection.close()

    assert len(writes) == 2, "the sweep went on writing after its connection was lost"
    assert counts["database_lost"] == 1
    assert counts["clocks"] == sla.CLAIM_SIZE  # the first batch, committed before the loss
    [line] = problems(caplog)
    assert line.name == "lapor.sla" and line.levelno == logging.ERROR and line.exc_info is None
    assert (
        f"database unavailable after {sla.CLAIM_SIZE} clocks" in line.getMessage() and "connection" in line.getMessage()
    )

    # Whole clocks or nothing: the first batch has its full ladder, with its events; the batch in
    # flight and the rest have no step at all.
    before = ladders()
    assert sorted(len(steps) for steps in before.values()) == [0] * (REPORTS - sla.CLAIM_SIZE) + [3] * sla.CLAIM_SIZE
    assert all(steps == LADDER for steps in before.values() if steps)
    done = [pk for pk, steps in before.items() if steps]
    assert Event.objects.filter(type=EventType.OVERDUE).count() == sla.CLAIM_SIZE
    assert Event.objects.filter(type=EventType.ESCALATED).count() == sla.CLAIM_SIZE
    assert not ClockStep.objects.filter(clock_id__in=done, skipped=False, event__isnull=True).exists()
    # The sweep's notices (the filings' receipts were written before it) concern the first batch only.
    assert (
        not Notification.objects.exclude(template=EventType.FILED).exclude(event__complaint__clocks__in=done).exists()
    )

    # The next sweep takes the rest; nothing happens twice.
    caplog.clear()
    counts = sla.sla_sweep(now)
    assert counts["clocks"] == REPORTS - sla.CLAIM_SIZE and not counts["database_lost"]
    assert not problems(caplog)
    assert all(steps == LADDER for steps in ladders().values())
    assert Event.objects.filter(type=EventType.OVERDUE).count() == REPORTS
    assert Event.objects.filter(type=EventType.ESCALATED).count() == REPORTS


def test_a_sweep_without_a_database_stops_with_one_line(overdue_reports, caplog):
    saved = {k: connection.settings_dict[k] for k in ("HOST", "PORT")}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(closed))
    caplog.set_level(logging.INFO)
    try:
        assert sla.sla_sweep(overdue_reports)["database_lost"] == 1
        with pytest.raises(CommandError, match="Basis data tidak dapat dihubungi"):
            call_command("sla_sweep", "--now", overdue_reports.isoformat())
    finally:
        connection.close()
        connection.settings_dict.update(saved)
    lines = problems(caplog)
    assert len(lines) == 2 and {r.name for r in lines} == {"lapor.sla"}  # one per sweep
    assert all(r.exc_info is None and "Connection refused" in r.getMessage() for r in lines)
    assert not ClockStep.objects.exists()
