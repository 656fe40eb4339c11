"""Sources get their own window of history (``history_days``); the contact import's source, which
carries history from other systems, gets a century."""

import django.core.validators
from django.db import migrations, models

IMPORT_SOURCE = "import"
IMPORT_HISTORY_DAYS = 36525


def widen_import_source(apps, schema_editor):
    Source = apps.get_model("dashboard", "Source")
    Source.objects.filter(name=IMPORT_SOURCE, history_days=None).update(history_days=IMPORT_HISTORY_DAYS)


class Migration(migrations.Migration):
    dependencies = [("dashboard", "0005_source_namespaces_and_quarantine")]

    operations = [
        migrations.AddField(
            model_name="source",
            name="history_days",
            field=models.PositiveIntegerField(
                blank=True,
                help_text=(
                    "Accept events of this source up to this many days back (an import of history). Empty: the "
                    "installation's limit (KCC_EVENT_MAX_AGE_DAYS, 400 days by default)."
                ),
                null=True,
                validators=[django.core.validators.MaxValueValidator(36525)],
                verbose_name="history days",
            ),
        ),
        migrations.RunPython(widen_import_source, migrations.RunPython.noop),
    ]
