"""The API's JSON renderer: DRF's output, written by orjson.

DRF's JSONRenderer encodes with the standard library (its C encoder, calling back into Python for dates and
other types); orjson writes the same JSON several times faster, which is most of the cost of a large answer
(a page of 100 dashboards is ~110 kB). Everything DRF's encoder handles specially — dates and times, decimals,
lazy strings, querysets, any other iterable — still goes through DRF's encoder, so the text is the same,
apart from how floats in exponent form are spelled (`1e-07` is written `1e-7`: the same number). What orjson
cannot write (integers beyond 64 bits, strings that are not UTF-8) and indented answers (`Accept:
application/json; indent=2`) are left to DRF's renderer."""

import orjson
from rest_framework import renderers

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
# DRF escapes these two so that the JSON is also valid JavaScript; orjson writes them as they are.
_LINE_SEPARATOR, _PARAGRAPH_SEPARATOR = "\u2028".encode(), "\u2029".encode()


class JSONRenderer(renderers.JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None or self.get_indent(accepted_media_type, renderer_context or {}) is not None:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            text = orjson.dumps(data, default=self.encoder_class().default, option=_OPTIONS)
        except TypeError:
            return super().render(data, accepted_media_type, renderer_context)
        if b"\xe2\x80" in text:
            text = text.replace(_LINE_SEPARATOR, b"\\u2028").replace(_PARAGRAPH_SEPARATOR, b"\\u2029")
        return text
