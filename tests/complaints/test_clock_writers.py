"""One writer of deadlines (docs/clocks.md): `complaints.deadlines.clocks` alone writes a clock's `due_at`
and `next_step_at`, its mirrors on the report and the disposition, `Complaint.monitor_due_at` and
`Disposition.next_due_at`; a clock that continues another names it in `Clock.continues`;
`clocks.responsible_for` says who answers."""

import ast
import datetime
import importlib
import importlib.util
import pkgutil
import re

import pytest
from django.apps import apps

import accounts
import agencies
import complaints
import complaints.deadlines.clocks
import lapor
from accounts.models import Role
from agencies.models import Holiday
from complaints import workflow
from complaints.deadlines import clocks
from complaints.deadlines import sweep as sla
from complaints.models import Clock, ClockKind, Complaint, Disposition, StepKind
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

WIB = datetime.timezone(datetime.timedelta(hours=7))
DEADLINE_FIELDS = frozenset(
    {column for _on, column in clocks.MIRROR.values()} | {"due_at", "monitor_due_at", "next_due_at", "next_step_at"}
)
WRITING_CALLS = {"update", "create", "bulk_create", "update_or_create", "get_or_create", "bulk_update"}
MODELS_WITH_DEADLINES = {"Clock", "Disposition", "Complaint"}
RAW_UPDATE = re.compile(r"\bUPDATE\b[^;]*\b(" + "|".join(sorted(DEADLINE_FIELDS)) + r")\b", re.IGNORECASE | re.DOTALL)


def local(*args):
    return datetime.datetime(*args, tzinfo=WIB)


def end_of(y, m, d):
    return datetime.datetime(y, m, d, 23, 59, 59, 999999, tzinfo=WIB)


# The scan ----------------------------------------------------------------------------------------
def _names(node):
    if isinstance(node, ast.Attribute):
        return [node.attr]
    if isinstance(node, ast.Tuple | ast.List):
        return [n for element in node.elts for n in _names(element)]
    return []


def deadline_writes(source):
    """[(line, what)] of the writes of a deadline column in `source`: an attribute assigned, a
    keyword of a call that writes rows (or builds a report, disposition or clock), a constant
    `setattr`, an `update_fields` naming one, a raw UPDATE statement naming one."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            found += [(node.lineno, f"assigns .{n}") for t in targets for n in _names(t) if n in DEADLINE_FIELDS]
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            for kw in node.keywords:
                if kw.arg in DEADLINE_FIELDS and (name in WRITING_CALLS or name in MODELS_WITH_DEADLINES):
                    found.append((node.lineno, f"{name}({kw.arg}=…)"))
                if kw.arg == "update_fields":
                    for const in ast.walk(kw.value):
                        if isinstance(const, ast.Constant) and const.value in DEADLINE_FIELDS:
                            found.append((node.lineno, f"update_fields {const.value}"))
            if name == "setattr" and len(node.args) > 1:
                if isinstance(node.args[1], ast.Constant) and node.args[1].value in DEADLINE_FIELDS:
                    found.append((node.lineno, f"setattr {node.args[1].value}"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and RAW_UPDATE.search(node.value):
            found.append((node.lineno, "raw UPDATE"))
    return found


def project_modules():
    """(module name, file) of every module of the project's apps, found by import (modules may
    move into sub-packages), migrations left out: they fill columns of rows they create."""
    for package in (accounts, agencies, complaints, lapor):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if ".migrations" in info.name:
                continue
            spec = importlib.util.find_spec(info.name)
            if spec is not None and spec.origin and spec.origin.endswith(".py"):
                yield info.name, spec.origin


def test_the_scan_sees_the_writes_of_the_clocks_module():
    with open(complaints.deadlines.clocks.__file__, encoding="utf-8") as f:
        writes = {what for _line, what in deadline_writes(f.read())}
    # The forms the writer uses, so that a scan that sees nothing cannot pass for a clean tree.
    assert "assigns .due_at" in writes
    assert "Clock(due_at=…)" in writes
    assert "assigns .next_step_at" in writes
    assert "update(monitor_due_at=…)" in writes
    assert "update(next_due_at=…)" in writes
    assert "update_fields due_at" in writes
    assert deadline_writes("d.settlement_due_at = x\nqs.update(tunda_due_at=None)\nsetattr(c, 'due_at', x)\n")
    assert deadline_writes('cursor.execute("UPDATE complaints_disposition SET due_at = %s")')
    assert not deadline_writes("ClockStep(clock=c, due_at=at)\nqs.filter(due_at__lt=now)\nx = d.due_at\n")


def test_no_module_but_clocks_writes_a_deadline():
    clocks_file = complaints.deadlines.clocks.__file__
    modules = dict(project_modules())
    assert clocks_file in modules.values() and len(modules) > 20
    offenders = []
    for name, path in modules.items():
        if path == clocks_file:
            continue
        with open(path, encoding="utf-8") as f:
            offenders += [f"{name}:{line} {what}" for line, what in deadline_writes(f.read())]
    assert offenders == [], "deadlines are written only by complaints.deadlines.clocks (docs/clocks.md)"


# Clocks that continue another --------------------------------------------------------------------
def _informasi(region, file_report, operator, travel):
    with travel(local(2026, 11, 2, 10)):
        c = file_report(kind="informasi", category=region.info)
        workflow.verify(c.pk, by=operator, agencies=["ppid"])
    return Complaint.objects.get(pk=c.pk)


@pytest.fixture
def travel():
    import time_machine

    return lambda instant: time_machine.travel(instant, tick=False)


def test_a_continuing_clock_names_the_clock_it_continues(
    region, file_report, disposed_report, operator, liaison_pu, travel
):
    with travel(local(2026, 11, 2, 10)):
        c = disposed_report()
    d = c.dispositions.get()
    opd_clock = clocks.running(c, ClockKind.FOLLOWUP, d)
    with travel(local(2026, 11, 4, 9)):
        workflow.subdispose(c.pk, by=liaison_pu, disposition=d.pk, unit="dinas-pu-bina-marga")
    child = c.dispositions.get(parent=d)
    unit_clock = clocks.running(c, ClockKind.FOLLOWUP, child)
    assert unit_clock.continues == opd_clock and unit_clock.due_at == opd_clock.due_at
    assert Clock.objects.get(pk=opd_clock.pk).stop_reason == clocks.SUBDISPOSED

    info = _informasi(region, file_report, operator, travel)
    ppid = make_user("ppid@pemda.go.id", "Pipi PPID", ("liaison", region.ppid))
    di = info.dispositions.get()
    first = clocks.running(info, ClockKind.INFORMATION, di)
    with travel(local(2026, 11, 12, 9)):
        workflow.extend(info.pk, by=ppid, disposition=di.pk, reason="Dokumen perlu diambil dari arsip daerah.")
    second = clocks.running(info, ClockKind.INFORMATION, di)
    assert second.continues == first and first.continues is None
    assert not Clock.objects.filter(continues__isnull=False).exclude(pk__in=[unit_clock.pk, second.pk]).exists()

    # The data migration finds the same links for rows made before the column existed.
    migration = importlib.import_module("complaints.migrations.0009_clock_continues")
    Clock.objects.update(continues=None)
    migration.fill_continues(apps, None)
    links = dict(Clock.objects.filter(continues__isnull=False).values_list("pk", "continues_id"))
    assert links == {unit_clock.pk: opd_clock.pk, second.pk: first.pk}


def test_an_extended_deadline_moves_with_the_one_it_extends(
    region, file_report, operator, travel, django_capture_on_commit_callbacks
):
    info = _informasi(region, file_report, operator, travel)
    ppid = make_user("ppid@pemda.go.id", "Pipi PPID", ("liaison", region.ppid))
    d = info.dispositions.get()
    with travel(local(2026, 11, 12, 9)):
        workflow.extend(info.pk, by=ppid, disposition=d.pk, reason="Dokumen perlu diambil dari arsip daerah.")
    second = clocks.running(info, ClockKind.INFORMATION, d)
    assert second.due_at == end_of(2026, 11, 25)  # Mon 16 Nov + 7 working days
    # A regional holiday on Friday 13 November: the first deadline would be Tue 17, so the
    # extension ends 7 working days later, Thu 26 (not 7 working days after the extension began).
    with django_capture_on_commit_callbacks(execute=True):
        Holiday.objects.create(date=datetime.date(2026, 11, 13), name="Libur daerah", kind=Holiday.Kind.LOCAL)
    second.refresh_from_db()
    assert second.due_at == end_of(2026, 11, 26)
    assert Disposition.objects.get(pk=d.pk).due_at == second.due_at
    assert Complaint.objects.get(pk=info.pk).monitor_due_at == second.due_at
    assert sla.recompute_open_deadlines() == 0  # already where today's calendar puts it


# Who answers -------------------------------------------------------------------------------------
def test_who_answers_for_a_clock(region, file_report, disposed_report, liaison_pu, travel):
    with travel(local(2026, 11, 2, 10)):
        filed = file_report()
        c = disposed_report()
    verification = clocks.running(filed, ClockKind.VERIFICATION)
    assert clocks.responsible_for(verification, StepKind.REMINDER) == [(Role.OPERATOR, region.diskominfo.pk)]
    assert clocks.responsible_for(verification, StepKind.OVERDUE) == [
        (Role.HEAD, region.diskominfo.pk),
        (Role.OPERATOR, region.diskominfo.pk),
    ]
    d = c.dispositions.get()
    with travel(local(2026, 11, 4, 9)):
        workflow.subdispose(c.pk, by=liaison_pu, disposition=d.pk, unit="dinas-pu-bina-marga")
    unit_clock = clocks.running(c, ClockKind.FOLLOWUP, c.dispositions.get(parent=d))
    assert unit_clock.agency == region.pu  # held to the top-level OPD
    assert clocks.responsible_for(unit_clock, StepKind.REMINDER) == [(Role.LIAISON, region.bina_marga.pk)]
    assert clocks.responsible_for(unit_clock, StepKind.ESCALATED) == [
        (Role.HEAD, region.pu.pk),
        (Role.HEAD, region.bina_marga.pk),
        (Role.LIAISON, region.bina_marga.pk),
    ]
    settlement = clocks.running(c, ClockKind.SETTLEMENT, d)
    assert clocks.responsible_for(settlement, StepKind.ESCALATED) == [
        (Role.HEAD, region.pu.pk),
        (Role.LIAISON, region.pu.pk),
    ]
