"""Request body parsing: DRF's JSON parser with a nesting limit, so a hostile document is a 400 parse error
instead of a RecursionError deep inside the JSON decoder, a serializer or the database adapter; and text no
database can store (a lone surrogate, a NUL) is a 400 naming where it sits in the document."""

from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ErrorDetail, ParseError, ValidationError

from burrow.core.textsafety import MAX_JSON_DEPTH, find_unstorable, json_depth


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        try:
            document = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels") from None
        if json_depth(document) > MAX_JSON_DEPTH:
            raise ParseError(f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels")
        found = find_unstorable(document)
        if found:
            # A validation error, not a ParseError: authentication, which reads the body for a key and skips
            # a body that does not parse, must not go on as if the request had no body.
            path, detail = found
            error: dict | list = [ErrorDetail(detail, code="invalid_input")]
            for key in reversed(path):  # nested as a serializer's errors, so `attr` joins the path alike
                error = {key: error}
            raise ValidationError(error)
        return document
