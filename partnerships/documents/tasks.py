"""Background jobs (django-tasks). Each task is a thin wrapper around a service."""

from django_tasks import task

from partnerships.documents import rendering


@task()
def render_mou_document(document_id: int) -> str:
    """Fill, convert and prepare the signable PDF of one queued MoU document."""
    return rendering.render_document(document_id).status
