"""The one view of the ceiling app.

It performs the write the real autosave performs, with the same code: the quick autosave's
one conditional UPDATE (quizzes.exams.quick_save_answer: answer, version and answered_at of
one AttemptItem, if the version matches, the attempt is the learner's and open, and the
session is still stored), and answers with the new version in a tiny JSON body. It skips
everything around that write on purpose: no middleware (no session loaded, no sign-in or
CSRF check) and no autosave token; the learner's id comes in the URL, the session key from
the cookie the client sends anyway. The gap between this and the real endpoint is what
those cost.
"""

import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from quizzes import exams


def save(request: HttpRequest, user: int, pk: int, position: int) -> HttpResponse:
    payload = json.loads(request.body)
    saved = exams.quick_save_answer(
        user_id=user,
        session_key=request.COOKIES.get(settings.SESSION_COOKIE_NAME, ""),
        attempt_pk=pk,
        position=position,
        answer=payload["answer"],
        base_version=payload["version"],
    )
    body = json.dumps({"version": saved.version if saved else payload["version"]}).encode()
    # The real app's CommonMiddleware sets Content-Length; without it gunicorn would chunk
    # the body, which neither endpoint should pay for.
    return HttpResponse(
        body,
        status=200 if saved else 409,  # 409: not written (a stale version, say)
        content_type="application/json",
        headers={"Content-Length": str(len(body))},
    )
