"""Small public counts (docs/product.md §3, docs/privacy.md "Aggregates"): a cell of 1–4 reports is
shown as "< 5", and a group whose sum is known is protected as a whole so that no hidden cell can
be worked out by subtraction (complementary suppression). Shared by every public figure: the
statistics page (dashboards) and the public map's counts by area (portal)."""

# Any public cell under this many reports is shown as "< 5" (docs/product.md §3).
SUPPRESS_BELOW = 5


def suppress(value):
    """A public count: "< 5" for 1–4 reports (docs/product.md §3); zero and five or more as they are."""
    if value is None:
        return "—"
    if 0 < value < SUPPRESS_BELOW:
        return "< 5"
    return value


# A cell hidden only so that a "< 5" cell of its group cannot be worked out by subtraction.
SECONDARY = "≥ 5"
# Cells of a group so small that no bound may be shown for them.
UNBOUNDED = "*"


def _interval(i, hidden, values, low, high):
    """What someone who knows the group's sum learns of hidden cell `i`: its (min, max)."""
    total = sum(values[j] for j in hidden)
    others_low = sum(low[j] for j in hidden if j != i)
    others_high = sum(high[j] for j in hidden if j != i)
    return max(low[i], total - others_high), min(high[i], total - others_low)


def protect(values):
    """The public cells of one group of counts whose sum is known (a table's column, its total
    row, a breakdown of a shown total), suppressed so that no hidden cell can be worked out from
    the others: 1–4 is "< 5"; then, while some hidden cell is pinned to one value by the sum and
    the other cells' bounds ("< 5" is 1–4, "≥ 5" at least 5), the smallest shown non-zero cell is
    hidden too, as "≥ 5" (complementary suppression). Where even hiding every non-zero cell
    leaves them pinned (7 = "≥ 5" + "< 5" + "< 5"), they are all shown as "*", which bounds
    nothing. The sum is assumed known even where the page does not print it (it may follow from
    another table) — unless it is under five, when every cell is "< 5" and so is any total."""
    values = [int(v or 0) for v in values]
    primary = {i for i, v in enumerate(values) if 0 < v < SUPPRESS_BELOW}
    if sum(values) < SUPPRESS_BELOW:
        return ["< 5" if i in primary else v for i, v in enumerate(values)]
    low = [1 if 0 < v < SUPPRESS_BELOW else SUPPRESS_BELOW for v in values]
    high = [SUPPRESS_BELOW - 1 if 0 < v < SUPPRESS_BELOW else float("inf") for v in values]
    hidden = set(primary)
    pinned = False
    while hidden:
        pinned = len(hidden) == 1 or any(
            lo == hi for lo, hi in (_interval(i, hidden, values, low, high) for i in hidden)
        )
        if not pinned:
            break
        shown = sorted((values[i], i) for i in range(len(values)) if i not in hidden and values[i] > 0)
        if not shown:
            break
        hidden.add(shown[0][1])
    if pinned:
        return [UNBOUNDED if i in hidden else v for i, v in enumerate(values)]
    return [("< 5" if i in primary else SECONDARY) if i in hidden else v for i, v in enumerate(values)]
