"""Save the rubric in force once per distinct content (``RubricSnapshot``) instead of on every check."""

import hashlib
import json

import django.db.models.deletion
from django.db import migrations, models


def _digest(config):
    text = json.dumps(config, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def snapshots_from_checks(apps, schema_editor):
    HealthCheck = apps.get_model("health", "HealthCheck")
    RubricSnapshot = apps.get_model("health", "RubricSnapshot")
    ids: dict[str, int] = {}
    by_snapshot: dict[int, list[int]] = {}
    for pk, config in HealthCheck.objects.values_list("pk", "rubric_snapshot").iterator(chunk_size=2000):
        digest = _digest(config)
        if digest not in ids:
            ids[digest] = RubricSnapshot.objects.get_or_create(digest=digest, defaults={"config": config})[0].pk
        by_snapshot.setdefault(ids[digest], []).append(pk)
    for snapshot_id, check_ids in by_snapshot.items():
        for i in range(0, len(check_ids), 5000):
            HealthCheck.objects.filter(pk__in=check_ids[i : i + 5000]).update(snapshot_id=snapshot_id)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending trigger events before ALTER TABLE


def checks_from_snapshots(apps, schema_editor):
    HealthCheck = apps.get_model("health", "HealthCheck")
    RubricSnapshot = apps.get_model("health", "RubricSnapshot")
    for snapshot in RubricSnapshot.objects.all():
        HealthCheck.objects.filter(snapshot=snapshot).update(rubric_snapshot=snapshot.config)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("health", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="RubricSnapshot",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("digest", models.CharField(max_length=64, unique=True, verbose_name="摘要")),
                ("config", models.JSONField(verbose_name="评分细则")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="保存时间")),
            ],
            options={
                "verbose_name": "评分细则快照",
                "verbose_name_plural": "评分细则快照",
            },
        ),
        migrations.AddField(
            model_name="healthcheck",
            name="snapshot",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="health.rubricsnapshot",
                verbose_name="评分细则（计算时）",
            ),
        ),
        migrations.AlterField(
            model_name="healthcheck",
            name="rubric_snapshot",
            field=models.JSONField(null=True, verbose_name="评分细则（计算时）"),
        ),
        migrations.RunPython(snapshots_from_checks, checks_from_snapshots),
        migrations.RemoveField(
            model_name="healthcheck",
            name="rubric_snapshot",
        ),
        migrations.AlterField(
            model_name="healthcheck",
            name="snapshot",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="health.rubricsnapshot",
                verbose_name="评分细则（计算时）",
            ),
        ),
        migrations.AlterField(
            model_name="healthcheck",
            name="items",
            field=models.JSONField(verbose_name="各项得分"),
        ),
    ]
