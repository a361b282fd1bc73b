"""Deliveries waiting to retry recipients that failed transiently (`retry_at`, scanned through a partial
index like the queue) and the channel progress a retry resumes from (`channel_state`); nullable columns, so
the scheduler's batch insert needs no change and the same operations run on SQLite and PostgreSQL."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("subscriptions", "0004_subscription_recipients_added_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="subscriptiondelivery",
            name="retry_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="subscriptiondelivery",
            name="channel_state",
            field=models.JSONField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="subscriptiondelivery",
            index=models.Index(
                condition=models.Q(("retry_at__isnull", False)),
                fields=["retry_at"],
                name="delivery_retry_idx",
            ),
        ),
    ]
