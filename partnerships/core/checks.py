"""System checks for a production start (`manage.py check --deploy`, and the web process at
start, see partnerships/wsgi.py)."""

from django.conf import settings
from django.core.checks import Error, register


@register("mail", deploy=True)
def check_mail_is_delivered(app_configs=None, **kwargs):
    """With DEBUG off, mail must go to a real server: invitations carry signing links and
    one-time codes, and the console backend would write them to the log instead."""
    if settings.DEBUG or settings.EMAIL_BACKEND not in settings.UNDELIVERED_EMAIL_BACKENDS:
        return []
    return [
        Error(
            f"EMAIL_BACKEND is {settings.EMAIL_BACKEND}, which delivers no mail, and DEBUG is "
            "off: signing links and codes would be written to the log.",
            hint="Set EMAIL_HOST (and EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD) to "
            "the mail server, or EMAIL_BACKEND to a backend that delivers.",
            id="partnerships.E010",
        )
    ]


def refuse_to_start_without_mail() -> None:
    """Raise at the web process's start when the mail check fails: gunicorn runs no system
    checks of its own."""
    from django.core.checks import run_checks
    from django.core.exceptions import ImproperlyConfigured

    errors = run_checks(tags=["mail"], include_deployment_checks=True)
    if errors:
        raise ImproperlyConfigured("; ".join(f"{error.msg} {error.hint}" for error in errors))


@register("signing", deploy=True)
def check_timestamps_are_made(app_configs=None, **kwargs):
    """With DEBUG off, a time-stamping authority must be configured: without it signatures
    carry only the signer's claimed time (PAdES B-B) and completed MoUs get no archive
    timestamp, so they stop verifying once the signers' certificates expire."""
    if settings.DEBUG or settings.SIGNING_TSA_URL:
        return []
    return [
        Error(
            "SIGNING_TSA_URL is not set and DEBUG is off: signatures would carry no trusted "
            "time and completed MoUs no archive timestamp (no long-term validation).",
            hint="Set SIGNING_TSA_URL to the RFC 3161 time-stamping authority of your "
            "certification authority.",
            id="partnerships.E020",
        )
    ]


@register("signing", deploy=True)
def check_authority_signers_are_readable(app_configs=None, **kwargs):
    """SIGNING_AUTHORITIES_FILE, when set, must be readable as a whole: a mistake in it would
    otherwise show only on the MoU pages of the authorities it concerns."""
    from partnerships.signing.authority_signers import read_authority_signing

    return [
        Error(
            str(problem),
            hint="See the README, “Each authority's signer”, for the file's format.",
            id="partnerships.E021",
        )
        for problem in read_authority_signing(settings.SIGNING_AUTHORITIES_FILE).errors
    ]
