from django.db import migrations, models


def copy_thumbnails(apps, schema_editor):
    """Existing apps already name their thumbnail in the stored definition."""
    App = apps.get_model("apps_catalog", "App")
    for app in App.objects.only("pk", "definition").iterator():
        thumbnail = (app.definition or {}).get("thumbnail") or ""
        if thumbnail:
            App.objects.filter(pk=app.pk).update(thumbnail=thumbnail)


class Migration(migrations.Migration):

    dependencies = [
        ("apps_catalog", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="app",
            name="thumbnail",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(copy_thumbnails, migrations.RunPython.noop),
    ]
