"""`burrow users set-password`: an operator gives a person a password, and that person can sign in."""

import io
import json

import pytest
from django.test import Client

from burrow import cli

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]


def login(email: str, password: str):
    body = json.dumps({"email": email, "password": password})
    return Client().post("/api/login", body, content_type="application/json")


def test_set_password_from_stdin_then_login_works(tenant, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(" spaces kept \n"))
    assert cli.main(["users", "set-password", "--email", tenant.user.email.upper(), "--password-stdin"]) == 0
    assert f"password set for {tenant.user.email}" in capsys.readouterr().out
    assert login(tenant.user.email, " spaces kept ").status_code == 200
    assert login(tenant.user.email, "spaces kept").status_code == 400


def test_set_password_at_the_prompt_asks_twice(tenant, monkeypatch, capsys):
    answers = iter(["first try", "first try"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert cli.main(["users", "set-password", "--email", tenant.user.email]) == 0
    assert login(tenant.user.email, "first try").status_code == 200


def test_different_passwords_at_the_prompt_change_nothing(tenant, monkeypatch, capsys):
    answers = iter(["one password", "another one"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert cli.main(["users", "set-password", "--email", tenant.user.email]) == 1
    assert "the two passwords differ" in capsys.readouterr().err
    assert login(tenant.user.email, "one password").status_code == 400


def test_unknown_email_says_what_to_do(db, capsys):
    assert cli.main(["users", "set-password", "--email", "nobody@example.com", "--password-stdin"]) == 1
    err = capsys.readouterr().err
    assert "no user nobody@example.com" in err and "burrow bootstrap --email nobody@example.com" in err


def test_configured_password_validators_apply(tenant, monkeypatch, capsys, settings):
    settings.AUTH_PASSWORD_VALIDATORS = [
        {
            "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
            "OPTIONS": {"min_length": 12},
        }
    ]
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert cli.main(["users", "set-password", "--email", tenant.user.email, "--password-stdin"]) == 1
    assert "at least 12 characters" in capsys.readouterr().err
    assert login(tenant.user.email, "short").status_code == 400


def test_a_password_like_the_persons_own_address_is_refused_when_that_validator_is_on(
    tenant, monkeypatch, capsys, settings
):
    """Validators that compare the password with the person (Django's similarity check) see the person."""
    settings.AUTH_PASSWORD_VALIDATORS = [
        {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"}
    ]
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{tenant.user.email}\n"))
    assert cli.main(["users", "set-password", "--email", tenant.user.email, "--password-stdin"]) == 1
    assert "too similar to the email" in capsys.readouterr().err


def test_setting_a_password_is_logged_without_it(tenant, caplog):
    from burrow.domains.signin.services import set_password

    caplog.set_level("INFO", logger="burrow.signin")
    set_password(tenant.user, "a new password")
    events = [(r.getMessage(), r.user_id) for r in caplog.records if hasattr(r, "user_id")]
    assert events == [("password set", tenant.user.id)] and "a new password" not in caplog.text


def test_setting_a_password_ends_the_users_sessions(tenant, monkeypatch):
    tenant.user.set_password("old password")
    tenant.user.save()
    browser = Client()
    browser.post(
        "/api/login",
        json.dumps({"email": tenant.user.email, "password": "old password"}),
        content_type="application/json",
    )
    assert browser.get("/api/users/@me/").status_code == 200
    monkeypatch.setattr("sys.stdin", io.StringIO("new password\n"))
    assert cli.main(["users", "set-password", "--email", tenant.user.email, "--password-stdin"]) == 0
    assert browser.get("/api/users/@me/").status_code == 401
