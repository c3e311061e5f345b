from django.contrib.auth.models import User
from django.core.management import call_command

from accounts.roles import is_instructor
from accounts.services import ensure_demo_accounts


def test_demo_accounts_are_created_once_and_keep_their_passwords(db, capsys):
    first = {a.username: a.password for a in ensure_demo_accounts()}
    assert set(first) == {"learner", "instructor"}
    assert all(first.values())
    again = ensure_demo_accounts()
    assert [a.password for a in again] == [None, None]
    for username, password in first.items():
        assert User.objects.get(username=username).check_password(password)
    call_command("setup_demo")
    assert "exists; password unchanged" in capsys.readouterr().out


def test_roles_grant_the_report_to_instructors_only(learner, instructor):
    assert is_instructor(instructor) is True
    assert is_instructor(learner) is False
    assert list(learner.groups.values_list("name", flat=True)) == ["learner"]


def test_login_and_logout(client, learner):
    response = client.post("/accounts/login/", {"username": "lena", "password": "learner-pass-123"})
    assert response.url == "/"
    assert client.get("/").status_code == 200
    bad = client.post("/accounts/login/", {"username": "lena", "password": "nope"})
    assert "Please enter a correct username and password" in bad.content.decode()
    client.post("/accounts/logout/")
    assert client.get("/").status_code == 302
