"""Every view that accepts POST refuses one without a CSRF token, whoever is signed in, and
no view opts out of the check."""

import re
from pathlib import Path
from types import CodeType

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.access import instructor_required

ROOT = Path(settings.BASE_DIR)
CSRF_FAILURE = "CSRF verification failed"
# The code of the wrapper instructor_required puts around a view: finding it in a view's
# __wrapped__ chain says the view is for instructors.
INSTRUCTOR_WRAPPER = next(
    c for c in instructor_required.__code__.co_consts if isinstance(c, CodeType)
)


def _routes(resolver=None, prefix="", namespace=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _routes(pattern, route, inner)
        elif isinstance(pattern, URLPattern):
            yield f"{namespace}{pattern.name}", route, pattern.callback


def _wrapped_chain(view):
    while view is not None:
        yield view
        view = getattr(view, "__wrapped__", None)


def _methods(view) -> set[str] | None:
    """The HTTP methods a view accepts; None when nothing restricts them."""
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        return {m.upper() for m in view_class.http_method_names if hasattr(view_class, m)}
    for func in _wrapped_chain(view):
        code = getattr(func, "__code__", None)
        if code and "request_method_list" in code.co_freevars:  # require_http_methods
            return set(
                func.__closure__[code.co_freevars.index("request_method_list")].cell_contents
            )
    return None


def _for_instructors(view) -> bool:
    return any(getattr(f, "__code__", None) is INSTRUCTOR_WRAPPER for f in _wrapped_chain(view))


def _url(route: str) -> str:
    return "/" + re.sub(r"<(?:(\w+):)?\w+>", lambda m: "1" if m.group(1) == "int" else "x", route)


WRITE_ROUTES = [
    (name, _url(route), _for_instructors(view))
    for name, route, view in _routes()
    if (_methods(view) is None or "POST" in _methods(view))
]


def test_the_walk_finds_the_write_views():
    found = {name: for_instructors for name, _, for_instructors in WRITE_ROUTES}
    assert {
        "login": False,
        "logout": False,
        "courses:mark_done": False,
        "courses:reimport": True,
        "quizzes:attempt_save": False,
        "quizzes_instructor:gift": True,
        "labs:api_submit": False,
        "labs:regrade": True,
    }.items() <= found.items()
    assert "courses:course" not in found and "labs:gradebook_csv" not in found


@pytest.mark.parametrize(
    ("name", "url", "for_instructors"), WRITE_ROUTES, ids=[name for name, _, _ in WRITE_ROUTES]
)
def test_a_post_without_a_csrf_token_is_refused(name, url, for_instructors, learner, instructor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(instructor if for_instructors else learner)
    refused = client.post(url, {"x": "1"})
    assert (refused.status_code, CSRF_FAILURE in refused.content.decode()) == (403, True)
    # The same request with a token gets past the check (whatever the view then answers).
    client.cookies["csrftoken"] = "a" * 32
    accepted = client.post(url, {"x": "1"}, HTTP_X_CSRFTOKEN="a" * 32)
    assert CSRF_FAILURE not in accepted.content.decode()


def test_no_view_is_csrf_exempt():
    sources = [
        path
        for app in ("accounts", "config", "courses", "quizzes", "labs")
        for path in (ROOT / app).rglob("*.py")
        if "csrf_exempt" in path.read_text()
    ]
    assert sources == []
    assert [name for name, _, view in _routes() if getattr(view, "csrf_exempt", False)] == []
