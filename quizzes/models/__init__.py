"""Quiz models: the question bank (bank.py, written by the importer and the authoring pages)
and learners' practice and exam attempts (attempts.py)."""

from quizzes.models.attempts import *  # noqa: F403
from quizzes.models.bank import *  # noqa: F403
