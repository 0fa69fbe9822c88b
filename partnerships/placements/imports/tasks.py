"""Background tasks of the import (django-tasks): thin wrappers around the service."""

from django_tasks import task

from partnerships.placements.imports import service


@task()
def read_import_file(batch_id: int) -> str:
    """Read and check an uploaded file, for the preview."""
    return service.read(batch_id).status


@task()
def run_placement_import(batch_id: int) -> str:
    """Save the rows of a confirmed preview."""
    return service.run(batch_id).status
