"""Helpers for the staff workspace tests (the logged-in `client_for` lives in tests/conftest.py)."""

import pytest


@pytest.fixture
def png_upload():
    """png_upload(raw=None) → an uploaded file: a small PNG, or `raw` bytes under a .png name."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    def make(raw=None, name="bukti.png"):
        if raw is None:
            out = io.BytesIO()
            Image.new("RGB", (32, 24), "green").save(out, format="PNG")
            raw = out.getvalue()
        return SimpleUploadedFile(name, raw, content_type="image/png")

    return make
