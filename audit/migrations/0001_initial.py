# The audit trail moved out of `exams`: the table stays where it is (state only here), the
# next migration renames it.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("exams", "0006_session_records"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditEvent",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("session_number", models.CharField(blank=True, max_length=12)),
                        ("tag", models.CharField(max_length=60)),
                        ("at", models.DateTimeField(auto_now_add=True)),
                        ("data", models.JSONField(blank=True, default=dict)),
                        (
                            "actor",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "session",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="events",
                                to="exams.examsession",
                            ),
                        ),
                    ],
                    options={
                        "ordering": ["at", "id"],
                        "db_table": "exams_auditevent",
                        "indexes": [
                            models.Index(
                                fields=["session", "at"], name="exams_audit_session_1a33c1_idx"
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
