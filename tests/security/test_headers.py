"""Security headers: the production settings send a Content-Security-Policy the pages satisfy."""

import re
import runpy
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
SECURITY_SETTINGS = [
    "MIDDLEWARE",
    "CONTENT_SECURITY_POLICY",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "X_FRAME_OPTIONS",
]
POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


@pytest.fixture
def production(settings, monkeypatch, tmp_path):
    """The security settings as settings.py computes them for production (DEBUG=0)."""
    monkeypatch.setenv("DEBUG", "0")
    monkeypatch.setenv("SECRET_KEY", "a-production-secret-key-for-the-header-test-only-0123456789")
    monkeypatch.setenv("ALLOWED_HOSTS", "testserver")
    for name in ("SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "CSRF_COOKIE_SECURE"):
        monkeypatch.delenv(name, raising=False)
    computed = runpy.run_path(str(ROOT / "innovation_center" / "settings.py"))
    assert computed["DEBUG"] is False
    for name in SECURITY_SETTINGS:
        setattr(settings, name, computed[name])
    settings.DEBUG = False
    settings.STATIC_ROOT = tmp_path  # WhiteNoise serves collected files from there
    return computed


def policy_of(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    directives = (part.strip().split(" ", 1) for part in header.split(";") if part.strip())
    return {name: value for name, value in directives}


@pytest.mark.django_db
def test_it_sends_the_content_security_policy_and_the_security_headers_in_production(
    client, production
):
    response = client.get(reverse("accounts:login"), secure=True)

    assert response.status_code == 200
    assert policy_of(response) == POLICY
    assert response.headers["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains; preload"
    )
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response.cookies["csrftoken"]["secure"] is True


@pytest.mark.django_db
def test_it_redirects_plain_http_to_https_in_production(client, production):
    response = client.get(reverse("accounts:login"))

    assert response.status_code == 301
    assert response.headers["Location"].startswith("https://testserver/")


@pytest.mark.django_db
def test_it_enforces_the_policy_under_debug_too(client):
    # The browser tests run with DEBUG on: they check the policy the pages really get.
    response = client.get(reverse("accounts:login"))

    assert policy_of(response) == POLICY
    assert "Content-Security-Policy-Report-Only" not in response.headers


@pytest.mark.django_db
def test_it_relaxes_only_the_styles_and_workers_of_the_redoc_page(client):
    swagger = policy_of(client.get(reverse("api:docs")))
    redoc = policy_of(client.get(reverse("api:redoc")))

    assert swagger == POLICY
    assert redoc["script-src"] == "'self'"
    assert redoc["style-src"] == "'self' 'unsafe-inline'"
    assert redoc["worker-src"] == "'self' blob:"


@pytest.mark.django_db
def test_it_serves_the_swagger_init_script_as_a_file(client):
    page = client.get(reverse("api:docs")).content.decode()
    script = re.search(r'<script src="([^"]*script=[^"]*)"', page)

    assert script, page
    response = client.get(script.group(1).replace("&amp;", "&"))
    assert response.status_code == 200
    assert "SwaggerUIBundle" in response.content.decode()
    assert "<style" not in page and "<script>" not in page
    assert "fonts.googleapis.com" not in client.get(reverse("api:redoc")).content.decode()


INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)[^>]*>"  # a script element with a body
    r"|<style[\s>]"  # a style element
    r"|\sstyle\s*=\s*[\"']"  # a style attribute (HTML or SVG)
    r"|\son[a-z]+\s*=\s*[\"']",  # an event handler attribute
    re.IGNORECASE,
)


def template_files():
    yield from (ROOT / "templates").rglob("*.html")
    yield from (ROOT / "innovation_center").rglob("templates/**/*.html")


def test_it_leaves_no_inline_script_style_or_handler_in_the_templates():
    found = []
    for path in template_files():
        text = re.sub(
            r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}|{#.*?#}", "", path.read_text(), flags=re.S
        )
        found += [f"{path.relative_to(ROOT)}: {m.group(0).strip()}" for m in INLINE.finditer(text)]

    assert found == []
