# The health tables' foreign keys get their database constraints back (dropped by 0003 for the
# SQL scoring path, health/compute_sql.py, removed with it).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('health', '0003_fewer_triggers_and_indexes_on_checks'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='healthcheck',
            name='branch',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='branches.branch', verbose_name='党支部'),
        ),
        migrations.AlterField(
            model_name='healthcheck',
            name='rubric',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='health.rubric', verbose_name='评分细则'),
        ),
        migrations.AlterField(
            model_name='healthcheck',
            name='snapshot',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='health.rubricsnapshot', verbose_name='评分细则（计算时）'),
        ),
        migrations.AlterField(
            model_name='healthcheckevent',
            name='by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL, verbose_name='操作人'),
        ),
        migrations.AlterField(
            model_name='healthcheckevent',
            name='health_check',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='health.healthcheck', verbose_name='政治体检'),
        ),
    ]
