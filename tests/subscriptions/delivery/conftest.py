"""Shared by the channel tests: an insight result to report, and retries that come at once."""

import pytest

SERIES = [{"label": "Signups", "data": [1, 2, 3], "labels": ["a", "b", "c"]}]


@pytest.fixture
def quick_retries(settings):
    settings.DELIVERY_RETRY_DELAY = 0.01
