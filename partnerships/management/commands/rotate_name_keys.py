"""Re-encrypt every stored name, and every contact given with a referral, under the first key
of PERSON_NAME_KEY.

Rotation: put a new key first in PERSON_NAME_KEY (keep the old ones after it), restart, run
this command, then remove the old keys. Idempotent; prints counts, never a name.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from partnerships.core.privacy import rotate_name
from partnerships.models import Person, Referral

BATCH = 500

# (model, field) of every value encrypted with the name keys.
ENCRYPTED = [(Person, "full_name_encrypted"), (Referral, "contact_encrypted")]


class Command(BaseCommand):
    help = "Re-encrypt names and referral contacts with the first key of PERSON_NAME_KEY."

    def handle(self, *args, **options):
        for model, field in ENCRYPTED:
            count = self._rotate(model, field)
            label = "Names" if model is Person else "Referral contacts"
            self.stdout.write(f"{label} re-encrypted: {count}")

    def _rotate(self, model, field) -> int:
        ids = list(model.objects.exclude(**{field: ""}).order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(ids), BATCH):
            with transaction.atomic():
                rows = list(
                    model.objects.select_for_update().filter(pk__in=ids[start : start + BATCH])
                )
                for row in rows:
                    setattr(row, field, rotate_name(getattr(row, field)))
                model.objects.bulk_update(rows, [field])
        return len(ids)
