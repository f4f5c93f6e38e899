"""The form values waiting for delivery are sealed at rest (issue 18): a new sealed column
takes the values of the rows still queued, then replaces the clear one."""

from django.db import migrations

import kestra_apps.crypto


def seal_waiting_payloads(apps, schema_editor):
    Execution = apps.get_model("executions", "Execution")
    for execution in Execution.objects.exclude(payload={}).only("pk", "payload").iterator():
        execution.payload_sealed = execution.payload
        execution.save(update_fields=["payload_sealed"])


def open_waiting_payloads(apps, schema_editor):
    Execution = apps.get_model("executions", "Execution")
    for execution in Execution.objects.exclude(payload_sealed="").iterator():
        execution.payload = execution.payload_sealed or {}
        execution.save(update_fields=["payload"])


class Migration(migrations.Migration):
    dependencies = [
        ("executions", "0009_decision_links"),
    ]

    operations = [
        migrations.AddField(
            model_name="execution",
            name="payload_sealed",
            field=kestra_apps.crypto.SealedJSONField(
                blank=True, default=dict, purpose="execution-payload"
            ),
        ),
        migrations.RunPython(seal_waiting_payloads, open_waiting_payloads),
        migrations.RemoveField(model_name="execution", name="payload"),
        migrations.RenameField(
            model_name="execution", old_name="payload_sealed", new_name="payload"
        ),
        migrations.AlterField(
            model_name="execution",
            name="payload",
            field=kestra_apps.crypto.SealedJSONField(
                blank=True,
                default=dict,
                help_text="Form values still to deliver; cleared once delivered or given up.",
                purpose="execution-payload",
            ),
        ),
    ]
