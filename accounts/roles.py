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


def grant_role_permissions(group_model, permission_model) -> None:
    """Create each role's group with its permissions (idempotent). Takes the models as
    arguments so the data migration can pass its historical ones; a database flush (as in
    transactional tests and benchmarks) removes the groups, and this puts them back."""
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=role)
        for perm in perms:
            app_label, codename = perm.split(".")
            group.permissions.add(
                permission_model.objects.get(content_type__app_label=app_label, codename=codename)
            )


def is_instructor(user: User | AnonymousUser) -> bool:
    return user.is_authenticated and user.has_perm("courses.view_content_report")
