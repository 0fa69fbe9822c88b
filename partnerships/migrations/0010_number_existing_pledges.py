"""Fill the pledge line numbers of existing MoUs, as they were computed so far."""

from django.db import migrations


def number_existing_pledges(apps, schema_editor):
    # The rule the stored number replaces: a pledge's line is its rank by id on its MoU.
    Pledge = apps.get_model("partnerships", "Pledge")
    mou_id, line, changed = None, 0, []
    for pledge in Pledge.objects.order_by("mou_id", "id").only("id", "mou_id").iterator():
        line = line + 1 if pledge.mou_id == mou_id else 1
        mou_id = pledge.mou_id
        pledge.line = line
        changed.append(pledge)
        if len(changed) >= 2000:
            Pledge.objects.bulk_update(changed, ["line"])
            changed = []
    Pledge.objects.bulk_update(changed, ["line"])


class Migration(migrations.Migration):
    dependencies = [("partnerships", "0009_pledge_line")]

    operations = [migrations.RunPython(number_existing_pledges, migrations.RunPython.noop)]
