"""The API docs pages (Swagger UI, Redoc) as a browser gets them from a real `burrow serve`: every script,
stylesheet, picture and schema they name answers from Burrow itself (no CDN, no font host), under
content-hashed names, compressed, with a cache that never needs to ask again."""

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

PAGES = ["/api/schema/swagger-ui/", "/api/schema/redoc/"]
LINK_ATTRIBUTES = {"src", "href", "spec-url"}
ONE_YEAR = 365 * 24 * 3600


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.links += [value for name, value in attrs if name in LINK_ATTRIBUTES and value]


def _page_links(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    # Swagger UI names its schema in the inline script: `url: "/api/schema/"`.
    links = parser.links + re.findall(r'\burl: "([^"]+)"', html)
    return [link for link in links if not link.startswith("data:")]


def _referenced(url: str, body: str) -> list[str]:
    """What a stylesheet or script fetches in turn: CSS `url(…)` (not inline `data:`) and source maps."""
    found = re.findall(r"^(?://|/\*)# sourceMappingURL=([^\s*]+)", body, re.MULTILINE)
    if url.endswith(".css"):
        found += [ref.strip("'\"") for ref in re.findall(r"url\(([^)]+)\)", body)]
    return [ref for ref in found if not ref.startswith("data:")]


def _fetch_all(start: str) -> dict[str, httpx.Response]:
    """The page and everything it names, transitively, as {absolute URL: response}."""
    responses: dict[str, httpx.Response] = {}
    pending = [start]
    with httpx.Client(timeout=20) as client:
        while pending:
            url = pending.pop()
            if url in responses:
                continue
            response = responses[url] = client.get(url)
            if url == start:
                refs = _page_links(response.text)
            elif url.endswith((".css", ".js")):
                refs = _referenced(url, response.text)
            else:
                refs = []
            pending += [urljoin(url, ref) for ref in refs]
    return responses


@pytest.mark.parametrize("page", PAGES)
def test_docs_page_loads_everything_it_names_from_burrow_itself(burrow_server, page):
    host = urlsplit(burrow_server.url).netloc
    responses = _fetch_all(burrow_server.url + page)

    page_response = responses[burrow_server.url + page]
    assert page_response.status_code == 200 and "text/html" in page_response.headers["content-type"]
    foreign = [url for url in responses if urlsplit(url).netloc != host]
    assert foreign == [], f"{page} names other hosts: {foreign}"
    absolute = re.findall(r"(?:https?:)?//[\w.-]+\.\w+", page_response.text)
    assert absolute == [], f"{page} spells out other hosts: {absolute}"
    assert {url: r.status_code for url, r in responses.items() if r.status_code != 200} == {}
    scripts = [url for url in responses if urlsplit(url).path.endswith(".js")]
    assert scripts, responses.keys()


def test_redoc_comes_without_the_address_it_would_fetch_elsewhere(burrow_server):
    url = burrow_server.url + "/api/schema/redoc/bundles/redoc.standalone.js"
    plain = httpx.get(url, headers={"Accept-Encoding": "identity"}, timeout=10)
    zipped = httpx.get(url, timeout=10)  # httpx asks for gzip and unpacks it
    assert plain.status_code == zipped.status_code == 200
    assert zipped.headers["content-encoding"] == "gzip" and "content-encoding" not in plain.headers
    assert plain.content == zipped.content and len(plain.content) > 500_000  # Redoc, whole
    assert b"cdn.redoc.ly" not in plain.content and b"API docs by Redocly" in plain.content
    assert b"sourceMappingURL=redoc" not in plain.content  # a map of the original would be off


def test_static_files_have_hashed_names_gzip_and_an_immutable_cache(burrow_server):
    responses = _fetch_all(burrow_server.url + "/api/schema/swagger-ui/")
    assets = {url: r for url, r in responses.items() if urlsplit(url).path.startswith("/static/")}
    assert any(url.endswith(".css") for url in assets) and any(url.endswith(".map") for url in assets)
    for url, response in assets.items():
        assert re.search(r"\.[0-9a-f]{12}\.\w+$", url), f"{url} has no content hash in its name"
        cache = response.headers["cache-control"]
        assert "immutable" in cache and int(re.search(r"max-age=(\d+)", cache)[1]) >= ONE_YEAR, (url, cache)
        if url.endswith((".js", ".css")):
            assert response.headers.get("content-encoding") == "gzip", url

    # A name without its hash (or a file that was never collected) is not served.
    bundle = next(url for url in assets if "swagger-ui-bundle" in url and url.endswith(".js"))
    unhashed = re.sub(r"\.[0-9a-f]{12}\.js$", ".js", bundle)
    assert httpx.get(unhashed, timeout=10).status_code == 404
