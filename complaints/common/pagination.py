"""Pagination that stays fast at a million reports (the benchmark, docs/benchmarks.md).

- The total (`count`) of a list is cached for `LIST_COUNT_CACHE_SECONDS` (0: never), keyed by the
  SQL of the count query. That SQL carries the caller's visibility filter (`visible_to(user)`
  with the user's id and agencies) and every filter of the page, so one caller's total is never
  shown to another; at worst a total is that many seconds old. Counting the ~700,000 public
  reports on every feed request was most of the page's cost.
- A deep page is fetched in two steps: first the 20 primary keys at that offset (an index-only
  scan over the list's index), then those rows with everything the page joins, in the list's
  order. A plain OFFSET 40,000 would read 40,000 full rows and their joins to throw them away.

Both keep the queryset the view built: the filters, the visibility rule and the order are the
caller's; only the way the page's rows are read changes.
"""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import DatabaseError, connections
from django.db.models import IntegerField, Value, Window
from django.db.models.functions import RowNumber
from django.utils.functional import cached_property

# From this offset on, a page is read as keys first, then rows.
DEFERRED_FROM = 200


def _count_key(queryset, extra=""):
    try:
        sql, params = queryset.query.get_compiler(queryset.db).as_sql()
    except (DatabaseError, TypeError, ValueError):  # an empty IN () and the like: not cacheable
        return None
    digest = hashlib.sha256(f"{queryset.db}|{sql}|{params!r}|{extra}".encode()).hexdigest()
    return f"list-count:{digest}"


def cached_value(key, seconds, compute, *, single_flight=False, wait=60):
    """`compute()`, kept in the shared cache under `key` for `seconds` (0 or a None key: computed
    every time). `single_flight`: for values that take seconds (the dashboards' figures), one
    process computes while the others asking for the same key wait up to `wait` seconds for its
    result instead of running the same heavy queries next to it."""
    if not seconds or key is None:
        return compute()
    value = cache.get(key)
    if value is not None:
        return value
    lock = f"{key}:computing"
    # `add` answers False when another process holds the lock, None when the cache cannot be
    # reached (Redis down: django-redis ignores the error): then there is no one to wait for.
    if single_flight and cache.add(lock, 1, timeout=wait) is False:
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            time.sleep(0.1)
            value = cache.get(key)
            if value is None and cache.get(lock) is None:
                value = cache.get(key)  # set just before the lock went: no need to compute again
                break
            if value is not None:
                return value
        if value is not None:
            return value
    try:
        value = compute()
        cache.set(key, value, seconds)
    finally:
        if single_flight:
            cache.delete(lock)
    return value


def _cached(queryset, extra, compute):
    seconds = getattr(settings, "LIST_COUNT_CACHE_SECONDS", 0)
    key = _count_key(queryset, extra) if seconds and hasattr(queryset, "query") else None
    return cached_value(key, seconds, compute)


def cached_count(queryset):
    """`queryset.count()`, cached for LIST_COUNT_CACHE_SECONDS (see the module docstring)."""
    return _cached(queryset, "count", queryset.count)


def cached_aggregate(queryset, *, key="", **aggregates):
    """`queryset.aggregate(**aggregates)` (the staff lists' per-status totals), cached like a count
    and keyed by the queryset, the aggregates' names and `key`: an aggregate that compares with
    "now" (overdue) is at most LIST_COUNT_CACHE_SECONDS old; values in the aggregates that must
    not be shared between callers (a month) go in `key`."""
    extra = f"aggregate:{key}:" + ",".join(sorted(aggregates))
    return _cached(queryset, extra, lambda: queryset.aggregate(**aggregates))


def page_of(request, qs, per_page, *, count=None, **options):
    """The page of `qs` the request's `page` parameter asks for (a FastPaginator's `get_page`).
    `count`: the list's length when the caller has already counted it (a status heading's total)."""
    paginator = FastPaginator(qs, per_page, **options)
    if count is not None:
        paginator.count = count
    return paginator.get_page(request.GET.get("page"))


def query_without(request, *names):
    """The request's query string without `names` (by default "page"): the filters a list's
    links keep."""
    params = request.GET.copy()
    for name in names or ("page",):
        params.pop(name, None)
    return params.urlencode()


class FastPaginator(Paginator):
    """A Django Paginator with a cached count and deferred deep pages (same pages, same URLs).
    `deferred_from=0` reads every page keys first: for lists sorted on computed values (the staff
    inboxes), where sorting only the keys lets the database keep just the page's rows in memory
    instead of sorting every row with all its columns."""

    def __init__(self, *args, deferred_from=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.deferred_from = DEFERRED_FROM if deferred_from is None else deferred_from

    @cached_property
    def count(self):
        if hasattr(self.object_list, "query"):
            return cached_count(self.object_list)
        return super().count

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        qs = self.object_list
        if bottom < self.deferred_from or not hasattr(qs, "values_list") or qs.query.is_sliced:
            return self._get_page(qs[bottom:top], number, self)
        return self._get_page(keys_first(qs, bottom, top), number, self)


def keys_first(qs, bottom, top):
    """Rows [bottom, top) of `qs` in its order: the primary keys first, then those rows."""
    return rows_in_order(qs, list(qs.values_list("pk", flat=True)[bottom:top]))


def rows_in_order(qs, keys):
    """The rows of `qs` with these primary keys, in the order of `keys`. A row that left the list
    between reading its key and reading it is simply not on the page."""
    rows = {row.pk: row for row in qs.filter(pk__in=keys)}
    return [rows[k] for k in keys if k in rows]


class Grouped:
    """A list whose order puts groups one after the other (the live dispositions by deadline, then
    the history newest first), paginated as one list but read group by group: each group is sorted
    (or walked through its own index) and cut at the page's end before the groups are joined, so no
    page needs a sort over every row of every group. Reads are constant per page: the total of
    `rows`, one query for the page's keys (UNION ALL of the groups, each numbered in its own order
    and limited), then the page's rows from `rows` (with its joins and prefetches).

    `rows`: the whole list (what is counted and what rows are read from); `groups`:
    [(queryset narrowing `rows` to one group, its order as `order_by` arguments)], in list order;
    `read` (default `rows`): where the page's rows are read from by key — for a list whose own
    conditions cost more to plan than to check, the same rows or more under the same visibility rule,
    with the page's joins and prefetches (a row whose state changed between the two reads then shows
    its new state instead of leaving the page). Give FastPaginator a Grouped as its object list."""

    def __init__(self, rows, groups, read=None):
        self.rows = rows
        self.groups = groups
        self.read = rows if read is None else read

    def count(self):
        return cached_count(self.rows)

    def __len__(self):
        return self.count()

    def __getitem__(self, item):
        if not isinstance(item, slice) or item.step not in (None, 1) or item.stop is None:
            raise TypeError("a Grouped list is read by bounded slices")
        offset, stop = item.start or 0, item.stop
        if stop <= offset or not self.groups:
            return []
        return rows_in_order(self.read, self._keys(offset, stop))

    def _keys(self, offset, stop):
        if len(self.groups) == 1:  # one group (a status filter): its own order, without numbering
            qs, order = self.groups[0]
            return list(qs.order_by(*order).values_list("pk", flat=True)[offset:stop])
        parts, params = [], []
        for i, (qs, order) in enumerate(self.groups):
            numbered = (
                qs.order_by(*order)
                .annotate(_group=Value(i, output_field=IntegerField()), _pos=Window(RowNumber(), order_by=order))
                .values_list("pk", "_group", "_pos")[:stop]
            )
            sql, part_params = numbered.query.sql_with_params()
            parts.append(f"SELECT * FROM ({sql}) AS group_{i}")  # noqa: S608 - SQL the ORM compiled
            params.extend(part_params)
        union = " UNION ALL ".join(parts)
        sql = f"SELECT * FROM ({union}) AS page_keys ORDER BY 2, 3 LIMIT %s OFFSET %s"  # noqa: S608 - ORM SQL
        with connections[self.rows.db].cursor() as cursor:
            cursor.execute(sql, [*params, stop - offset, offset])
            return [row[0] for row in cursor.fetchall()]


__all__ = ["Grouped", "FastPaginator", "Page", "cached_aggregate", "cached_count", "cached_value", "keys_first"]
