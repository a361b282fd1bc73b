"""Assertions shared by every test module: PostHog's error envelope."""

ERROR_KEYS = {"type", "code", "detail", "attr"}


def error_envelope(response) -> dict:
    """The body of an error response, after checking it has exactly PostHog's four keys."""
    body = response.json()
    assert set(body) == ERROR_KEYS, body
    return body


def error(response, status: int = 400) -> dict:
    assert response.status_code == status, response.content
    return error_envelope(response)
