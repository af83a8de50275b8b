"""Clients for the API tests: `api` (anonymous) and `client_for(user)` (a token of that user)."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Throttles and the SMS rate limit count in the cache: every test starts from zero.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def client_for(api_client_for):
    return api_client_for
