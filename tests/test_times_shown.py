"""Times shown to people carry their time zone (settings.TIME_ZONE, Asia/Jakarta: "WIB"), and month
inputs give an example rather than a pattern of letters."""

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def test_every_time_format_in_the_templates_names_the_time_zone():
    bare = []
    for path in TEMPLATES.rglob("*"):
        if path.suffix not in (".html", ".txt"):
            continue
        for fmt in re.findall(r"""\|date:["']([^"']*)["']""", path.read_text()):
            if re.search(r"[HGhg]:i", fmt) and not re.search(r"[HGhg]:i(:s)? T\b", fmt):
                bare.append(f"{path.relative_to(TEMPLATES)}: {fmt}")
    assert not bare, bare


def test_month_hints_are_examples():
    hints = [p for p in TEMPLATES.rglob("*.html") if "TTTT" in p.read_text()]
    assert not hints, hints
