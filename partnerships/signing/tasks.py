"""Background jobs of the signing flow (django-tasks). Each task is a thin wrapper around a
service."""

from django_tasks import task

from partnerships.signing import completion


@task()
def email_signed_mou(mou_id: int) -> int:
    """Email both parties the signed PDF and the completion certificate."""
    return completion.email_signed_mou(mou_id)
