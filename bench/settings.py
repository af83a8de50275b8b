"""The production settings plus the benchmark's trivial baseline view (`bench.urls`). Only the
benchmark's gunicorn uses this module; the portal never imports it.

`lapor/settings.py` is executed here rather than imported: importing it would first run
`lapor/__init__.py`, whose Celery app reads the settings that are still being defined."""

from pathlib import Path

_SOURCE = Path(__file__).resolve().parent.parent / "lapor" / "settings.py"
exec(compile(_SOURCE.read_text(), str(_SOURCE), "exec"))  # noqa: S102 - our own settings file

ROOT_URLCONF = "bench.urls"
