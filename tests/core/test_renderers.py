"""The API's JSON renderer (orjson) writes what DRF's renderer writes, byte for byte, for everything an
answer holds; what orjson cannot write falls back to DRF's renderer instead of failing."""

import datetime
import decimal
import uuid

import pytest
from django.utils.functional import lazy
from rest_framework import renderers
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from burrow.core.renderers import JSONRenderer

lazy_text = lazy(lambda: "läzy", str)

ANSWERS = [
    None,
    {},
    {"id": 1, "name": "Ünïcode ☃ 日本", "deleted": False, "ratio": 0.5, "tiles": [], "none": None},
    {"created_at": datetime.datetime(2026, 12, 7, 16, 30, 5, 123456, tzinfo=datetime.UTC)},
    {"at": datetime.datetime(2026, 12, 7, 16, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))},
    {"day": datetime.date(2026, 12, 7), "time": datetime.time(8, 30), "span": datetime.timedelta(minutes=3)},
    {"uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"), "amount": decimal.Decimal("1.25")},
    {"lazy": lazy_text(), "set": {3}, "tuple": (1, "two"), "bytes": b"raw"},
    {1: "int key", "nested": {"deep": [{"x": [1, 2, {"y": None}]}]}},
    {"separators": "line\u2028paragraph\u2029end", "quote": '"\\/</script>'},
    ReturnDict({"results": ReturnList([{"a": 1}], serializer=None)}, serializer=None),
    [1, -2, 2**63 - 1, -(2**63), 1.5, -0.0, 123456.789],
]


@pytest.mark.parametrize("data", ANSWERS)
def test_the_same_bytes_as_drfs_renderer(data):
    assert JSONRenderer().render(data) == renderers.JSONRenderer().render(data)


def test_what_orjson_cannot_write_is_left_to_drf():
    huge = {"count": 2**80}
    assert (
        JSONRenderer().render(huge)
        == renderers.JSONRenderer().render(huge)
        == b'{"count":1208925819614629174706176}'
    )
    indented = JSONRenderer().render({"a": [1]}, "application/json; indent=2", {})
    assert indented == renderers.JSONRenderer().render({"a": [1]}, "application/json; indent=2", {})
    assert b"\n" in indented
    with pytest.raises(TypeError):  # what neither can write still fails as before
        JSONRenderer().render({"object": object()})
