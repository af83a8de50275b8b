"""What pages build from the reference tables (agencies, categories, areas), kept per process.

The staff forms offer the same lists on every page: the agencies a report can be disposed to, the
categories, the kecamatan and their kelurahan, the agencies that can be named as terlapor; a report
page shows its category, areas and agencies, and suggests where to send it. The tables change a
few times a year (through the admin or `manage.py import_areas`), yet reading and labelling them
cost each page several queries, joins and a few hundred model instances. `memo(key, build)` runs
`build()` once per process and keeps its result under the tables' *version*: a token in the
shared cache that every save or delete of an `Agency`, `Category`, `Area` or `AreaRoute` replaces
(agencies/signals.py), at once and again after the commit, the way the holiday calendar is kept
(agencies/calendar.py). A process asks the cache for the version once per request that uses a list
(and at most every `RECHECK_SECONDS` outside requests), so a change made elsewhere shows on the
next page; a change made in this process at once. A cache without the version (emptied, or Redis
down: every read is a miss) makes a new one, and the lists are read again: slower, never stale.
So a page's query count depends on the cache as its totals' do, not on the clock.

Writers that bypass model signals (`QuerySet.update`, raw SQL, a bulk load) must call
`invalidate()`. What `build()` returns is shared by every request of the process: callers treat it
as read-only."""

import copy
import uuid
from threading import Lock
from time import monotonic

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections

CACHE_KEY = "agencies:reference:v1"
RECHECK_SECONDS = 1.0
# A version lapses after this long, so an invalidation a process could not send (its cache paused
# after a Redis failure) is healed by then: every process builds its lists again once.
VERSION_SECONDS = 300
_local = {"version": None, "checked": float("-inf"), "memo": {}}
_lock = Lock()


def version():
    """The current version of the reference tables (a new one is made when the cache has none)."""
    if _local["version"] is not None and monotonic() - _local["checked"] < RECHECK_SECONDS:
        return _local["version"]
    found = cache.get(CACHE_KEY)
    if found is None:
        # `add`: processes that find none at once agree on one (the first one's).
        new = uuid.uuid4().hex
        cache.add(CACHE_KEY, new, VERSION_SECONDS)
        found = cache.get(CACHE_KEY) or new
    with _lock:
        if found != _local["version"]:
            _local["memo"] = {}
        _local.update(version=found, checked=monotonic())
    return found


def invalidate():
    """The tables changed: every process builds its lists again (this one at once)."""
    cache.set(CACHE_KEY, uuid.uuid4().hex, VERSION_SECONDS)
    with _lock:
        _local.update(version=None, memo={})


def memo(key, build):
    """`build()`, computed once per process and version of the reference tables. `key` names what
    is built and everything else it depends on (the language of its labels, say)."""
    version()
    kept = _local["memo"]
    try:
        return kept[key]
    except KeyError:
        value = kept[key] = build()
        return value


def new_request(**kwargs):
    """`request_started`: the request's first list asks the cache for the version."""
    _local["checked"] = float("-inf")


def tables():
    """The reference rows, kept (`memo`): {"agencies", "categories", "areas": {pk: instance}} in the
    database's order (agencies and areas by name, categories by their order then name) with their
    relations among themselves set (an agency's parent and root, a category's default agency, an
    area's parent); "names": {"agencies", "areas": {name: its place in that order}}, to sort as
    the database would; and "routes": {(category id, kecamatan id): agency id} of the routes to an
    active agency. Read-only: `row` hands out copies."""

    def build():
        from .models import Agency, Area, AreaRoute, Category

        # From the primary, even inside a block that reads from a replica: rows kept under the new
        # version must not come from a replica that has not replayed the change yet.
        db = DEFAULT_DB_ALIAS
        agencies = {a.pk: a for a in Agency.objects.using(db).order_by("name", "pk")}
        for a in agencies.values():
            _link(a, "parent", agencies)
            _link(a, "root", agencies)
        categories = {c.pk: c for c in Category.objects.using(db).order_by("order", "name", "pk")}
        for c in categories.values():
            _link(c, "default_agency", agencies)
        areas = {a.pk: a for a in Area.objects.using(db).order_by("name", "pk")}
        for a in areas.values():
            _link(a, "parent", areas)
        routes = (
            AreaRoute.objects.using(db)
            .filter(agency__is_active=True)
            .values_list("category_id", "kecamatan_id", "agency_id")
        )
        return {
            "agencies": agencies,
            "categories": categories,
            "areas": areas,
            "names": {"agencies": _places(agencies), "areas": _places(areas)},
            "routes": {(category, kecamatan): agency for category, kecamatan, agency in routes},
        }

    return memo(("tables",), build)


def _places(rows):
    return {name: place for place, name in enumerate(dict.fromkeys(r.name for r in rows.values()))}


def by_parent_then_name(rows, table):
    """`rows` of `table` ("agencies", "areas") in the order of `ORDER BY parent.name, name` in the
    database: its collation, and rows without a parent where it puts NULLs."""
    places = tables()["names"][table]
    orphans = float("inf") if connections[DEFAULT_DB_ALIAS].features.nulls_order_largest else float("-inf")
    return sorted(rows, key=lambda r: (places[r.parent.name] if r.parent_id else orphans, places[r.name]))


def _link(obj, name, rows):
    pk = getattr(obj, f"{name}_id")
    if pk is None or pk in rows:
        setattr(obj, name, rows.get(pk) if pk is not None else None)


def row(table, pk):
    """A copy of the kept row `pk` of `table` ("agencies", "categories", "areas"), or None (no such
    row, or one this process does not know yet: the caller reads it itself)."""
    kept = tables()[table].get(pk)
    return copy.copy(kept) if kept is not None else None


def attach(obj, **relations):
    """Set `obj`'s foreign keys {field name: table} to copies of the kept rows, as `select_related`
    would have (a missing one is left to be read when used)."""
    for name, table in relations.items():
        pk = getattr(obj, f"{name}_id")
        if pk is None:
            setattr(obj, name, None)
            continue
        found = row(table, pk)
        if found is not None:
            setattr(obj, name, found)
