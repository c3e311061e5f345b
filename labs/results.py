"""How a stored result (the sandbox's result contract) is shown to its learner."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from labs.models import Submission


@dataclass(frozen=True)
class CheckLine:
    name: str
    passed: bool
    points: float
    max_points: float
    message: str
    hint: str


@dataclass(frozen=True)
class Resource:
    type: str
    name: str
    details: list[tuple[str, str]]


@dataclass
class ResultView:
    submission: Submission
    reason: str = ""
    checks: list[CheckLine] = field(default_factory=list)
    output: str = ""
    inventory: list[tuple[str, list[Resource]]] = field(default_factory=list)
    lambda_logs: str = ""
    total_ms: float | None = None

    @property
    def failed(self) -> list[CheckLine]:
        return [c for c in self.checks if not c.passed]


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    return str(value)


def _resources(items: object) -> list[Resource]:
    out = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            out.append(Resource(type="", name=_text(item), details=[]))
            continue
        name = item.get("name") or item.get("id") or item.get("arn") or ""
        details = [(str(k), _text(v)) for k, v in item.items() if k not in ("type", "name", "id")]
        if item.get("name") and item.get("id"):
            details.insert(0, ("id", _text(item["id"])))
        out.append(Resource(type=_text(item.get("type")), name=_text(name), details=details))
    return out


def present(submission: Submission) -> ResultView:
    result = submission.result or {}
    view = ResultView(submission=submission)
    if not isinstance(result, dict):
        return view
    # Reasons from the grader may name server paths; learners see content-relative ones.
    view.reason = _text(result.get("reason"))
    for root in {Path(settings.CONTENT_DIR), Path(settings.CONTENT_DIR).resolve()}:
        view.reason = view.reason.replace(f"{root}/", "content/")
    for check in result.get("checks") or []:
        view.checks.append(
            CheckLine(
                name=_text(check.get("name")),
                passed=bool(check.get("passed")),
                points=check.get("points") or 0,
                max_points=check.get("max_points") or 0,
                message=_text(check.get("message")),
                hint=_text(check.get("hint")),
            )
        )
    view.output = _text(result.get("output"))
    inventory = result.get("inventory") or {}
    if isinstance(inventory, dict):
        view.inventory = [
            (service, _resources(items)) for service, items in sorted(inventory.items()) if items
        ]
    logs = result.get("lambda_logs")
    if isinstance(logs, dict):
        logs = "\n".join(f"--- {name}\n{_text(text)}" for name, text in logs.items())
    elif isinstance(logs, list):
        logs = "\n".join(_text(line) for line in logs)
    view.lambda_logs = _text(logs)
    timings = result.get("timings") or {}
    if isinstance(timings, dict) and isinstance(timings.get("total_ms"), int | float):
        view.total_ms = timings["total_ms"]
    return view
