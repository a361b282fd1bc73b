"""Adds `User.email_key`, the one spelling of each address (burrow.core.addresses.address_key), and fills it.

Two existing accounts whose addresses are look-alikes (`bob@tsinc.example` and `bob@tſinc.example`, or
`Bob@…` and `bob@…`) would get the same key. Nothing is deleted or merged here: the oldest account (by
date joined, then id) keeps the key, and so stays the one its address signs in to; each younger one gets a
key no address can have (`<key> (duplicate of user <id>; user <id>)`), keeps all its data and stays reachable
by id, and is listed on standard error for the operator to merge (or give another address) by hand."""

import sys

from django.db import migrations, models

from burrow.core.addresses import MAX_KEY_LENGTH, InvalidAddress, address_key


def _key(email: str) -> str:
    try:
        return address_key(email)
    except InvalidAddress:
        # An address stored before validation was this strict: kept unique, never matched by a look-up.
        return email.strip().casefold()[:MAX_KEY_LENGTH]


def fill_email_keys(apps, schema_editor) -> None:
    User = apps.get_model("core", "User")
    owners: dict[str, tuple[int, str]] = {}
    duplicates: list[str] = []
    for user in User.objects.order_by("date_joined", "pk").only("pk", "email"):
        key = _key(user.email)
        if key in owners:
            owner_pk, owner_email = owners[key]
            suffix = f" (duplicate of user {owner_pk}; user {user.pk})"
            key = key[: MAX_KEY_LENGTH - len(suffix)] + suffix
            duplicates.append(
                f"  user {user.pk} <{user.email}> is the same address as user {owner_pk} <{owner_email}>"
            )
        else:
            owners[key] = (user.pk, user.email)
        User.objects.filter(pk=user.pk).update(email_key=key)
    if duplicates:
        sys.stderr.write(
            "burrow: WARNING these accounts have look-alike addresses of an older account, which keeps the "
            "address for sign-in, SAML and SCIM; nothing was deleted. Move what matters to the older account "
            "and delete the younger one, or give it another address:\n" + "\n".join(duplicates) + "\n"
        )


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="user",
            name="email_key",
            field=models.CharField(editable=False, max_length=MAX_KEY_LENGTH, null=True),
        ),
        migrations.RunPython(fill_email_keys, migrations.RunPython.noop),
    ]
