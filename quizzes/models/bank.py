"""The question bank: questions and exams as imported from content/quizzes/ or authored."""

from django.db import models  # noqa: F401

__all__: list[str] = []
