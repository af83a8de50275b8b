"""Full-text search over reports (selectors: they narrow a queryset the caller already built with
`Complaint.objects.visible_to(user)`; they never widen it).

The searched text is the title and the *public* text: the operator's public summary where there
is one, else the body. Searching the original body of a summarised report would let anyone find
it by a name the operator redacted (docs/product.md §3), so the original is searched only when the
caller asks for it (`include_original=True`, for staff surfaces).

PostgreSQL: the `indonesian` configuration (Snowball stemmer), title weighted over text, ranked
by `SearchRank`. The public document (title A, public text B) is the stored generated column
`search_document` with a GIN index (migration 0004), so a search reads the index and ranks from
the stored vector instead of parsing every report's text; only the staff variant that also
searches the original body parses text. Other databases (SQLite, the embedded default): every
word must appear in the title or the text (`icontains`), newest first.

The bound (PostgreSQL): only the newest `RANKED_MATCHES` matches of a search are ranked, counted
and paged through, so the most relevant of the recent reports come first. A common word ("jalan")
matches tens of thousands of the million reports; ranking them all read every match's row and
sorted them (seconds), and so did counting them. A search that reaches the bound says so where
the results are shown (`is_capped`: the feed shows a note; the API's `count` is at most the
bound). An older report is still found by adding a word or a filter: filters are applied before
the bound. An API `ordering` given with `q` orders those same newest matches. SQLite has no bound.

Finding the newest matches cheaply depends on how common the words are, which the planner judges
badly for several words: it multiplies the words' frequencies, while the words people type
together ("lampu jalan mati", "sampah menumpuk") come together, so it expects a few hundred
matches where there are tens of thousands, and reads every one of them from the table. So the
search looks first (`PROBE_ROWS`, about 2 ms): when at least `PROBE_COMMON` of the newest
`PROBE_ROWS` reports in the list match, it walks the list newest first and stops at the bound
(the match is tested as a function, `ts_match_vq`, which no index can serve, so the planner
cannot pick the GIN index instead); otherwise the matches are few and come from the GIN index.
Either way the work is bounded: a walk passes at most about 100 × `RANKED_MATCHES` reports (the
words match at least 1% of them), the index reads at most about 1% of the list.

Duplicates (`similar_open_reports`) on PostgreSQL also match a title that appears, misspelt or
not, in the new report's text (`pg_trgm` word similarity), which full-text stemming misses.
`rank_similar` ranks the same way among a few candidates the caller chose (the operator's review
page: the newest open reports of the same category and kecamatan), so its cost is bounded by the
candidates, not by how many reports match a common word.
"""

import re

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Expression,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Concat, NullIf
from django.db.models.lookups import GreaterThanOrEqual

from complaints.models import Complaint

SEARCH_CONFIG = "indonesian"
# The `indonesian` configuration has no stop words: these carry no meaning for matching.
STOP_WORDS = frozenset(
    "dan di ke dari yang untuk dengan pada ini itu ada tidak sudah belum akan juga atau karena oleh "
    "saya kami kita mereka dia nya telah sangat lebih bisa dalam para sebagai agar supaya tersebut "
    "the and of to in a is for on".split()
)
MAX_WORDS = 12
# PostgreSQL (see the module docstring): the newest matches ranked, counted and paged through per
# search, and how a search decides the words are common (1% of the newest reports in the list).
RANKED_MATCHES = 1000
PROBE_ROWS = 2000
PROBE_COMMON = 20


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
        # Bound once, to the query that uses it: a subquery's expressions are resolved again
        # against the outer query, and must keep the subquery's own (relabelled) alias.
        if c.alias is None and query is not None:
            c.alias = query.get_initial_alias()
        return c

    def relabeled_clone(self, change_map):
        c = self.copy()
        c.alias = change_map.get(self.alias, self.alias)
        return c

    def as_sql(self, compiler, connection):
        return f"{compiler.quote_name_unless_alias(self.alias)}.{connection.ops.quote_name('search_document')}", []

    def get_group_by_cols(self):
        return [self]


def _key_among(keys):
    """`pk = ANY(keys)`, `keys` an array expression. The array is computed once and the rows are
    then read by primary key; `pk__in=<subquery>` is a semi-join, which PostgreSQL joins after
    the page's other tables once they are many (the API joins seven), i.e. for every report."""
    return Func(F("pk"), keys, template="%(expressions)s)", arg_joiner=" = ANY(", output_field=BooleanField())


def search(queryset, q, *, include_original=False):
    """Narrow `queryset` to reports matching the words of `q`. On PostgreSQL: to the newest
    `RANKED_MATCHES` matches, annotated with `rank` and ordered by it (then newest). An empty or
    meaningless `q` returns `queryset` unchanged."""
    terms = words(q)
    if not terms:
        return queryset
    if _is_postgres():
        from django.contrib.postgres.expressions import ArraySubquery
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        vector = PublicDocument()
        if include_original:
            vector = vector + SearchVector("body", weight="C", config=SEARCH_CONFIG)
        query = SearchQuery(" ".join(terms), config=SEARCH_CONFIG, search_type="plain")
        # Chosen inside `queryset` (its visibility rule and filters): the bound never lets in a
        # report the caller may not see, nor leaves out a visible match for an invisible one.
        newest = queryset.order_by("-created_at", "-pk")
        matches = Func(vector, query, function="ts_match_vq", output_field=BooleanField())
        probe = ArraySubquery(newest.annotate(matched=matches).values("matched")[:PROBE_ROWS])
        hits = Func(
            Func(probe, Value(True), function="array_positions"), function="cardinality", output_field=IntegerField()
        )
        # Only the branch chosen runs (PostgreSQL computes an uncorrelated subquery when first used).
        keys = Case(
            When(
                GreaterThanOrEqual(hits, PROBE_COMMON),
                then=ArraySubquery(newest.filter(matches).values("pk")[:RANKED_MATCHES]),
            ),
            default=ArraySubquery(
                newest.alias(search_vector=vector).filter(search_vector=query).values("pk")[:RANKED_MATCHES]
            ),
        )
        return (
            queryset.filter(_key_among(keys))
            .annotate(rank=SearchRank(vector, query))
            .order_by("-rank", "-created_at", "-pk")
        )
    condition = Q()
    for term in terms:
        match = Q(title__icontains=term) | Q(public_summary__icontains=term)
        match |= Q(body__icontains=term) if include_original else Q(public_summary="", body__icontains=term)
        condition &= match
    return queryset.filter(condition)


def is_capped(q, count):
    """Whether a search for `q` whose results number `count` may have left older matches out
    (it reached `RANKED_MATCHES`), so the page should say so."""
    return _is_postgres() and bool(words(q)) and count >= RANKED_MATCHES


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


def _similar_query(text):
    """(full-text OR-query over the words of `text`, the text a title is looked for in), or None
    without a meaningful word."""
    from django.contrib.postgres.search import SearchQuery

    terms = words(text)
    if not terms:
        return None
    # One tsquery `w1 | w2 | …` (each word normalised by the configuration, as `plainto_tsquery`
    # does one): the same query as `similar_open_reports` ORs word by word, which Django builds
    # and compiles as a tree of a dozen expressions. `words` leaves letters and digits only, so no
    # word can be read as an operator.
    query = SearchQuery(" | ".join(terms), config=SEARCH_CONFIG, search_type="raw")
    return query, " ".join(words(text, limit=40))


def rank_similar(reports, text, limit, candidates, *, fields=None):
    """Among the first `candidates` reports of `reports` (a queryset the caller narrowed and
    ordered, newest first), those that resemble `text` first, best first, as `similar_open_reports`
    ranks them; then the others, newest first. Each has `similar` (whether it resembles `text`);
    its relations are the caller's to read. One query; `fields`: the only columns read of them
    (with what the ranking needs).

    PostgreSQL scores the candidates with each function computed once per row (an expression
    repeated in the select list, a filter and the order is computed again each time: the trigram
    similarity three times over) and the order is made here."""
    if not _is_postgres():
        if fields is not None:
            reports = reports.only(*fields, "title", "body", "public_summary", "created_at")
        return _rank_similar_in_python(reports[:candidates], text, limit)
    from django.contrib.postgres.expressions import ArraySubquery
    from django.contrib.postgres.search import SearchRank

    found = Complaint.objects.filter(_key_among(ArraySubquery(reports.values("pk")[:candidates]))).order_by()
    if fields is not None:
        found = found.only(*fields, "created_at")
    spec = _similar_query(text)
    if spec is None:
        rows = [(c, False, 0.0) for c in found]
    else:
        query, typed = spec
        vector = PublicDocument()
        found = found.alias(search_vector=vector).annotate(
            words_found=ExpressionWrapper(Q(search_vector=query), output_field=BooleanField()),
            text_rank=SearchRank(vector, query),
            title_match=Func(F("title"), Value(typed), function="WORD_SIMILARITY", output_field=FloatField()),
        )
        rows = [(c, c.words_found or c.title_match >= 0.6, c.text_rank + c.title_match) for c in found]
    # Resembling first, by rank; then newest first (the rank of the others is not used).
    rows.sort(key=lambda row: (row[1], row[2] if row[1] else 0.0, row[0].created_at, row[0].pk), reverse=True)
    return [marked(c, similar) for c, similar, _rank in rows[:limit]]


def _rank_similar_in_python(candidates, text, limit):
    wanted = set(words(text))
    rows = []
    for c in candidates:
        public_text = c.public_summary or c.body
        overlap = len(wanted & set(words(f"{c.title} {public_text}", limit=None))) if wanted else 0
        # As `similar_open_reports`: one shared word among many is chance.
        similar = bool(wanted) and overlap >= min(2, len(wanted))
        rows.append((similar, overlap if similar else 0, c.created_at, c.pk, marked(c, similar)))
    rows.sort(key=lambda row: row[:4], reverse=True)
    return [row[-1] for row in rows[:limit]]


def marked(c, similar):
    """`c` with `similar` set: whether it resembles the text it was compared with."""
    c.similar = similar
    return c
