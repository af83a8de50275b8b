"""A list's length taken from its heading totals (`selectors.listed_count`) against the list
counted again, for every heading and with "overdue only" on and off."""

from complaints.staff import selectors


def assert_lengths_from_totals(counts, rows, label=""):
    """`rows(status, overdue)` is the list; returns how many overdue rows the headings listed."""
    overdue_rows = 0
    for status in selectors.InboxStatus.CHOICES:
        for overdue in (False, True):
            listed = selectors.listed_count(counts, status, overdue)
            if listed is None:
                assert overdue and status in selectors.DispositionStatus.values
                continue
            assert listed == rows(status, overdue).count(), (label, status, overdue)
            overdue_rows += listed if overdue else 0
    return overdue_rows
