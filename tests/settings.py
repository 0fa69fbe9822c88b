"""Test settings: production settings with test-only secrets and fast, local parts."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("PERSON_ID_HMAC_KEY", "test-only-person-id-hmac-key")
# urlsafe base64 of the 32 bytes "test-only-person-name-key-32byte"
os.environ.setdefault("PERSON_NAME_KEY", "dGVzdC1vbmx5LXBlcnNvbi1uYW1lLWtleS0zMmJ5dGU=")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SESSION_COOKIE_SECURE", "0")
os.environ.setdefault("CSRF_COOKIE_SECURE", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")

from partnerships.settings import *  # noqa: F403
from partnerships.settings import STORAGES

# Tests run against source static files; the manifest is built only by collectstatic.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tasks run at once in the test process; a test that starts real workers (subprocesses) sets
# TEST_TASKS_BACKEND for them to the database backend.
TASKS = {
    "default": {
        "BACKEND": os.environ.get(
            "TEST_TASKS_BACKEND", "django_tasks.backends.immediate.ImmediateBackend"
        ),
        "QUEUES": TASK_QUEUES,  # noqa: F405
    }
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# seed_demo's DEMO PKI goes to a temporary folder, not the project's var/.
DEMO_PKI_DIR = Path(tempfile.mkdtemp(prefix="demo-pki-"))
# A refused CSRF token raises (tests/factories/web.py): a form without {% csrf_token %} or a
# test that posts without the token fails loudly, never passes as the view's own 403.
CSRF_FAILURE_VIEW = "tests.factories.web.csrf_failure"
SIGNING_PAGE_IMAGES_DIR = Path(tempfile.mkdtemp(prefix="page-images-"))
