"""Store each pledge's line number on its MoU (until now computed from the order of ids)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("partnerships", "0008_merge_reports_and_signing")]

    operations = [
        migrations.AddField(
            model_name="pledge",
            name="line",
            field=models.PositiveSmallIntegerField(null=True, verbose_name="line"),
        ),
    ]
