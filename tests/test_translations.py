"""Indonesian first, English second (issue: every string in both languages): the English catalogue
covers every string the code and templates mark, the compiled .mo is the .po, and the language
switch in the base template turns a page into English."""

import gettext
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
SOURCES = ("accounts", "agencies", "complaints", "lapor", "templates", "locale", "manage.py")


def _gettext_tool(name):
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"GNU gettext ({name}) is required in CI: .ci/run installs it")
        pytest.skip(f"GNU gettext ({name}) is not installed")
    return path


def _catalogue(mo_path):
    with open(mo_path, "rb") as f:
        return {k: v for k, v in gettext.GNUTranslations(f)._catalog.items() if k}


def test_every_marked_string_has_an_english_translation(tmp_path):
    """makemessages over a copy of the project: no string is new (untranslated) or fuzzy."""
    msgattrib = _gettext_tool("msgattrib")
    _gettext_tool("xgettext")
    copy = tmp_path / "project"
    copy.mkdir()
    for name in SOURCES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, copy / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(src, copy / name)
    env = {**os.environ, "DATA_DIR": str(tmp_path / "data"), "DJANGO_SETTINGS_MODULE": "lapor.settings"}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "makemessages", "-l", "en", "--no-obsolete", "-v", "0"],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    po = copy / "locale" / "en" / "LC_MESSAGES" / "django.po"
    missing = {}
    for flag in ("--untranslated", "--only-fuzzy"):
        out = subprocess.run(  # noqa: S603
            [msgattrib, flag, "--no-obsolete", str(po)], capture_output=True, text=True, check=True
        ).stdout
        # The header entry is always fuzzy-free and untranslated-free; anything else is a gap.
        entries = [block for block in out.split("\n\n") if "msgid" in block and 'msgid ""\nmsgstr ""\n"' not in block]
        if entries:
            missing[flag] = entries
    assert not missing, "strings without an English translation (run `make messages`):\n" + "\n\n".join(
        block for blocks in missing.values() for block in blocks
    )


def test_the_compiled_catalogue_is_the_po_file(tmp_path):
    msgfmt = _gettext_tool("msgfmt")
    fresh = tmp_path / "django.mo"
    subprocess.run([msgfmt, "--check", "-o", str(fresh), str(PO)], check=True)  # noqa: S603
    assert _catalogue(MO) == _catalogue(fresh), "locale/en/LC_MESSAGES/django.mo is stale: run `make messages`"


@pytest.mark.django_db
def test_the_language_switch_turns_the_pages_into_english(client, region):
    page = client.get("/laporan/")
    assert '<html lang="id">' in page.content.decode()
    assert "Laporan warga" in page.content.decode()
    # The header's link; Django's form-based switch is not routed (its form would hand every
    # public page a CSRF token, and no page could be kept for the next visitor).
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/laporan/"}).status_code == 404
    response = client.get("/bahasa/en/", {"next": "/laporan/"})
    assert response.status_code == 302 and response["Location"] == "/laporan/"
    body = client.get("/laporan/").content.decode()
    assert '<html lang="en">' in body
    assert "Citizens' reports" in body and "Laporan warga" not in body
    assert "Confidential reports never appear here." in body
