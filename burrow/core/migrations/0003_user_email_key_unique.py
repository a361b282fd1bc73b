"""`User.email_key` required and unique, once 0002 filled it (in its own transaction: PostgreSQL refuses to
alter a table with pending deferred checks from the rows just updated)."""

from django.db import migrations, models

from burrow.core.addresses import MAX_KEY_LENGTH


class Migration(migrations.Migration):
    dependencies = [("core", "0002_user_email_key")]

    operations = [
        migrations.AlterField(
            model_name="user",
            name="email_key",
            field=models.CharField(editable=False, max_length=MAX_KEY_LENGTH, unique=True),
        ),
    ]
