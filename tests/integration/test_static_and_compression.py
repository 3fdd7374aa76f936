"""Static files under versioned names with long-lived caching; gzip for public answers only."""
import gzip
import hashlib
import re
from pathlib import Path

import pytest

from timetics import PROJECT_ROOT

from ..booking_helpers import create_booking_setup
from ..conftest import login

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


@pytest.fixture
def setup(app, make_user):
    return create_booking_setup(app, make_user)


def static_urls(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


def test_pages_link_static_files_by_a_hash_of_their_content(client, setup):
    html = client.get("/book/intro-call").get_data(as_text=True)
    urls = static_urls(html)
    assert sorted(u.split(".")[-1] for u in urls) == ["css", "js"]
    for url in urls:
        original = re.sub(r"\.[0-9a-f]{12}\.", ".", url).removeprefix("/static/")
        content = (PROJECT_ROOT / "static" / original).read_bytes()
        assert hashlib.sha256(content).hexdigest()[:12] in url
        response = client.get(url)
        assert response.status_code == 200 and response.data == content
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        response.close()


def test_a_plain_or_stale_name_is_never_cached_for_long(client):
    plain = client.get("/static/js/embed.js")
    assert plain.status_code == 200
    assert "max-age=31536000" not in plain.headers["Cache-Control"]
    assert "no-cache" in plain.headers["Cache-Control"]
    plain.close()
    assert client.get("/static/js/embed.000000000000.js").status_code == 404
    assert client.get("/static/js/no-such-file.js").status_code == 404


def test_the_icon_is_inside_the_page(client, setup):
    html = client.get("/book/intro-call").get_data(as_text=True)
    assert '<link rel="icon" href="data:image/svg+xml,%3Csvg xmlns=' in html


def test_the_booking_page_is_sent_gzipped_and_says_it_varies(client, setup):
    plain = client.get("/book/intro-call?tz=UTC")
    assert "Content-Encoding" not in plain.headers
    assert "Accept-Encoding" in plain.headers["Vary"]
    packed = client.get("/book/intro-call?tz=UTC", headers=GZIP)
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.data) == plain.data
    assert len(packed.data) < len(plain.data) / 3


def test_static_files_are_gzipped_with_a_weak_validator(client):
    url = static_urls(client.get("/login").get_data(as_text=True))[0]
    response = client.get(url, headers=GZIP)
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.data) == Path(PROJECT_ROOT, "static/css/app.css").read_bytes()
    assert response.headers["ETag"].startswith('W/"')
    etag = response.headers["ETag"]
    response.close()
    again = client.get(url, headers={**GZIP, "If-None-Match": etag})
    assert again.status_code == 304
    again.close()


def test_pages_with_a_signed_in_users_secrets_are_not_compressed(client, admin, setup):
    """BREACH: a CSRF token next to reflected input must not be compressed."""
    login(client, admin.email)
    for path in ("/dashboard", "/book/intro-call?tz=UTC", "/settings/integrations/zoom"):
        response = client.get(path, headers=GZIP)
        assert response.status_code == 200, path
        assert "Content-Encoding" not in response.headers, path
