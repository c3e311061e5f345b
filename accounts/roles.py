"""Roles are groups: learners read and track progress; instructors also see content reports."""

from django.contrib.auth.models import AnonymousUser, User

LEARNER = "learner"
INSTRUCTOR = "instructor"

# Permissions each role's group holds, as "app_label.codename".
ROLE_PERMISSIONS = {
    LEARNER: ["courses.add_lessonprogress", "courses.view_lessonprogress"],
    INSTRUCTOR: [
        "courses.add_lessonprogress",
        "courses.view_lessonprogress",
        "courses.view_content_report",
    ],
}


def is_instructor(user: User | AnonymousUser) -> bool:
    return user.is_authenticated and user.has_perm("courses.view_content_report")
