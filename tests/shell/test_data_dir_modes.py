"""Nothing in the data dir is readable by other local users: it holds the secret key, the embedded database
(session keys, share tokens) and mail. Burrow makes the directory 0700 and its files 0600, and tightens a
data dir left loose by an older version when `burrow migrate` or `serve` starts."""

import os
import stat
import time
from email.message import EmailMessage
from pathlib import Path

from burrow.core.mail import send_message
from tests.shell.test_cli import production_env, run_burrow


def loose_entries(directory: Path, ignore: frozenset[str] = frozenset()) -> list[str]:
    """Everything under `directory` (itself included) that its group or other users may use, with its mode."""
    entries = [directory, *(path for path in directory.rglob("*") if path.name not in ignore)]
    modes = {path: stat.S_IMODE(path.lstat().st_mode) for path in entries if not path.is_symlink()}
    return [f"{path.relative_to(directory.parent)} {mode:o}" for path, mode in modes.items() if mode & 0o077]


def migrate(data_dir: Path):
    env = production_env(data_dir)
    env.pop("DATABASE_URL", None)  # the embedded database in the data dir
    done = run_burrow(["migrate"], env)
    assert done.returncode == 0, done.stderr
    return done


def test_migrate_makes_a_private_data_dir_key_and_database(tmp_path):
    data_dir = tmp_path / "var"

    migrate(data_dir)

    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((data_dir / "secret_key").stat().st_mode) == 0o600
    assert stat.S_IMODE((data_dir / "burrow.sqlite3").stat().st_mode) == 0o600
    assert loose_entries(data_dir) == []


def test_migrate_tightens_a_data_dir_an_older_version_left_readable(tmp_path):
    data_dir = tmp_path / "var"
    (data_dir / "outbox").mkdir(parents=True)
    (data_dir / "secret_key").write_text("an-older-installations-key")
    (data_dir / "outbox" / "20260101T000000-invite.eml").write_text("Subject: invite\n\nhello\n")
    for path, mode in ((data_dir, 0o755), (data_dir / "outbox", 0o755)):
        path.chmod(mode)
    for path in (data_dir / "secret_key", data_dir / "outbox" / "20260101T000000-invite.eml"):
        path.chmod(0o644)

    migrate(data_dir)

    assert loose_entries(data_dir) == []
    assert (data_dir / "secret_key").read_text() == "an-older-installations-key"  # kept, only tightened


def test_mail_written_to_the_outbox_is_private(settings, tmp_path):
    settings.EMAIL_URL = ""
    settings.DATA_DIR = tmp_path / "var"
    settings.DATA_DIR.mkdir(mode=0o700)  # as `burrow migrate` made it
    message = EmailMessage()
    message["To"], message["Subject"], message["Message-ID"] = "a@example.com", "reset", "<private-1@burrow>"
    message.set_content("your sign-in link")
    previous = os.umask(0o022)  # what a shell gives the process: the file's mode must not depend on it
    try:
        send_message(message)
    finally:
        os.umask(previous)

    assert loose_entries(settings.DATA_DIR) == []


def test_a_served_data_dir_stays_private_with_static_files_and_wake_up_sockets(serve_burrow):
    served = serve_burrow(scheduler=True)
    data_dir = Path(served.env["BURROW_DATA_DIR"])
    wakeup = data_dir / "wakeup"
    deadline = time.monotonic() + 60
    while not list(wakeup.glob("*.sock")):  # the supervised scheduler is listening
        assert time.monotonic() < deadline, "the scheduler opened no wake-up socket"
        time.sleep(0.1)

    assert (data_dir / "static" / "staticfiles.json").exists()
    # serve.log is the test's own capture of the server's output, not something Burrow made.
    assert loose_entries(data_dir, ignore=frozenset({"serve.log"})) == []
