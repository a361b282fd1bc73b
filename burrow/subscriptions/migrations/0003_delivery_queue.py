"""Deliveries asked for over the API wait in a queue (`queued_at`) that schedulers scan through a partial
index; a nullable column and a partial index, so the same operations run on SQLite and PostgreSQL."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("subscriptions", "0002_delivery_claims_and_lean_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="subscriptiondelivery",
            name="queued_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="subscriptiondelivery",
            index=models.Index(
                condition=models.Q(("queued_at__isnull", False)),
                fields=["queued_at"],
                name="delivery_queued_idx",
            ),
        ),
    ]
