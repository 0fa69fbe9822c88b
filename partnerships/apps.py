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
        from partnerships.signing.pdf import hex_strings

        hex_strings.install()
