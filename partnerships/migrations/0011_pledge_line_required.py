"""Every pledge has a line number, one per line of its MoU, and pledges read in that order."""

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("partnerships", "0010_number_existing_pledges")]

    operations = [
        migrations.AlterModelOptions(
            name="pledge",
            options={
                "ordering": ["mou_id", "line"],
                "verbose_name": "pledge",
                "verbose_name_plural": "pledges",
            },
        ),
        migrations.AlterField(
            model_name="pledge",
            name="line",
            field=models.PositiveSmallIntegerField(
                validators=[django.core.validators.MinValueValidator(1)], verbose_name="line"
            ),
        ),
        migrations.AddConstraint(
            model_name="pledge",
            constraint=models.UniqueConstraint(
                fields=("mou", "line"), name="one_pledge_per_mou_line"
            ),
        ),
    ]
