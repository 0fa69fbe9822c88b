"""Remind signers before their link expires; tell staff of links that expired unanswered.
Idempotent: run it from cron (hourly or daily)."""

from django.core.management.base import BaseCommand

from partnerships.signing.reminders import send_signing_reminders


class Command(BaseCommand):
    help = (
        "Email a reminder to each signer whose invitation expires within "
        "SIGNING_REMINDER_DAYS, and tell the authority's staff of invitations that expired "
        "unanswered. Each is sent once: safe to run repeatedly."
    )

    def handle(self, *args, **options):
        run = send_signing_reminders()
        for invitation in run.reminded:
            self.stdout.write(f"reminded: {invitation.mou.document_number} (#{invitation.pk})")
        for invitation in run.expired:
            self.stdout.write(f"expired: {invitation.mou.document_number} (#{invitation.pk})")
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(run.reminded)} reminder(s) sent, {len(run.expired)} expiry notice(s) sent."
            )
        )
