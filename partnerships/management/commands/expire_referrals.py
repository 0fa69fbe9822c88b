"""Expire referrals the business recorded nothing on in time. Idempotent: run it from cron
daily (the worker's sweeper runs the same step)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from partnerships.referrals.endings import expire_overdue_referrals


class Command(BaseCommand):
    help = (
        "Move referrals in progress past their expiry date to 'expired', so the places they "
        "held open again. Safe to run repeatedly."
    )

    def handle(self, *args, **options):
        expired = expire_overdue_referrals(today=timezone.localdate())
        self.stdout.write(self.style.SUCCESS(f"{expired} referral(s) expired."))
