"""Reading a submission out of a request: the HTML form's filename/content pairs or the
JSON API's body. Both produce (kind, files) or raise SubmissionRefused naming the field."""

from __future__ import annotations

import json

from django.http import QueryDict

from labs.services import SubmissionRefused

JSON_FIELDS = {"kind", "files"}


def submission_from_form(post: QueryDict) -> tuple[str, dict[str, str]]:
    """The editor posts one `filename` input and one `content` textarea per file, in order
    (that is also how it works without JavaScript). A block left with no name and no text
    is an unused slot, not an error."""
    names, contents = post.getlist("filename"), post.getlist("content")
    if len(names) != len(contents):
        raise SubmissionRefused("files", "every file needs a name and a text box; reload the page")
    files: dict[str, str] = {}
    for name, text in zip(names, contents, strict=True):
        name = name.strip()
        # Browsers send textareas with CRLF line ends; the sandbox should see what was typed.
        text = text.replace("\r\n", "\n")
        if not name and not text.strip():
            continue
        if not name:
            raise SubmissionRefused("files", "a file has text but no name; give it a name")
        if name in files:
            raise SubmissionRefused("files", f"two files are named {name!r}; rename one")
        files[name] = text
    return post.get("kind", ""), files


def submission_from_json(body: bytes) -> tuple[str, object]:
    """{"kind": "run" | "submit", "files": {"provision.py": "...", ...}}; the files are
    checked by the service."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SubmissionRefused("body", f"the body is not valid JSON ({exc})") from None
    except RecursionError:  # absurdly deep nesting: no real submission looks like this
        raise SubmissionRefused(
            "body", "the body is nested too deeply to be a submission"
        ) from None
    if not isinstance(payload, dict):
        raise SubmissionRefused(
            "body", 'the body must be a JSON object: {"kind": ..., "files": ...}'
        )
    unknown = sorted(set(payload) - JSON_FIELDS)
    if unknown:
        raise SubmissionRefused(unknown[0], f"unknown field {unknown[0]!r}; send kind and files")
    for field in sorted(JSON_FIELDS - set(payload)):
        raise SubmissionRefused(field, f"the field {field!r} is missing")
    if not isinstance(payload["kind"], str):
        raise SubmissionRefused("kind", "kind must be the text 'run' or 'submit'")
    return payload["kind"], payload["files"]
