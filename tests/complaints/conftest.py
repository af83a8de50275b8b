import pytest

from tests.clock import at, local


@pytest.fixture
def alice(client, citizen):
    """The test client, signed in as the citizen Alice."""
    client.force_login(citizen)
    return client


@pytest.fixture
def dinkes_report_of_monday_16(disposed_report, region):
    """dinkes_report_of_monday_16() → a health report disposed to Dinas Kesehatan on Monday
    16 November 2026 at 10:05."""
    return lambda: at(
        local(2026, 11, 16, 10, 5),
        disposed_report,
        agencies=("dinkes",),
        category=region.health,
        title="Obat kosong di puskesmas",
    )
