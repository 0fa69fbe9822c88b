"""Fixtures for the placement tests: running the import service as the worker would.

`placements_world` (MoUs open for placements) is in tests/conftest.py: the report tests
build on it too. The data helpers are in tests/factories/placements.py.
"""

import pytest


@pytest.fixture
def upload(django_capture_on_commit_callbacks):
    """Upload a file through the import service and let the background reading run (the
    test task backend runs tasks at once, once the transaction commits)."""
    from partnerships.placements.imports import service

    def run(user, data: bytes, name: str = "tiep-nhan.csv"):
        with django_capture_on_commit_callbacks(execute=True):
            batch = service.upload(user=user, file_name=name, data=data)
        batch.refresh_from_db()
        return batch

    return run


@pytest.fixture
def confirm_import(django_capture_on_commit_callbacks):
    from partnerships.placements.imports import service

    def run(batch, user):
        with django_capture_on_commit_callbacks(execute=True):
            service.confirm(batch=batch, user=user)
        batch.refresh_from_db()
        return batch

    return run
