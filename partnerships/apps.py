from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnershipsConfig(AppConfig):
    name = "partnerships"
    verbose_name = _("Reintegration partnerships")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Registers the system checks: personal-data keys, and mail in production.
        from django.contrib.auth.signals import user_logged_in

        from partnerships.core import checks, privacy, sessions  # noqa: F401

        user_logged_in.connect(sessions.on_login, dispatch_uid="partnerships-session-renewal")

        # Signatures' hex strings read in bulk, not byte by byte (signing/pdf/hex_strings.py).
        from django.conf import settings
        from django.core.signals import setting_changed

        from partnerships.signing.pdf import hex_strings, ocsp_reuse

        hex_strings.install()
        ocsp_reuse.configure(settings.SIGNING_OCSP_REUSE_SECONDS)
        setting_changed.connect(_reconfigure, dispatch_uid="partnerships-ocsp-reuse")


def _reconfigure(setting, value, **kwargs) -> None:
    """A changed SIGNING_OCSP_REUSE_SECONDS (in tests) takes effect at once."""
    if setting == "SIGNING_OCSP_REUSE_SECONDS":
        from partnerships.signing.pdf import ocsp_reuse

        ocsp_reuse.configure(value if value is not None else ocsp_reuse.DEFAULT_REUSE_SECONDS)
