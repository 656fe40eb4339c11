"""Sources say what an unknown queue or agent name does (create, quarantine, reject; with a cap), queues
and agents can be quarantined, and contacts are namespaced per source: ``Contact.contact_id`` becomes
``<namespace>:<id>``. Existing rows keep their figures: each contact takes the namespace of the source of
its first logged event (a rebuild from the log then derives the same rows for a single source)."""

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models


def namespaces_fill(apps, schema_editor):
    Source = apps.get_model("dashboard", "Source")
    for source in Source.objects.filter(contact_namespace=""):
        source.contact_namespace = source.name.replace(":", "_")
        source.save(update_fields=["contact_namespace"])
    # Internal feeders (simulator, importers) keep creating what they name.
    Source.objects.filter(name__in=["simulator", "demo", "import"]).update(new_queues="create", new_agents="create")
    contact = schema_editor.quote_name("dashboard_contact")
    event = schema_editor.quote_name("dashboard_event")
    source = schema_editor.quote_name("dashboard_source")
    schema_editor.execute(
        f"UPDATE {contact} SET contact_id = COALESCE(("
        f"SELECT s.contact_namespace || ':' || e.contact_id FROM {event} e JOIN {source} s ON s.id = e.source_id "
        f"WHERE e.contact_id = {contact}.contact_id ORDER BY e.id LIMIT 1), contact_id)"
    )


def namespaces_drop(apps, schema_editor):
    Contact = apps.get_model("dashboard", "Contact")
    for contact in Contact.objects.filter(contact_id__contains=":").only("id", "contact_id").iterator():
        Contact.objects.filter(pk=contact.pk).update(contact_id=contact.contact_id.split(":", 1)[1])


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0004_wfm"),
    ]

    operations = [
        migrations.AddField(
            model_name="source",
            name="new_queues",
            field=models.CharField(
                choices=[
                    ("create", "Create it"),
                    ("quarantine", "Create it in quarantine (hidden until an admin approves it)"),
                    ("reject", "Reject the event"),
                ],
                default="quarantine",
                help_text="What an event naming a queue that is not configured does.",
                max_length=10,
                verbose_name="new queues",
            ),
        ),
        migrations.AddField(
            model_name="source",
            name="max_new_queues",
            field=models.PositiveIntegerField(
                default=50,
                help_text="Queues this source may create (approved or not); beyond, such events are rejected.",
                verbose_name="at most this many new queues",
            ),
        ),
        migrations.AddField(
            model_name="source",
            name="new_agents",
            field=models.CharField(
                choices=[
                    ("create", "Create it"),
                    ("quarantine", "Create it in quarantine (hidden until an admin approves it)"),
                    ("reject", "Reject the event"),
                ],
                default="create",
                help_text="What an event naming an agent that is not configured does.",
                max_length=10,
                verbose_name="new agents",
            ),
        ),
        migrations.AddField(
            model_name="source",
            name="max_new_agents",
            field=models.PositiveIntegerField(
                default=1000,
                help_text="Agents this source may create (approved or not); beyond, such events are rejected.",
                verbose_name="at most this many new agents",
            ),
        ),
        migrations.AddField(
            model_name="source",
            name="contact_namespace",
            field=models.CharField(
                blank=True,
                help_text=(
                    "Contact ids are this source's own unless another source has the same namespace (linked "
                    "sources: for example an ACD and a CTI link that report the same calls). Empty: the source's "
                    "name."
                ),
                max_length=100,
                validators=[django.core.validators.RegexValidator("^[^:]*$", "A namespace cannot hold a colon.")],
                verbose_name="contact namespace",
            ),
        ),
        migrations.AddField(
            model_name="queue",
            name="quarantined",
            field=models.BooleanField(
                default=False,
                help_text="Created from a source's events and not approved yet: not shown on wallboards and reports.",
                verbose_name="quarantined",
            ),
        ),
        migrations.AddField(
            model_name="queue",
            name="created_by_source",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="created_queues",
                to="dashboard.source",
                verbose_name="created by source",
            ),
        ),
        migrations.AddField(
            model_name="agent",
            name="quarantined",
            field=models.BooleanField(
                default=False,
                help_text="Created from a source's events and not approved yet: not shown on wallboards and reports.",
                verbose_name="quarantined",
            ),
        ),
        migrations.AddField(
            model_name="agent",
            name="created_by_source",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="created_agents",
                to="dashboard.source",
                verbose_name="created by source",
            ),
        ),
        migrations.AlterField(
            model_name="contact",
            name="contact_id",
            field=models.CharField(max_length=301),
        ),
        migrations.RunPython(namespaces_fill, namespaces_drop),
    ]
