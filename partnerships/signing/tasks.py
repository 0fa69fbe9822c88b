"""The signing flow's background task lives beside its service (signing/completion.py); this
path names it for django-tasks like the other domains' tasks modules."""

from partnerships.signing.completion import email_signed_mou

__all__ = ["email_signed_mou"]
