"""Helpers for the staff workspace tests: a logged-in client per persona."""

import pytest
from django.test import Client


@pytest.fixture
def client_for(db):
    """client_for(user) → a test client with that user's session."""

    def make(user):
        c = Client()
        c.force_login(user)
        return c

    return make


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
