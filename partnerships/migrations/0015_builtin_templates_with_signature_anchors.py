"""The built-in templates' new version: due dates in the pledge table, rows kept whole across
pages, and the signature anchors ({{ sign_here_authority }}, {{ sign_here_business }}) the
signature fields now hang from. A registry set up earlier still has version 1 without them;
a fresh one already loaded the new files as version 1 (migration 0004) and gets nothing."""

import hashlib
import json

from django.conf import settings
from django.db import migrations
from django.db.models import Max

ANCHORS = {"sign_here_authority", "sign_here_business"}


def add_anchored_versions(apps, schema_editor):
    DocumentTemplate = apps.get_model("partnerships", "DocumentTemplate")
    TemplateVersion = apps.get_model("partnerships", "TemplateVersion")
    folder = settings.BASE_DIR / "mou_templates"
    for template in DocumentTemplate.objects.filter(key__in=("bgn_vi", "mou_en")):
        latest = template.versions.order_by("-number").first()
        if latest is not None and ANCHORS <= set(latest.variables or ()):
            continue
        manifest = json.loads((folder / f"{template.key}.json").read_text(encoding="utf-8"))
        docx = (folder / f"{template.key}.docx").read_bytes()
        highest = template.versions.aggregate(highest=Max("number"))["highest"] or 0
        TemplateVersion.objects.create(
            template=template,
            number=highest + 1,
            docx=docx,
            sha256=hashlib.sha256(docx).hexdigest(),
            variables=manifest["variables"],
            note="Built-in template: due dates, whole pledge rows, signature anchors",
        )


class Migration(migrations.Migration):
    dependencies = [("partnerships", "0014_rate_limit_counters")]

    operations = [migrations.RunPython(add_anchored_versions, migrations.RunPython.noop)]
