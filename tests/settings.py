"""Settings for the test suite: production settings with a fixed key, a data dir and test database of
their own, so a test run writes nothing into the repository or the data of `make run`.

`burrow` processes that tests start inherit DJANGO_SETTINGS_MODULE and BURROW_TEST_DATA_DIR, so they load
these settings too and share the run's key and data dir."""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

from burrow.settings import *  # noqa: F403
from burrow.settings import DATABASES

SECRET_KEY = "burrow-tests-only-not-a-secret"

if os.environ.get("BURROW_TEST_DATA_DIR"):
    DATA_DIR = Path(os.environ["BURROW_TEST_DATA_DIR"])
else:
    DATA_DIR = Path(tempfile.mkdtemp(prefix="burrow-test-"))
    os.environ["BURROW_TEST_DATA_DIR"] = str(DATA_DIR)
    atexit.register(shutil.rmtree, DATA_DIR, ignore_errors=True)

STATIC_ROOT = DATA_DIR / "static"
METRICS_DIR = DATA_DIR / "metrics"
os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(METRICS_DIR)

DATABASES = {"default": dict(DATABASES["default"])}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if "DATABASE_URL" not in os.environ:
        DATABASES["default"]["NAME"] = str(DATA_DIR / "burrow.sqlite3")
    # A file test database (not shared-cache memory) so scheduler threads and processes in tests share it;
    # one per test process, so concurrent runs never meet.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-{os.getpid()}.sqlite3")}
