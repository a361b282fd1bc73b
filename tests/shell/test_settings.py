"""Settings read the environment and write nothing; a test run touches nothing outside its temporary dirs."""

import os
import re
import shutil
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from burrow.config import ConfigError, env_bool, env_rate
from burrow.core.mail import send_message

REPO = Path(__file__).resolve().parents[2]


def fresh_env(**extra: str) -> dict:
    """The environment of a developer's shell: none of Burrow's variables, nothing inherited from this run."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("BURROW_", "DJANGO_", "PYTEST_"))}
    keep.pop("DATABASE_URL", None)
    return {**keep, **extra}


def test_importing_the_settings_writes_nothing(tmp_path):
    code = "import burrow.settings as s; print(repr(s.SECRET_KEY)); print(s.DATA_DIR)"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=fresh_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["''", str(tmp_path / "var")]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("word", ["1", "true", "yes", "on", "TRUE", " On "])
def test_every_boolean_setting_accepts_the_same_true_words(monkeypatch, word):
    monkeypatch.setenv("BURROW_DEBUG", word)
    assert env_bool("BURROW_DEBUG") is True
    monkeypatch.setenv("BURROW_THROTTLE_BURST", word)
    assert env_rate("BURROW_THROTTLE_BURST") == "on"


@pytest.mark.parametrize("word", ["0", "false", "no", "off", "OFF"])
def test_every_boolean_setting_accepts_the_same_false_words(monkeypatch, word):
    monkeypatch.setenv("BURROW_WEBHOOK_ALLOW_PRIVATE", word)
    assert env_bool("BURROW_WEBHOOK_ALLOW_PRIVATE", default=True) is False
    monkeypatch.setenv("BURROW_THROTTLE_BURST", word)
    assert env_rate("BURROW_THROTTLE_BURST") == ""


def test_an_unknown_word_is_an_error_naming_the_variable(monkeypatch):
    monkeypatch.setenv("BURROW_DEBUG", "maybe")
    with pytest.raises(ConfigError, match="BURROW_DEBUG must be one of true/false"):
        env_bool("BURROW_DEBUG")
    monkeypatch.setenv("BURROW_THROTTLE_SUSTAINED", "lots")
    with pytest.raises(ConfigError, match="BURROW_THROTTLE_SUSTAINED must be on, off or a rate"):
        env_rate("BURROW_THROTTLE_SUSTAINED")
    monkeypatch.setenv("BURROW_THROTTLE_SUSTAINED", "100/Minute")
    assert env_rate("BURROW_THROTTLE_SUSTAINED") == "100/minute"


def test_readme_documents_every_variable_the_server_reads():
    read = re.compile(r"""(?:environ\.get|\benv_[a-z]+)\(\s*["']([A-Z][A-Z0-9_]+)["']""")
    names = {name for path in (REPO / "burrow").rglob("*.py") for name in read.findall(path.read_text())}
    assert {"BURROW_DEBUG", "BURROW_WEB_WORKERS", "BURROW_TRUSTED_PROXIES", "DATABASE_URL"} <= names
    section = (REPO / "README.md").read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    documented = {name for first_cell in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", first_cell)}
    assert names - documented == set()


@pytest.mark.django_db
def test_tests_run_with_their_own_data_dir_key_and_database():
    data_dir = Path(os.environ["BURROW_TEST_DATA_DIR"])
    assert django_settings.SECRET_KEY and django_settings.DATA_DIR == data_dir
    assert not data_dir.resolve().is_relative_to(REPO)
    if connection.vendor == "sqlite":
        assert Path(connection.settings_dict["NAME"]).parent == data_dir


def test_mail_without_smtp_lands_in_the_data_dir_outbox_created_on_first_write(settings):
    settings.EMAIL_URL = ""
    message = EmailMessage()
    message["To"], message["Subject"], message["Message-ID"] = "a@example.com", "hi", "<outbox-1@burrow>"
    message.set_content("hello")
    shutil.rmtree(settings.DATA_DIR / "outbox", ignore_errors=True)
    send_message(message)
    files = list((settings.DATA_DIR / "outbox").iterdir())
    assert len(files) == 1 and files[0].name.endswith("outbox-1_at_burrow.eml")


def test_a_burrow_process_started_by_a_test_shares_the_run_settings():
    code = "import django; django.setup(); from django.conf import settings as s; print(s.SECRET_KEY, s.DATA_DIR)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [django_settings.SECRET_KEY, str(django_settings.DATA_DIR)]


def _tree_state() -> list[str]:
    # Directories stay collapsed (`!! var/`), so caches other tools fill meanwhile (ruff's) do not count;
    # writes relative to the working directory are caught by the empty directory the run starts in.
    status = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain", "--ignored", "--", ".", ":(exclude).venv"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return sorted(line for line in status if "__pycache__/" not in line)


def test_a_test_run_leaves_the_working_tree_and_its_directory_clean(tmp_path):
    """A small run of this module from an empty directory, as in a fresh shell: neither the repository nor
    the directory pytest was started in gain a file (today's ./var/secret_key, an outbox, .hypothesis)."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("the source tree is not a git checkout")
    before = _tree_state()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:randomly",
            __file__,
            "-k",
            "data_dir or run_settings",
        ],
        cwd=tmp_path,
        env=fresh_env(PYTHONPATH=str(REPO)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    assert sorted(set(_tree_state()) - set(before)) == []
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
