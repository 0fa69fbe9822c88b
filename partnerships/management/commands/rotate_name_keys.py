"""Re-encrypt every stored name under the first key of PERSON_NAME_KEY.

Rotation: put a new key first in PERSON_NAME_KEY (keep the old ones after it), restart, run
this command, then remove the old keys. Idempotent; prints counts, never a name.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from partnerships.core.privacy import rotate_name
from partnerships.models import Person

BATCH = 500


class Command(BaseCommand):
    help = "Re-encrypt people's names with the first key of PERSON_NAME_KEY."

    def handle(self, *args, **options):
        ids = list(
            Person.objects.exclude(full_name_encrypted="")
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for start in range(0, len(ids), BATCH):
            with transaction.atomic():
                people = list(
                    Person.objects.select_for_update().filter(pk__in=ids[start : start + BATCH])
                )
                for person in people:
                    person.full_name_encrypted = rotate_name(person.full_name_encrypted)
                Person.objects.bulk_update(people, ["full_name_encrypted"])
        self.stdout.write(f"Names re-encrypted: {len(ids)}")
