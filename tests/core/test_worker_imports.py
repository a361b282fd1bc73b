"""What a web worker loads: the URL conf pulls in no identity-provider library (python3-saml, lxml, xmlsec,
scim2-models, pydantic) and no matplotlib; SAML and SCIM views load on their first request."""

import os
import subprocess
import sys

HEAVY = ("onelogin", "lxml", "xmlsec", "scim2_models", "pydantic", "matplotlib")


def _run(code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)


def test_the_url_conf_loads_no_identity_provider_library():
    done = _run(
        "import sys, django; django.setup()\n"
        "from django.urls import resolve\n"
        "import burrow.urls\n"
        "resolve('/login/saml/'); resolve('/scim/v2/x/Users')\n"
        f"loaded = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_a_saml_or_scim_request_loads_its_views():
    done = _run(
        "import sys, django; django.setup()\n"
        "from django.test import RequestFactory\n"
        "from django.urls import resolve\n"
        "request = RequestFactory().get('/login/saml/metadata/')\n"
        "match = resolve('/login/saml/metadata/')\n"
        "response = match.func(request)\n"
        "assert response.status_code == 404, response.status_code\n"  # no ?domain=: not found, views loaded
        "assert 'onelogin' in sys.modules\n"
    )
    assert done.returncode == 0, done.stderr[-2000:]
