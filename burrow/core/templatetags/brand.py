"""`{% brand_name %}` in every template (a builtin: settings.py): the product's name where Burrow names
itself on a page, BURROW_BRAND_NAME (default "Burrow")."""

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def brand_name() -> str:
    return settings.BRAND_NAME
