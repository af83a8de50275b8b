"""The dashboards' figures are computed once and kept for DASHBOARD_CACHE_SECONDS (they take
seconds at a million reports): per user and their roles, so no one ever reads figures computed
for another scope; one process computes while the others wait for its result."""

import re
import threading
import time

import pytest
from django.core.cache import cache

from accounts.models import Membership
from complaints.common.pagination import cached_value

pytestmark = pytest.mark.django_db


@pytest.fixture
def cached(settings):
    settings.DASHBOARD_CACHE_SECONDS = 300
    cache.clear()
    yield
    cache.clear()


def pu_total(client):
    html = client.get("/audit/").content.decode()
    row = re.search(r'<th scope="row">Dinas PU</th>\s*<td class="num"><a [^>]*>(\d+)</a>', html)
    return int(row.group(1))


def test_audit_figures_are_kept_per_user_and_roles(
    cached, november, client_for, auditor, auditor_bkd, disposed_report, region, now
):
    c = client_for(auditor)
    assert pu_total(c) == 6
    page = c.get("/audit/").content.decode()
    assert "Diperbarui" in page and "disegarkan setiap beberapa menit" in page
    disposed_report(title="Laporan baru sesudah angka dihitung")
    assert pu_total(c) == 6  # the kept figures
    # Another auditor: their own figures, computed now.
    assert pu_total(client_for(auditor_bkd)) == 7
    # A changed role is another scope: computed again, never the old scope's figures.
    Membership.objects.create(user=auditor, role="head", agency=region.dinkes)
    assert pu_total(client_for(auditor)) == 7
    cache.clear()
    assert pu_total(client_for(auditor_bkd)) == 7


def test_head_panel_figures_are_kept(cached, november, client_for, head_pu, disposed_report, now):
    def panel_total():
        html = client_for(head_pu).get("/opd/pimpinan/").content.decode()
        return int(re.search(r"<li><strong>(\d+)</strong> Pengaduan</li>", html).group(1))

    assert panel_total() == 6
    disposed_report(title="Laporan baru sesudah panel dihitung")
    assert panel_total() == 6
    cache.clear()
    assert panel_total() == 7


def test_without_a_cache_time_figures_are_always_fresh(november, client_for, auditor, disposed_report, now):
    c = client_for(auditor)
    assert pu_total(c) == 6
    disposed_report(title="Laporan baru, tanpa cache")
    assert pu_total(c) == 7


def test_one_process_computes_the_others_wait_for_its_result():
    cache.clear()
    calls = []

    def slow():
        calls.append(threading.get_ident())
        time.sleep(0.5)
        return {"figures": 42}

    results = []
    threads = [
        threading.Thread(target=lambda: results.append(cached_value("k", 60, slow, single_flight=True)))
        for _i in range(3)
    ]
    for t in threads:
        t.start()
        time.sleep(0.05)
    for t in threads:
        t.join()
    assert results == [{"figures": 42}] * 3
    assert len(calls) == 1
    assert cache.get("k:computing") is None


def test_a_failed_computation_releases_the_others():
    cache.clear()

    def broken():
        raise RuntimeError("database gone")

    with pytest.raises(RuntimeError):
        cached_value("k2", 60, broken, single_flight=True)
    assert cache.get("k2:computing") is None
    assert cached_value("k2", 60, lambda: 7, single_flight=True) == 7
