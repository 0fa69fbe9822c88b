"""What production settings refuse or bound: no start without a mail server, a timeout on
SMTP, and sessions that end after a while without use."""

import os
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings
from django.utils import timezone

from partnerships.core import sessions

CONSOLE = "django.core.mail.backends.console.EmailBackend"
SMTP = "django.core.mail.backends.smtp.EmailBackend"


# --- Mail -----------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", [CONSOLE, "django.core.mail.backends.locmem.EmailBackend"])
def test_the_deploy_check_refuses_a_mail_backend_that_delivers_nothing(backend):
    with (
        override_settings(DEBUG=False, EMAIL_BACKEND=backend),
        pytest.raises(SystemCheckError, match=r"partnerships\.E010"),
    ):
        call_command("check", deploy=True, tags=["mail"])


def test_the_deploy_check_accepts_smtp_and_development():
    with override_settings(DEBUG=False, EMAIL_BACKEND=SMTP):
        call_command("check", deploy=True, tags=["mail"])
    with override_settings(DEBUG=True, EMAIL_BACKEND=CONSOLE):
        call_command("check", deploy=True, tags=["mail"])


def production_environment(**extra) -> dict:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("EMAIL_", "DJANGO_SETTINGS_MODULE"))
    }
    return (
        environment
        | {
            "DEBUG": "0",
            "SECRET_KEY": "a-secret-key-for-this-test-only-" + "x" * 40,
            "PERSON_ID_HMAC_KEY": settings.PERSON_ID_HMAC_KEY,
            "PERSON_NAME_KEY": ",".join(settings.PERSON_NAME_KEYS),
            "ALLOWED_HOSTS": "registry.example.org",
            "DATABASE_URL": "sqlite:///:memory:",
        }
        | extra
    )


def start_web_process(environment) -> subprocess.CompletedProcess:
    """What gunicorn does first: import the WSGI application."""
    return subprocess.run(
        [sys.executable, "-c", "import partnerships.wsgi"],
        env=environment,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_web_process_refuses_to_start_without_a_mail_server():
    started = start_web_process(production_environment())

    assert started.returncode != 0
    assert "EMAIL_BACKEND" in started.stderr and "delivers no mail" in started.stderr


def test_the_web_process_starts_with_a_mail_server():
    started = start_web_process(production_environment(EMAIL_HOST="smtp.example.org"))

    assert started.returncode == 0, started.stderr


@pytest.fixture
def silent_mail_server():
    """A server that accepts connections and never says a word, as the one that hung."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


def test_smtp_gives_up_after_the_timeout(silent_mail_server):
    assert settings.EMAIL_TIMEOUT == 10  # the default, from EMAIL_TIMEOUT in the environment
    with override_settings(
        EMAIL_BACKEND=SMTP,
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=silent_mail_server,
        EMAIL_USE_TLS=False,
        EMAIL_TIMEOUT=1,
    ):
        started = time.monotonic()
        with pytest.raises(OSError):
            mail.send_mail("Mã xác nhận", "123456", None, ["hoa@example.com"])
        assert time.monotonic() - started < 5


# --- Sessions -------------------------------------------------------------------------------


def test_a_session_is_extended_by_use_and_ends_when_idle(client, world):
    assert settings.SESSION_COOKIE_AGE <= 8 * 60 * 60
    client.force_login(world.staff)
    session = Session.objects.get()

    # Pages read right after the login write nothing to the session...
    first_end = Session.objects.get(pk=session.pk).expire_date
    assert client.get("/mous/").status_code == 200
    assert Session.objects.get(pk=session.pk).expire_date == first_end

    # ...and once the renewal interval has passed, a request pushes the end of the session a
    # full idle period ahead.
    stored = client.session
    stored[sessions.RENEWED_AT] -= sessions.renew_seconds()
    stored.save()
    Session.objects.update(expire_date=timezone.now() + timedelta(minutes=1))
    assert client.get("/mous/").status_code == 200
    extended = Session.objects.get(pk=session.pk).expire_date
    assert extended > timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)

    # Left idle past that: the next request goes to the login page.
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get("/mous/")
    assert response.status_code == 302
    assert response["Location"].startswith(settings.LOGIN_URL) or "login" in response["Location"]
