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

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import DatabaseError
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


def _cached(queryset, extra, compute):
    seconds = getattr(settings, "LIST_COUNT_CACHE_SECONDS", 0)
    key = _count_key(queryset, extra) if seconds and hasattr(queryset, "query") else None
    if key is None:
        return compute()
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, seconds)
    return value


def cached_count(queryset):
    """`queryset.count()`, cached for LIST_COUNT_CACHE_SECONDS (see the module docstring)."""
    return _cached(queryset, "count", queryset.count)


def cached_aggregate(queryset, **aggregates):
    """`queryset.aggregate(**aggregates)` (the staff lists' per-status totals), cached like a count
    and keyed by the queryset and the aggregates' names: an aggregate that compares with "now"
    (overdue) is at most LIST_COUNT_CACHE_SECONDS old."""
    return _cached(queryset, "aggregate:" + ",".join(sorted(aggregates)), lambda: queryset.aggregate(**aggregates))


class FastPaginator(Paginator):
    """A Django Paginator with a cached count and deferred deep pages (same pages, same URLs)."""

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
        if bottom < DEFERRED_FROM or not hasattr(qs, "values_list") or qs.query.is_sliced:
            return self._get_page(qs[bottom:top], number, self)
        keys = list(qs.values_list("pk", flat=True)[bottom:top])
        rows = {row.pk: row for row in qs.filter(pk__in=keys)}
        # A row that left the list between the two reads is simply not on the page.
        return self._get_page([rows[k] for k in keys if k in rows], number, self)


__all__ = ["FastPaginator", "Page", "cached_aggregate", "cached_count"]
