"""YAML loading that remembers line numbers, so content errors can say where."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from courses.content_errors import ContentError, ContentErrors

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class LineDict(dict):
    """A mapping from a YAML file with the line of itself and of each key."""

    line: int = 0
    key_lines: dict

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list):
    line: int = 0


class _Loader(yaml.SafeLoader):
    pass


def _mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise ContentError(
                "",
                key_node.start_mark.line + 1,
                f"key {key!r} appears twice in this mapping",
                "keep one of them",
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


def load_yaml(path: Path, display_name: str) -> object:
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ContentError(display_name, None, "file not found", f"create {display_name}") from None
    except UnicodeDecodeError as exc:
        raise ContentError(
            display_name, None, f"not UTF-8 ({exc.reason})", "save it as UTF-8"
        ) from None
    return load_yaml_text(text, display_name)


def load_yaml_text(text: str, display_name: str, *, what: str = "YAML") -> object:
    """Parse YAML text (e.g. a lab's front matter) into LineDict/LineList values; errors are
    ContentErrors naming display_name, the line and `what` ("malformed front matter: ...")."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader subclass
    except ContentError as exc:
        exc.file = display_name
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = " ".join(filter(None, [exc.context, exc.problem]))
        raise ContentError(
            display_name,
            line,
            f"malformed {what}: {problem}",
            "check indentation and quoting on that line (a ':' inside a value needs quotes)",
        ) from None
    except yaml.YAMLError as exc:
        raise ContentError(
            display_name, None, f"malformed {what}: {exc}", "fix the YAML syntax"
        ) from None


class FieldReader:
    """Pulls typed fields out of YAML mappings, collecting errors with their lines."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.errors: list[ContentError] = []

    def error(self, line: int | None, message: str, hint: str = "") -> None:
        self.errors.append(ContentError(self.file, line, message, hint))

    def mapping(self, value: object, what: str, line: int) -> LineDict | None:
        if not isinstance(value, LineDict):
            self.error(line, f"{what} must be a mapping (key: value lines)")
            return None
        return value

    def keys(self, data: LineDict, what: str, allowed: set[str]) -> None:
        for key in data:
            if key not in allowed:
                self.error(
                    data.line_of(key),
                    f"unknown key {key!r} in {what}",
                    f"allowed keys are {', '.join(sorted(allowed))}",
                )

    def text(self, data: LineDict, key: str, what: str, *, required: bool = True) -> str:
        value = data.get(key)
        if value is None:
            if required:
                self.error(data.line, f"{what} has no {key!r}", f"add '{key}: ...'")
            return ""
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            self.error(data.line_of(key), f"{what}: {key!r} must be text")
            return ""
        return str(value).strip()

    def slug(self, data: LineDict, key: str, what: str) -> str:
        value = self.text(data, key, what)
        if value and not SLUG.match(value):
            self.error(
                data.line_of(key),
                f"{what}: {value!r} is not a valid slug",
                "use lowercase letters, digits and single hyphens, e.g. lambda-limits",
            )
        return value

    def strings(self, data: LineDict, key: str, what: str) -> list[str]:
        value = data.get(key, [])
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
            self.error(data.line_of(key), f"{what}: {key!r} must be a list of text items")
            return []
        return [str(v).strip() for v in value if str(v).strip()]

    def raise_errors(self) -> None:
        if self.errors:
            raise ContentErrors(self.errors)
