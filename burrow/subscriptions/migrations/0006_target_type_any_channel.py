"""`target_type` holds any registered delivery channel's type (the modules of delivery/channels/), no longer a
fixed list of choices, with room for longer names than `webhook`. Widening a varchar rewrites no table on
PostgreSQL; SQLite rebuilds these two tables."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("subscriptions", "0005_delivery_retries"),
    ]

    operations = [
        migrations.AlterField(
            model_name="subscription",
            name="target_type",
            field=models.CharField(max_length=32),
        ),
        migrations.AlterField(
            model_name="subscriptiondelivery",
            name="target_type",
            field=models.CharField(max_length=32),
        ),
    ]
