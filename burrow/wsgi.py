"""The WSGI application `burrow serve` runs; a server started some other way gets the same checks."""

import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "burrow.settings")
application = get_wsgi_application()


def _check_secret_key() -> None:
    """Refuse to start without a key, with the next step, rather than fail on the first signed link."""
    from django.conf import settings

    from burrow.config import MISSING_SECRET_KEY

    try:
        settings.SECRET_KEY  # noqa: B018 - Django raises on an empty key
    except ImproperlyConfigured:
        raise ImproperlyConfigured(MISSING_SECRET_KEY) from None


_check_secret_key()
