"""/favicon.ico, which browsers ask every site for, is Burrow's icon rather than a 404."""

import io

from django.test import Client
from PIL import Image


def test_the_site_icon_is_a_real_icon_cached_a_day():
    response = Client().get("/favicon.ico")
    assert response.status_code == 200 and response["Content-Type"] == "image/vnd.microsoft.icon"
    assert response["Cache-Control"] == "public, max-age=86400"
    icon = Image.open(io.BytesIO(response.content))
    assert icon.format == "ICO" and (32, 32) in icon.info["sizes"]
