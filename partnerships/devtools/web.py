"""Requesting the real pages through django.test.Client, under the configured settings."""

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection
from django.http.request import validate_host
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from partnerships.devtools.base import Timings, time_runs

CLIENT_HOST = "testserver"


class PageError(Exception):
    """A page under measurement did not answer 200: a figure for it would be meaningless."""


def _manifest_missing() -> bool:
    from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage

    return isinstance(staticfiles_storage, ManifestFilesMixin) and not (
        staticfiles_storage.hashed_files
    )


@contextmanager
def page_settings() -> Iterator[dict]:
    """The few overrides that let the test client reach the pages whatever DEBUG is.

    Everything else (middleware, templates, security headers, the database connection)
    stays as configured, so the figures are those of the deployed app. Requests are made
    over HTTPS (`secure=True`), so SECURE_SSL_REDIRECT needs no override. Yields the
    overrides applied, for the report.
    """
    overrides = {}
    if not validate_host(CLIENT_HOST, settings.ALLOWED_HOSTS):
        overrides["ALLOWED_HOSTS"] = [*settings.ALLOWED_HOSTS, CLIENT_HOST]
    if _manifest_missing():
        # Without `collectstatic` there is no manifest, and `{% static %}` would fail; the
        # plain storage builds the same URLs minus the content hash.
        overrides["STORAGES"] = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    with override_settings(**overrides), warnings.catch_warnings():
        # WhiteNoise warns once when STATIC_ROOT has not been collected; not our concern here.
        warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
        yield overrides


class PageProbe:
    """Times and counts the queries of GET requests made as one logged-in user."""

    def __init__(self, user, *, runs: int):
        self.client = Client()
        self.client.force_login(user)
        self.runs = runs

    def get(self, url: str):
        response = self.client.get(url, secure=True)
        if response.status_code != 200:
            raise PageError(f"GET {url} answered {response.status_code}, expected 200.")
        return response

    def timings(self, url: str, *, runs: int | None = None) -> Timings:
        return time_runs(lambda: self.get(url), runs=runs or self.runs)

    def query_count(self, url: str) -> int:
        # Counted on a separate request: capturing queries slows the ones it captures.
        with CaptureQueriesContext(connection) as captured:
            self.get(url)
        return len(captured.captured_queries)
