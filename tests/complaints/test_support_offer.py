""" "Saya juga mengalami" on the pages: offered to citizens, not to the staff who handle or audit
the report; the count shows only once somebody has joined."""

import pytest

from complaints import workflow

pytestmark = pytest.mark.django_db


def page(client, c):
    return client.get(f"/laporan/{c.tracking_id}/").content.decode()


def test_citizens_are_offered_it_staff_on_the_report_are_not(
    disposed_report, client_for, other_citizen, auditor, operator
):
    c = disposed_report()
    assert "Saya juga mengalami" in page(client_for(other_citizen), c)
    assert "Saya juga mengalami" in client_for(other_citizen).get("/laporan/").content.decode()
    for staff in (auditor, operator):
        assert "Saya juga mengalami" not in page(client_for(staff), c)
        assert "Saya juga mengalami" not in client_for(staff).get("/laporan/").content.decode()
        refused = client_for(staff).post(f"/laporan/{c.tracking_id}/", {"action": "support"})
        assert refused.status_code in (302, 403, 409)
    c.refresh_from_db()
    assert c.support_count == 0


def test_the_count_shows_once_somebody_joined(disposed_report, client, other_citizen):
    c = disposed_report()
    assert "warga juga mengalami" not in page(client, c)
    assert "warga juga mengalami" not in client.get("/laporan/").content.decode()
    workflow.support(c.pk, by=other_citizen)
    assert "1 warga juga mengalami" in page(client, c)
    assert "1 warga juga mengalami" in client.get("/laporan/").content.decode()


def test_the_reporter_reads_their_own_report_addressed_to_them(file_report, operator, client_for, citizen):
    c = file_report()
    workflow.postpone(c.pk, by=operator, reason="Mohon lampirkan foto lokasi.")
    own = page(client_for(citizen), c)
    assert "Operator meminta Anda melengkapi laporan" in own and "meminta pelapor" not in own
    assert "Operator meminta pelapor melengkapi laporan" in page(client_for(operator), c)
