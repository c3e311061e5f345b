"""The files of one submission: what a learner may send and how a folder becomes a payload.

The same limits as the sandbox contract (docs/LABS.md), checked at the web boundary too, so a
bad payload is refused with a clear message before it is stored or queued.
"""

from __future__ import annotations

import re
from pathlib import Path

# The sandbox's own limits (it enforces them again, whoever calls it); checked here too so
# the web answers with a field-level message before anything is stored or queued.
from labs.sandbox.engine import MAX_FILE_BYTES, MAX_FILES, MAX_TOTAL_BYTES

MAX_NAME_LENGTH = 100
# Flat names or simple folders: "provision.py", "lib/util.py". No absolute paths, no "..",
# no hidden files, nothing a shell or a file system would read specially.
_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
# Folders a local editor or Python leaves behind; never part of a submission.
IGNORED_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache"}


class InvalidFiles(ValueError):
    """A payload the sandbox must not receive; `field` says which part is wrong."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


def name_problem(name: str) -> str | None:
    """Why `name` is not an acceptable file name, or None when it is."""
    if not name:
        return "a file name is empty"
    if len(name) > MAX_NAME_LENGTH:
        return f"the file name {name[:40]!r}… is longer than {MAX_NAME_LENGTH} characters"
    if name.startswith("/") or "\\" in name:
        return f"{name!r} must be a relative path with forward slashes, like lib/util.py"
    segments = name.split("/")
    if any(s in ("", ".", "..") for s in segments):
        return f"{name!r} may not contain empty, '.' or '..' parts"
    bad = next((s for s in segments if not _SEGMENT.match(s)), None)
    if bad is not None:
        return f"{name!r}: use letters, digits, '_', '-' and '.' only, not starting with '.' or '-'"
    return None


def validate_files(files: object) -> dict[str, str]:
    """Check a submission payload (filename -> text) against the limits; returns it unchanged
    or raises InvalidFiles naming the file and the limit."""
    if not isinstance(files, dict):
        raise InvalidFiles("files", "must be an object mapping file names to their text")
    if not files:
        raise InvalidFiles("files", "no files: submit at least provision.py")
    if len(files) > MAX_FILES:
        raise InvalidFiles("files", f"{len(files)} files; at most {MAX_FILES} are allowed")
    total = 0
    for name, text in files.items():
        problem = name_problem(name) if isinstance(name, str) else "file names must be text"
        if problem:
            raise InvalidFiles("files", problem)
        if not isinstance(text, str):
            raise InvalidFiles(f"files[{name}]", "the content must be text")
        if "\x00" in text:
            raise InvalidFiles(
                f"files[{name}]", "contains a NUL byte; only text files are accepted"
            )
        size = len(text.encode("utf-8", errors="surrogatepass"))
        if size > MAX_FILE_BYTES:
            raise InvalidFiles(
                f"files[{name}]", f"is {size // 1024} KB; the limit is {MAX_FILE_BYTES // 1024} KB"
            )
        total += size
    if total > MAX_TOTAL_BYTES:
        raise InvalidFiles(
            "files", f"{total // 1024} KB in all; the limit is {MAX_TOTAL_BYTES // 1024} KB"
        )
    paths = sorted(files)
    for name in paths:
        # "lib" and "lib/util.py" cannot both exist on a disk.
        clash = next((p for p in paths if p.startswith(name + "/")), None)
        if clash:
            raise InvalidFiles("files", f"{name!r} is both a file and the folder of {clash!r}")
    return files


def read_submission_dir(folder: Path) -> dict[str, str]:
    """Every file under `folder` as a payload (relative posix names, UTF-8 text), in name
    order. Raises InvalidFiles (field = the file's path relative to `folder`) for a file
    that is not UTF-8 text or breaks a limit."""
    files: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if path.is_dir() or any(part in IGNORED_DIRS for part in rel.parts):
            continue
        name = rel.as_posix()
        if path.is_symlink():
            raise InvalidFiles(name, "is a symbolic link; copy the file instead")
        try:
            files[name] = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidFiles(name, f"is not UTF-8 text ({exc.reason})") from None
    validate_files(files)
    return files
