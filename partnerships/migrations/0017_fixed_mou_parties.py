"""The parties fixed on an MoU when it is sent (Mou.parties): its authority's name, code,
address and place, its partner's name, tax code and address, and the partner's representative.

MoUs sent before this migration get today's values of their authority, partner and signatory
(the closest record there is); drafts, and MoUs cancelled before they were ever sent, keep
reading the live records."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Now


def fix_parties_of_sent_mous(apps, schema_editor):
    Mou = apps.get_model("partnerships", "Mou")
    Authority = apps.get_model("partnerships", "Authority")
    Partner = apps.get_model("partnerships", "Partner")
    Contact = apps.get_model("partnerships", "Contact")

    def authority(field):
        return Subquery(Authority.objects.filter(pk=OuterRef("authority_id")).values(field)[:1])

    def partner(field):
        return Subquery(Partner.objects.filter(pk=OuterRef("partner_id")).values(field)[:1])

    def signatory(field):
        found = Contact.objects.filter(pk=OuterRef("partner_signatory_id")).values(field)[:1]
        return Coalesce(Subquery(found), Value(""))

    # Every state but draft has been sent, except an MoU cancelled as a draft (it never had
    # a PDF sent for signature).
    sent = Mou.objects.exclude(state="draft").exclude(state="cancelled", signable_pdf_sha256="")
    sent.filter(parties_fixed_at__isnull=True).update(
        parties_fixed_at=Now(),
        sent_authority_name=authority("name"),
        sent_authority_code=authority("code"),
        sent_authority_address=authority("address"),
        sent_place_name=authority("place_name"),
        sent_partner_name=partner("name"),
        sent_partner_tax_code=partner("tax_code"),
        sent_partner_address=partner("address"),
        sent_signatory_name=signatory("full_name"),
        sent_signatory_position=signatory("position"),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("partnerships", "0015_builtin_templates_with_signature_anchors"),
    ]

    operations = [
        migrations.AddField(
            model_name="mou",
            name="parties_fixed_at",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="parties fixed at"
            ),
        ),
        migrations.AddField(
            model_name="mou",
            name="sent_authority_address",
            field=models.CharField(
                blank=True, editable=False, max_length=300, verbose_name="Party A's address as sent"
            ),
        ),
        migrations.AddField(
            model_name="mou",
            name="sent_authority_code",
            field=models.CharField(
                blank=True,
                editable=False,
                max_length=20,
                verbose_name="Party A's document code as sent",
            ),
        ),
        migrations.AddField(
            model_name="mou",
            name="sent_authority_name",
            field=models.CharField(
                blank=True, editable=False, max_length=200, verbose_name="Party A's name as sent"
            ),
        ),
        migrations.AddField(
            model_name="mou",
            name="sent_partner_address",
            field=models.CharField(
                blank=True, editable=False, max_length=300, verbose_name="Party B's address as sent"
            ),
        ),
        migrations.AddField(
            model_name="mou",
            name="sent_partner_name",
            field=models.CharField(
                blank=True, editable=False, max_length=255, verbose_name="Party B's name as sent"
            ),
        ),
        migrations.AddField(
            model_name="mou",
            name="sent_partner_tax_code",
            field=models.CharField(
                blank=True, editable=False, max_length=14, verbose_name="Party B's tax code as sent"
            ),
        ),
        migrations.AddField(
            model_name="mou",
            name="sent_place_name",
            field=models.CharField(
                blank=True, editable=False, max_length=200, verbose_name="place name as sent"
            ),
        ),
        migrations.AddField(
            model_name="mou",
            name="sent_signatory_name",
            field=models.CharField(
                blank=True,
                editable=False,
                max_length=150,
                verbose_name="Party B's representative as sent",
            ),
        ),
        migrations.AddField(
            model_name="mou",
            name="sent_signatory_position",
            field=models.CharField(
                blank=True,
                editable=False,
                max_length=150,
                verbose_name="Party B's representative's position as sent",
            ),
        ),
        migrations.AddField(
            model_name="moudocument",
            name="parties",
            field=models.JSONField(blank=True, default=dict, verbose_name="parties as printed"),
        ),
        migrations.RunPython(fix_parties_of_sent_mous, migrations.RunPython.noop),
    ]
