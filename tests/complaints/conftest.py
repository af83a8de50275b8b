import pytest


@pytest.fixture
def alice(client, citizen):
    """The test client, signed in as the citizen Alice."""
    client.force_login(citizen)
    return client
