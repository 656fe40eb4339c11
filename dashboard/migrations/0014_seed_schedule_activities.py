"""Seed the schedule activities every centre starts with (more are added in the admin)."""

from django.db import migrations

ACTIVITIES = (
    ("shift", "Shift", "working"),
    ("break", "Break", "away"),
    ("lunch", "Lunch", "away"),
    ("meeting", "Meeting", "away"),
    ("training", "Training", "away"),
    ("off", "Off", "off"),
)


def seed(apps, schema_editor):
    activity = apps.get_model("dashboard", "ScheduleActivity")
    for code, name, counts_as in ACTIVITIES:
        activity.objects.get_or_create(code=code, defaults={"name": name, "counts_as": counts_as})


def unseed(apps, schema_editor):
    activity = apps.get_model("dashboard", "ScheduleActivity")
    activity.objects.filter(code__in=[code for code, _, _ in ACTIVITIES], entries=None).delete()


class Migration(migrations.Migration):
    dependencies = [("dashboard", "0013_schedule")]

    operations = [migrations.RunPython(seed, unseed)]
