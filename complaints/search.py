"""Full-text search over reports (selectors: they narrow a queryset the caller already built with
`Complaint.objects.visible_to(user)`; they never widen it).

The searched text is the title and the *public* text: the operator's public summary where there
is one, else the body. Searching the original body of a summarised report would let anyone find
it by a name the operator redacted (PRODUCT.md §3), so the original is searched only when the
caller asks for it (`include_original=True`, for staff surfaces).

PostgreSQL: the `indonesian` configuration (Snowball stemmer), title weighted over text, ranked
by `SearchRank`. The public document (title A, public text B) is the stored generated column
`search_document` with a GIN index (migration 0004), so a search reads the index and ranks from
the stored vector instead of parsing every report's text; only the staff variant that also
searches the original body parses text. Other databases (SQLite, the embedded default): every
word must appear in the title or the text (`icontains`), newest first.

Duplicates (`similar_open_reports`) on PostgreSQL also match a title that appears, misspelt or
not, in the new report's text (`pg_trgm` word similarity), which full-text stemming misses.
"""

import re

from django.db import connection
from django.db.models import Expression, F, FloatField, Func, Q, TextField, Value
from django.db.models.functions import Coalesce, Concat, NullIf

from .models import Complaint

SEARCH_CONFIG = "indonesian"
# The `indonesian` configuration has no stop words: these carry no meaning for matching.
STOP_WORDS = frozenset(
    "dan di ke dari yang untuk dengan pada ini itu ada tidak sudah belum akan juga atau karena oleh "
    "saya kami kita mereka dia nya telah sangat lebih bisa dalam para sebagai agar supaya tersebut "
    "the and of to in a is for on".split()
)
MAX_WORDS = 12


def words(text, limit=MAX_WORDS):
    """The meaningful words of `text`, lower-case, in order, without duplicates (at most `limit`)."""
    found = re.findall(r"[0-9a-zA-Z\u00C0-\u024F]+", (text or "").lower())
    unique = list(dict.fromkeys(w for w in found if len(w) > 2 and w not in STOP_WORDS))
    return unique[:limit] if limit else unique


def _is_postgres():
    return connection.vendor == "postgresql"


def _public_text():
    return Coalesce(NullIf(F("public_summary"), Value("")), F("body"), output_field=TextField())


class PublicDocument(Expression):
    """The `search_document` column of the report table (PostgreSQL only; not a model field, since
    SQLite has none). Resolves to the query's own alias, also inside a subquery."""

    def __init__(self):
        from django.contrib.postgres.search import SearchVectorField

        super().__init__(output_field=SearchVectorField())
        self.alias = None

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        c = self.copy()
        c.alias = query.get_initial_alias() if query is not None else None
        return c

    def relabeled_clone(self, change_map):
        c = self.copy()
        c.alias = change_map.get(self.alias, self.alias)
        return c

    def as_sql(self, compiler, connection):
        return f"{compiler.quote_name_unless_alias(self.alias)}.{connection.ops.quote_name('search_document')}", []

    def get_group_by_cols(self):
        return [self]


def search(queryset, q, *, include_original=False):
    """Narrow `queryset` to reports matching the words of `q`; annotates `rank` on PostgreSQL and
    orders by it (then newest). An empty or meaningless `q` returns `queryset` unchanged."""
    terms = words(q)
    if not terms:
        return queryset
    if _is_postgres():
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        vector = PublicDocument()
        if include_original:
            vector = vector + SearchVector("body", weight="C", config=SEARCH_CONFIG)
        query = SearchQuery(" ".join(terms), config=SEARCH_CONFIG, search_type="plain")
        return (
            queryset.annotate(search_vector=vector, rank=SearchRank(vector, query))
            .filter(search_vector=query)
            .order_by("-rank", "-created_at")
        )
    condition = Q()
    for term in terms:
        match = Q(title__icontains=term) | Q(public_summary__icontains=term)
        match |= Q(body__icontains=term) if include_original else Q(public_summary="", body__icontains=term)
        condition &= match
    return queryset.filter(condition)


def similar_open_reports(category, kecamatan, text, limit=5, *, user=None):
    """Open public reports in the same category (and kecamatan, when given) whose words resemble
    `text`: the duplicates offered while filing ("Saya juga mengalami"). Best match first.

    PostgreSQL: full-text OR-query over the words of `text`, ranked. Elsewhere: a word-overlap
    score over the newest 200 candidates."""
    from django.contrib.auth.models import AnonymousUser

    terms = words(text)
    if category is None or not terms:
        return []
    qs = (
        Complaint.objects.visible_to(user or AnonymousUser())
        .public()
        .open()
        .filter(category=category)
        .select_related("category", "kecamatan", "kelurahan")
    )
    if kecamatan is not None:
        qs = qs.filter(kecamatan=kecamatan)
    if _is_postgres():
        from django.contrib.postgres.search import SearchQuery, SearchRank

        vector = PublicDocument()
        query = None
        for term in terms:
            part = SearchQuery(term, config=SEARCH_CONFIG, search_type="plain")
            query = part if query is None else query | part
        # A title found (at 60% trigram word similarity, pg_trgm's default) within the new text.
        typed = " ".join(words(text, limit=40))
        return list(
            qs.annotate(
                search_vector=vector,
                title_match=Func(F("title"), Value(typed), function="WORD_SIMILARITY", output_field=FloatField()),
            )
            .annotate(rank=SearchRank(vector, query) + F("title_match"))
            .filter(Q(search_vector=query) | Q(title_match__gte=0.6))
            .order_by("-rank", "-created_at")[:limit]
        )
    wanted = set(terms)
    scored = []
    candidates = qs.annotate(
        search_text=Concat("title", Value(" "), _public_text(), output_field=TextField())
    ).order_by("-created_at")[:200]
    for c in candidates:
        overlap = len(wanted & set(words(c.search_text, limit=None)))
        # One shared word among many is chance; ask for two, or one when the query is one word.
        if overlap >= min(2, len(wanted)):
            scored.append((overlap, c.created_at, c))
    scored.sort(key=lambda row: (row[0], row[1]), reverse=True)
    return [c for _overlap, _created, c in scored[:limit]]
