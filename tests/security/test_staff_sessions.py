"""Staff sessions end after a working day without a request; citizens keep the default lifetime."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from accounts import second_factor
from tests.conftest import totp_code


def _signed_in(client):
    return "_auth_user_id" in client.session


@pytest.mark.django_db
def test_a_staff_session_ends_after_a_working_day_idle(operator, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    operator.set_password("sandi-petugas-123")
    operator.save()
    second_factor.enrol(operator)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client = Client()
        response = client.post("/akun/masuk/", {"username": operator.email, "password": "sandi-petugas-123"})
        assert response.status_code == 302 and not _signed_in(client)
        response = client.post("/akun/masuk/kode/", {"code": totp_code(operator)})
        assert response.status_code == 302 and _signed_in(client)
        assert client.session.get_expiry_age() == django_settings.STAFF_SESSION_IDLE_SECONDS == 8 * 3600
        # Working through the day: each request pushes the end forward.
        for _ in range(3):
            clock.shift(timedelta(hours=7))
            assert client.get("/petugas/").status_code == 200
        # Nine hours away: the session is over.
        clock.shift(timedelta(hours=9))
        response = client.get("/petugas/")
        assert response.status_code == 302 and "/akun/masuk/" in response["Location"]


@pytest.mark.django_db
def test_a_citizen_session_keeps_the_default_lifetime(citizen, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    citizen.set_password("sandi-warga-123")
    citizen.save()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = Client()
        client.post("/akun/masuk/", {"username": citizen.email, "password": "sandi-warga-123"})
        assert _signed_in(client)
        assert client.session.get_expiry_age() == django_settings.SESSION_COOKIE_AGE
        clock.shift(timedelta(hours=9))
        response = client.get("/akun/profil/")
        assert response.status_code == 200
