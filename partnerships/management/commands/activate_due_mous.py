"""Activate signed MoUs whose term has started. Idempotent: run it from cron daily."""

from django.core.management.base import BaseCommand

from partnerships.mous.lifecycle import activate_due_mous


class Command(BaseCommand):
    help = "Move signed MoUs whose start date has come to 'active'. Safe to run repeatedly."

    def handle(self, *args, **options):
        activated = activate_due_mous()
        for mou in activated:
            self.stdout.write(f"activated {mou.document_number} ({mou.authority.name})")
        self.stdout.write(self.style.SUCCESS(f"{len(activated)} MoU(s) activated."))
