"""Security headers on every response, and a 503 (not a 500) while the database or the
cache is unreachable."""

import json

import pytest
from django.test import Client

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
PERMISSIONS = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "Permissions-Policy": PERMISSIONS,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
UNAVAILABLE = "Coldstart cannot reach its storage for a moment; nothing was saved. Try again."


def _headers(response) -> dict:
    return {name: response.get(name) for name in HEADERS}


def test_pages_static_files_and_refusals_carry_the_security_headers(client, learner, course):
    client.force_login(learner)
    page = client.get("/")
    assert (page.status_code, _headers(page)) == (200, HEADERS)
    static = client.get("/static/js/exam.js")
    # Whitenoise answers before Django's clickjacking middleware runs; a script is not a
    # page anyone can frame, and CSP frame-ancestors covers framing anyway.
    assert (static.status_code, _headers(static)) == (200, {**HEADERS, "X-Frame-Options": None})
    refused = Client(enforce_csrf_checks=True).post("/accounts/login/")
    assert (refused.status_code, _headers(refused)) == (403, HEADERS)


@pytest.fixture
def outage_urls(settings):
    settings.ROOT_URLCONF = "tests.config.outage_urls"


@pytest.mark.parametrize("url", ["/outage/down/", "/outage/closed/", "/outage/cache/"])
def test_an_unreachable_database_or_cache_is_a_503_page(client, outage_urls, url):
    # No database fixture: were the 503 page to touch the database, pytest-django would
    # raise instead of letting it.
    response = client.get(url, HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    page = response.content.decode()
    assert (response.status_code, response["Retry-After"]) == (503, "5")
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert "<h1>Back in a moment</h1>" in page and UNAVAILABLE in page
    assert _headers(response) == HEADERS


def test_json_clients_get_the_error_as_json(client, outage_urls):
    # What static/js/exam.js sends when it autosaves an answer.
    response = client.post(
        "/outage/down/",
        data=json.dumps({"answer": "b", "version": 3}),
        content_type="application/json",
        HTTP_ACCEPT="application/json",
    )
    assert (response.status_code, response["Retry-After"]) == (503, "5")
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {"error": UNAVAILABLE}


def test_other_errors_stay_500(outage_urls):
    response = Client(raise_request_exception=False).get("/outage/bug/")
    assert response.status_code == 500
    assert "Retry-After" not in response
