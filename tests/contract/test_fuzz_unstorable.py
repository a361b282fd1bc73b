"""Text no database can store, sent to every operation of Burrow's OpenAPI schema in each place it takes
text: a lone surrogate (no UTF-8 form; only a JSON escape can carry it) in JSON strings and keys, and a NUL
(PostgreSQL refuses it in text and jsonb) there, in form fields, query parameters and path segments. No
answer may be a server error. One targeted request for each place, built from the schema and the fuzz
tenant's valid bodies (test_fuzz.py), rather than more Hypothesis examples: seconds, not minutes."""

import json

import pytest

from tests.contract import test_fuzz
from tests.contract.test_fuzz import VALID_BODIES, VALID_QUERIES, Ref, kind_of, resolve, route_of, schema

fuzz_tenant = test_fuzz.fuzz_tenant  # the fuzz tests' tenant, with one object of each kind

SURROGATE, NUL = "\ud800", "\x00"


def poisoned(value, bad: str):
    """`value` with `bad` appended to every string in it."""
    if isinstance(value, str):
        return value + bad
    if isinstance(value, dict):
        return {key: poisoned(item, bad) for key, item in value.items()}
    if isinstance(value, list):
        return [poisoned(item, bad) for item in value]
    return value


def poisoned_fields(operation, valid: dict, bad: str) -> dict:
    """Each field of the body (the valid body's and those the schema documents) holding `bad`: every string
    of a valid value, a string, or a key and values of a free-form (JSON) object; fields that take no text
    are left out."""
    json_body = next(b for b in operation.body if b.media_type == "application/json")
    fields = {name: poisoned(value, bad) for name, value in valid.items() if poisoned(value, bad) != value}
    for name, spec in (json_body.resolved_schema.get("properties") or {}).items():
        if name in fields:
            continue
        if spec.get("type") == "string":
            fields[name] = f"text{bad}"
        elif spec.get("type") == "array" and spec.get("items", {}).get("type") == "string":
            fields[name] = [f"text{bad}"]
        elif "type" not in spec:
            fields[name] = {"kind": f"value{bad}", f"key{bad}": [f"item{bad}"]}
    return fields


def unstorable_requests(operation, ids: dict) -> list[tuple[str, dict]]:
    """What to send `operation`: (where the bad text sits, `Case` keyword arguments), one request for each
    field, query parameter and path segment, so no other field's refusal hides what one does to the view."""
    path_parameters = {p.name: Ref(kind_of(p.name, operation.path)) for p in operation.path_parameters}
    if any(ref.kind not in ids for ref in path_parameters.values()):
        return []  # the fuzz test above fails, asking for an object of that kind
    path_parameters = resolve(path_parameters, ids)
    route = route_of(operation.method, operation.path)
    query = VALID_QUERIES.get(route, {})
    requests = []
    if operation.body:
        valid = resolve(VALID_BODIES.get(route, {}), ids)
        for bad in (SURROGATE, NUL):
            for name, value in {**poisoned_fields(operation, valid, bad), f"key{bad}": "value"}.items():
                body = {**valid, name: value}
                requests.append(
                    (f"JSON {name!r} with {bad!r}", {"body": body, "media_type": "application/json"})
                )
        # Form bodies are bytes too: only a NUL travels; one request, a NUL in every text field (as JSON text
        # in a free-form one, which decodes it: `\u0000`).
        form = {**valid, **poisoned_fields(operation, valid, NUL)}
        form = {name: json.dumps(v) if isinstance(v, dict) else v for name, v in form.items()}
        form = {name: value for name, value in form.items() if isinstance(value, str)}
        requests.append(("form", {"body": form, "media_type": "application/x-www-form-urlencoded"}))
    # Query strings and paths are bytes: a surrogate cannot travel in them, a NUL can (`%00`).
    for parameter in operation.query:
        requests.append((f"query {parameter.name}", {"query": {**query, parameter.name: f"text{NUL}"}}))
    for name in path_parameters:
        requests.append(
            (f"path {name}", {"path_parameters": {**path_parameters, name: f"{path_parameters[name]}{NUL}"}})
        )
    return [
        (where, {"path_parameters": path_parameters, "query": query, **kwargs}) for where, kwargs in requests
    ]


@pytest.mark.django_db(transaction=True)
def test_unstorable_text_anywhere_is_never_a_server_error(fuzz_tenant):
    headers = {"Authorization": f"Bearer {fuzz_tenant.key}"}
    failures = []
    routes = set()
    for result in schema.get_all_operations():
        operation = result.ok()
        route = route_of(operation.method, operation.path)
        if route in routes:
            continue  # the project and environment routes of an operation run the same code
        routes.add(route)
        for where, kwargs in unstorable_requests(operation, fuzz_tenant.ids):
            response = operation.Case(**kwargs).call(headers=headers)
            if response.status_code >= 500:
                failures.append(f"{operation.label}, {where}: {response.status_code}")
    assert not failures, "server errors:\n" + "\n".join(failures)
