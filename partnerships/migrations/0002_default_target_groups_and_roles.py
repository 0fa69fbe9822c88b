"""Seed the default target groups (DOMAIN.md) and one auth group per role."""

from django.db import migrations

DEFAULT_TARGET_GROUPS = [
    ("completed_prison", "Người chấp hành xong án phạt tù", "Completed a prison sentence"),
    ("amnesty", "Người được đặc xá", "Released by amnesty"),
    (
        "conditional_release",
        "Người được tha tù trước thời hạn có điều kiện",
        "Conditionally released early",
    ),
    (
        "community_sentence",
        "Người chấp hành án hình sự tại cộng đồng",
        "Serving a criminal sentence in the community",
    ),
    (
        "post_rehab",
        "Người sau cai nghiện / đang quản lý sau cai nghiện ma túy",
        "After drug rehabilitation / under post-rehab management",
    ),
    (
        "drug_user",
        "Người sử dụng trái phép chất ma túy, người nghiện ma túy",
        "People who use drugs / with drug dependence",
    ),
]

ROLE_GROUPS = ["authority_staff", "official", "business_representative", "administrator"]


def seed(apps, schema_editor):
    TargetGroup = apps.get_model("partnerships", "TargetGroup")
    Group = apps.get_model("auth", "Group")
    for order, (code, name_vi, name_en) in enumerate(DEFAULT_TARGET_GROUPS, start=1):
        TargetGroup.objects.get_or_create(
            code=code, defaults={"name_vi": name_vi, "name_en": name_en, "sort_order": order}
        )
    for name in ROLE_GROUPS:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("partnerships", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
