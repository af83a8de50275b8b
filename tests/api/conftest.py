"""Clients for the API tests: `api` (anonymous) and `client_for(user)` (a token of that user)."""

from decimal import Decimal

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.conftest import before_and_after


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Throttles and the SMS rate limit count in the cache: every test starts from zero.
    yield from before_and_after(cache.clear)


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def client_for(api_client_for):
    return api_client_for


@pytest.fixture
def report_on_jalan_poros(file_report, region):
    """A new report on Jl. Poros in kelurahan Lamokato (kecamatan Kota), with its exact point."""
    return file_report(
        location_text="Jl. Poros",
        kecamatan=region.kecamatan,
        kelurahan=region.kelurahan,
        lat=Decimal("-4.601234"),
        lng=Decimal("121.903456"),
    )
