"""Background tasks of the reports (django-tasks): thin wrappers around the tallies."""

from django.utils import timezone
from django_tasks import task

from partnerships.reports import tallies


@task()
def refresh_delivery_tallies() -> int:
    """Recount the delivery tallies that are outdated or of an earlier day."""
    return tallies.ensure_fresh(as_of=timezone.localdate())
