# AuditEvent moved to `audit`, SessionRecord to `finalization`: their tables are renamed by
# those apps' migrations; here they only leave this app's state.

from django.db import migrations


def move_content_types(apps, schema_editor):
    # Keeps the admin's log and permissions pointing at the same rows.
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model, app_label in (("auditevent", "audit"), ("sessionrecord", "finalization")):
        ContentType.objects.filter(app_label="exams", model=model).update(app_label=app_label)


def restore_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model, app_label in (("auditevent", "audit"), ("sessionrecord", "finalization")):
        ContentType.objects.filter(app_label=app_label, model=model).update(app_label="exams")


class Migration(migrations.Migration):
    dependencies = [
        ("exams", "0006_session_records"),
        ("audit", "0001_initial"),
        ("finalization", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="AuditEvent"),
                migrations.DeleteModel(name="SessionRecord"),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, restore_content_types),
    ]
