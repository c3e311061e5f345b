"""Errors in content files, each pinned to a file and line and saying what to do."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ContentError(Exception):
    file: str
    line: int | None
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        text = f"{where}: {self.message}"
        return f"{text} (fix: {self.hint})" if self.hint else text


class ContentErrors(Exception):
    """Several content errors found in one pass, reported together."""

    def __init__(self, errors: list[ContentError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))
