import django.db.models.deletion
from django.db import migrations, models

TALLY = "partnerships_deliverytally"
PLACEMENT = "partnerships_placement"
PERSON = "partnerships_person"

# A person's gender or target group corrected moves their placements from one group tally
# to another: the lines of their placements are outdated, as a placement written is (0006).
# PostgreSQL forbids transition tables on a trigger limited to some columns, so the
# statement-level trigger compares the rows itself.
POSTGRESQL_TRIGGERS = [
    f"""
    CREATE FUNCTION partnerships_tally_after_person_update() RETURNS trigger AS $$
    BEGIN
        UPDATE {TALLY} SET as_of = '1970-01-01' WHERE pledge_id IN (
            SELECT placement.pledge_id FROM {PLACEMENT} AS placement
            JOIN after_update ON after_update.id = placement.person_id
            JOIN before_update ON before_update.id = after_update.id
            WHERE after_update.gender IS DISTINCT FROM before_update.gender
               OR after_update.target_group_id IS DISTINCT FROM before_update.target_group_id
        );
        RETURN NULL;
    END $$ LANGUAGE plpgsql
    """,
    f"""
    CREATE TRIGGER partnerships_tally_after_person_update AFTER UPDATE ON {PERSON}
    REFERENCING OLD TABLE AS before_update NEW TABLE AS after_update
    FOR EACH STATEMENT EXECUTE FUNCTION partnerships_tally_after_person_update()
    """,
]
POSTGRESQL_DROP = [
    f"DROP TRIGGER IF EXISTS partnerships_tally_after_person_update ON {PERSON}",
    "DROP FUNCTION IF EXISTS partnerships_tally_after_person_update()",
]
SQLITE_TRIGGERS = [
    f"""
    CREATE TRIGGER partnerships_tally_after_person_update
    AFTER UPDATE OF gender, target_group_id ON {PERSON}
    BEGIN UPDATE {TALLY} SET as_of = '1970-01-01' WHERE pledge_id IN (
        SELECT pledge_id FROM {PLACEMENT} WHERE person_id = NEW.id
    ); END
    """,
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS partnerships_tally_after_person_update"]


def _run(schema_editor, statements: dict[str, list[str]]) -> None:
    vendor = schema_editor.connection.vendor
    if vendor not in statements:
        raise NotImplementedError(f"No tally triggers for {vendor}: SQLite and PostgreSQL only.")
    for statement in statements[vendor]:
        schema_editor.execute(statement)


def create_triggers(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRESQL_TRIGGERS, "sqlite": SQLITE_TRIGGERS})


def drop_triggers(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRESQL_DROP, "sqlite": SQLITE_DROP})


def outdate_every_tally(apps, schema_editor):
    """No line has group tallies yet: every line is counted from its placements until the
    worker (or the daily command) recounts it with them."""
    apps.get_model("partnerships", "DeliveryTally").objects.update(as_of="1970-01-01")


class Migration(migrations.Migration):
    """Delivery per pledge line split by target group and gender, and by the quarter the
    placements started in, for the reports by target group and by quarter; kept with the
    line's delivery tally."""

    dependencies = [
        ("partnerships", "0019_background_work"),
    ]

    operations = [
        migrations.CreateModel(
            name="GroupTally",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("gender", models.CharField(max_length=10)),
                ("delivered", models.PositiveIntegerField(default=0)),
                ("eligible_6", models.PositiveIntegerField(default=0)),
                ("retained_6", models.PositiveIntegerField(default=0)),
                ("pledge", models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="group_tallies", to="partnerships.pledge")),
                ("target_group", models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="partnerships.targetgroup")),
            ],
            options={
                "verbose_name": "delivery tally by target group and gender",
                "verbose_name_plural": "delivery tallies by target group and gender",
                "constraints": [models.UniqueConstraint(fields=("pledge", "target_group", "gender"), name="one_group_tally_per_key")],
            },
        ),
        migrations.CreateModel(
            name="PeriodTally",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("year", models.PositiveSmallIntegerField()),
                ("quarter", models.PositiveSmallIntegerField()),
                ("delivered", models.PositiveIntegerField(default=0)),
                ("eligible_6", models.PositiveIntegerField(default=0)),
                ("retained_6", models.PositiveIntegerField(default=0)),
                ("pledge", models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="period_tallies", to="partnerships.pledge")),
            ],
            options={
                "verbose_name": "delivery tally by quarter",
                "verbose_name_plural": "delivery tallies by quarter",
                "constraints": [models.UniqueConstraint(fields=("pledge", "year", "quarter"), name="one_period_tally_per_key")],
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
        migrations.RunPython(outdate_every_tally, migrations.RunPython.noop),
    ]
