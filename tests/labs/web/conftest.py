"""Lab fixtures: a content directory holding the real course files plus small test labs
(tests/labs/web/lab_folders/), and helpers to build broken copies of a lab."""

import shutil
from pathlib import Path

import pytest
from django.conf import settings

from courses.importer import ImportResult
from labs.content import LabContent, load_lab
from labs.models import Lab

LAB_FOLDERS = Path(__file__).parent / "lab_folders"
QUEUE_LAB = "queue-timeout"


def make_content_dir(root: Path, labs: dict[str, Path]) -> Path:
    """content/ with the real notes, outline and facts, and `labs` copied under labs/."""
    content = root / "content"
    content.mkdir()
    for name in ("course.yaml", "facts.yaml"):
        shutil.copy(settings.CONTENT_DIR / name, content / name)
    (content / "notes").symlink_to(settings.CONTENT_DIR / "notes")
    (content / "labs").mkdir()
    for slug, source in labs.items():
        shutil.copytree(source, content / "labs" / slug)
    return content


@pytest.fixture
def lab_content(tmp_path, settings) -> Path:
    """A content directory with the test queue lab; settings.CONTENT_DIR points at it."""
    content = make_content_dir(tmp_path, {QUEUE_LAB: LAB_FOLDERS / QUEUE_LAB})
    settings.CONTENT_DIR = content
    return content


@pytest.fixture
def queue_lab(course, lab_content) -> Lab:
    """The test queue lab as a Lab row, synced by the extension's own apply step."""
    from courses.models import Lesson

    spec = load_lab(
        lab_content / "labs" / QUEUE_LAB, set(Lesson.objects.values_list("slug", flat=True))
    )
    LabContent().apply([spec], ImportResult(plan=None))
    return Lab.objects.get(slug=QUEUE_LAB)


def lab_files(part: str, slug: str = QUEUE_LAB) -> dict[str, str]:
    folder = LAB_FOLDERS / slug / part
    return {p.name: p.read_text() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture
def lab_extension(settings):
    """import_content with the lab extension on (it is listed in config/settings.py)."""
    if "labs.content.LabContent" not in settings.COLDSTART_CONTENT_EXTENSIONS:
        settings.COLDSTART_CONTENT_EXTENSIONS = [
            *settings.COLDSTART_CONTENT_EXTENSIONS,
            "labs.content.LabContent",
        ]
