"""Account services: demo accounts for `make run`."""

import secrets
from dataclasses import dataclass

from django.contrib.auth.models import Group, User
from django.db import transaction

from accounts.roles import INSTRUCTOR, LEARNER

DEMO_ACCOUNTS = (("learner", LEARNER), ("instructor", INSTRUCTOR))


@dataclass
class DemoAccount:
    username: str
    role: str
    password: str | None  # set only when the account was just created


@transaction.atomic
def ensure_demo_accounts() -> list[DemoAccount]:
    """Create the demo learner and instructor if missing, with random passwords.

    Side effects: creates users and adds them to their role group. Existing demo accounts
    keep their passwords (returned as None), so re-running `make run` never locks anyone out.
    """
    out = []
    for username, role in DEMO_ACCOUNTS:
        user = User.objects.filter(username=username).first()
        password = None
        if user is None:
            password = secrets.token_urlsafe(12)
            user = User.objects.create_user(username=username, password=password)
        user.groups.add(Group.objects.get(name=role))
        out.append(DemoAccount(username, role, password))
    return out


def create_user_with_role(*, username: str, password: str, role: str) -> User:
    if role not in (LEARNER, INSTRUCTOR):
        raise ValueError(f"unknown role {role!r}")
    user = User(username=username)
    user.set_password(password)
    user.full_clean()
    user.save()
    user.groups.add(Group.objects.get(name=role))
    return user
