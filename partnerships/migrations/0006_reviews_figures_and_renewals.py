import django.db.models.deletion
from django.db import migrations, models

TALLY = "partnerships_deliverytally"
PLACEMENT = "partnerships_placement"

# Any write to placements marks the tallies of the pledge lines concerned as outdated (as of
# 1970-01-01); readers recompute them (partnerships/reports/tally.py) and, until they do, read
# the counts of a moment ago rather than nothing. PostgreSQL: one statement-level trigger per event,
# reading the rows touched from transition tables, so a COPY of a million rows runs one
# DELETE, not a million.
POSTGRESQL_TRIGGERS = [
    f"""
    CREATE FUNCTION partnerships_tally_after_insert() RETURNS trigger AS $$
    BEGIN
        UPDATE {TALLY} SET as_of = '1970-01-01' WHERE pledge_id IN (SELECT DISTINCT pledge_id FROM inserted);
        RETURN NULL;
    END $$ LANGUAGE plpgsql
    """,
    f"""
    CREATE FUNCTION partnerships_tally_after_update() RETURNS trigger AS $$
    BEGIN
        UPDATE {TALLY} SET as_of = '1970-01-01' WHERE pledge_id IN (
            SELECT pledge_id FROM before_update UNION SELECT pledge_id FROM after_update
        );
        RETURN NULL;
    END $$ LANGUAGE plpgsql
    """,
    f"""
    CREATE FUNCTION partnerships_tally_after_delete() RETURNS trigger AS $$
    BEGIN
        UPDATE {TALLY} SET as_of = '1970-01-01' WHERE pledge_id IN (SELECT DISTINCT pledge_id FROM deleted);
        RETURN NULL;
    END $$ LANGUAGE plpgsql
    """,
    f"""
    CREATE TRIGGER partnerships_tally_after_insert AFTER INSERT ON {PLACEMENT}
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION partnerships_tally_after_insert()
    """,
    f"""
    CREATE TRIGGER partnerships_tally_after_update AFTER UPDATE ON {PLACEMENT}
    REFERENCING OLD TABLE AS before_update NEW TABLE AS after_update
    FOR EACH STATEMENT EXECUTE FUNCTION partnerships_tally_after_update()
    """,
    f"""
    CREATE TRIGGER partnerships_tally_after_delete AFTER DELETE ON {PLACEMENT}
    REFERENCING OLD TABLE AS deleted
    FOR EACH STATEMENT EXECUTE FUNCTION partnerships_tally_after_delete()
    """,
]
POSTGRESQL_DROP = [
    f"DROP TRIGGER IF EXISTS partnerships_tally_after_{event} ON {PLACEMENT}"
    for event in ("insert", "update", "delete")
] + [
    f"DROP FUNCTION IF EXISTS partnerships_tally_after_{event}()"
    for event in ("insert", "update", "delete")
]
SQLITE_TRIGGERS = [
    f"""
    CREATE TRIGGER partnerships_tally_after_insert AFTER INSERT ON {PLACEMENT}
    BEGIN UPDATE {TALLY} SET as_of = '1970-01-01' WHERE pledge_id = NEW.pledge_id; END
    """,
    f"""
    CREATE TRIGGER partnerships_tally_after_update AFTER UPDATE ON {PLACEMENT}
    BEGIN UPDATE {TALLY} SET as_of = '1970-01-01' WHERE pledge_id IN (OLD.pledge_id, NEW.pledge_id); END
    """,
    f"""
    CREATE TRIGGER partnerships_tally_after_delete AFTER DELETE ON {PLACEMENT}
    BEGIN UPDATE {TALLY} SET as_of = '1970-01-01' WHERE pledge_id = OLD.pledge_id; END
    """,
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS partnerships_tally_after_{event}"
    for event in ("insert", "update", "delete")
]


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


class Migration(migrations.Migration):
    """Reviews keep the pledge and delivery figures of their moment; renewals link to the
    reviewed MoU they were drafted from; delivery tallies per pledge line for the reports,
    kept honest by triggers on the placement table."""

    dependencies = [
        ("partnerships", "0005_people_and_placements"),
    ]

    operations = [
        migrations.AddField(
            model_name="mou",
            name="renewed_from",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="renewals", to="partnerships.mou", verbose_name="renewal of"),
        ),
        migrations.AddField(
            model_name="review",
            name="figures",
            field=models.JSONField(blank=True, default=dict, editable=False, verbose_name="figures at the review"),
        ),
        migrations.CreateModel(
            name="DeliveryTally",
            fields=[
                ("pledge", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name="tally", serialize=False, to="partnerships.pledge")),
                ("as_of", models.DateField(db_index=True)),
                ("reported", models.PositiveIntegerField(default=0)),
                ("delivered", models.PositiveIntegerField(default=0)),
                ("rejected", models.PositiveIntegerField(default=0)),
                ("eligible_3", models.PositiveIntegerField(default=0)),
                ("retained_3", models.PositiveIntegerField(default=0)),
                ("eligible_6", models.PositiveIntegerField(default=0)),
                ("retained_6", models.PositiveIntegerField(default=0)),
                ("eligible_12", models.PositiveIntegerField(default=0)),
                ("retained_12", models.PositiveIntegerField(default=0)),
            ],
            options={
                "verbose_name": "delivery tally",
                "verbose_name_plural": "delivery tallies",
            },
        ),
        migrations.AddIndex(
            model_name="mou",
            index=models.Index(fields=["year", "number", "id"], name="mou_year_number_idx"),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
