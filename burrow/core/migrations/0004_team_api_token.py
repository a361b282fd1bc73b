"""Adds `Team.api_token`, the environment's public `phc_…` token for browser clients, one per environment."""

from django.db import migrations, models

import burrow.core.models


def fill_api_tokens(apps, schema_editor) -> None:
    Team = apps.get_model("core", "Team")
    for team in Team.objects.only("pk"):
        Team.objects.filter(pk=team.pk).update(api_token=burrow.core.models.generate_project_token())


class Migration(migrations.Migration):
    dependencies = [("core", "0003_user_email_key_unique")]

    operations = [
        migrations.AddField(
            model_name="team", name="api_token", field=models.CharField(max_length=64, null=True)
        ),
        migrations.RunPython(fill_api_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="team",
            name="api_token",
            field=models.CharField(
                default=burrow.core.models.generate_project_token, max_length=64, unique=True
            ),
        ),
    ]
