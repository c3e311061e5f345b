"""Helpers for the authoring page tests: logged-in clients and form payloads."""

import pytest
from django.test import Client

from quizzes.forms import TYPE_LISTS

BOOLEAN_FIELDS = {"correct", "DELETE"}


@pytest.fixture
def instructor_client(instructor) -> Client:
    client = Client()
    client.force_login(instructor)
    return client


@pytest.fixture
def learner_client(learner) -> Client:
    client = Client()
    client.force_login(learner)
    return client


def form_data(question: dict, *, rows: dict | None = None) -> dict:
    """POST data for the editor from a question dict in the YAML shape (as a browser would
    send it: every list of the type as a formset, checkboxes only when ticked)."""
    data: dict = {}
    for key in ("slug", "domain", "difficulty", "stem", "explanation", "unit", "generator"):
        if key in question:
            data[key] = question[key]
    for key in ("answer", "tolerance"):
        if key in question:
            data[key] = str(question[key])
    if "params" in question:
        data["params"] = "\n".join(f"{k}: {v}" for k, v in question["params"].items())
    data["lessons"] = list(question.get("lessons", []))
    data["facts"] = list(question.get("facts", []))
    for prefix in TYPE_LISTS[question["type"]]:
        entries = (rows or {}).get(prefix, question.get(prefix, []))
        data[f"{prefix}-TOTAL_FORMS"] = str(len(entries))
        data[f"{prefix}-INITIAL_FORMS"] = "0"
        data[f"{prefix}-MIN_NUM_FORMS"] = "0"
        data[f"{prefix}-MAX_NUM_FORMS"] = "1000"
        for i, entry in enumerate(entries):
            if isinstance(entry, str):
                entry = {"text": entry}
            for field, value in entry.items():
                name = f"{prefix}-{i}-{field}"
                if field in BOOLEAN_FIELDS:
                    if value:
                        data[name] = "on"
                else:
                    data[name] = "" if value is None else str(value)
    return data
