"""The API's roles as Django groups: viewer, editor, admin (routing/api/permissions.py)."""

from django.db import migrations

ROLES = ("viewer", "editor", "admin")  # frozen here: migrations must not import app code


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


def delete_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("routing", "0003_apitoken"),
    ]

    operations = [migrations.RunPython(create_groups, delete_groups)]
