# The archived documents moved out of `exams`: the table stays where it is (state only here),
# the next migration renames it.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("exams", "0006_session_records"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SessionRecord",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("feuille-emargement", "Feuille d'émargement"),
                                    ("proces-verbal", "Procès-verbal de session"),
                                    ("deroulement", "Déroulement de la session"),
                                ],
                                max_length=20,
                            ),
                        ),
                        ("content", models.BinaryField()),
                        ("sha256", models.CharField(max_length=64)),
                        ("size", models.PositiveIntegerField()),
                        ("created_at", models.DateTimeField()),
                        ("retain_until", models.DateField(db_index=True)),
                        (
                            "session",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="records",
                                to="exams.examsession",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "document archivé",
                        "ordering": ["session", "kind"],
                        "db_table": "exams_sessionrecord",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("session", "kind"), name="one_record_per_kind"
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
