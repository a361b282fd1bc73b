"""Apps' housekeeping run by the scheduler between ticks: each chore at its own interval, and one that fails
neither stops the others nor the scheduler."""

from burrow.core import chores


def test_each_chore_runs_first_then_at_its_interval(monkeypatch):
    monkeypatch.setattr(chores, "_CHORES", {})
    ran = []
    chores.register("often", 10, lambda: ran.append("often"))
    chores.register("hourly", 3600, lambda: ran.append("hourly"))
    now = [1000.0]

    assert chores.run_due(lambda: now[0]) == ["often", "hourly"]
    now[0] += 9
    assert chores.run_due(lambda: now[0]) == []
    now[0] += 1
    assert chores.run_due(lambda: now[0]) == ["often"]
    assert ran == ["often", "hourly", "often"]


def test_a_failing_chore_is_logged_and_the_others_run(monkeypatch, caplog):
    monkeypatch.setattr(chores, "_CHORES", {})
    ran = []

    def broken() -> None:
        raise RuntimeError("disk full")

    chores.register("broken", 60, broken)
    chores.register("fine", 60, lambda: ran.append("fine"))
    assert chores.run_due(lambda: 0.0) == ["broken", "fine"]
    assert ran == ["fine"]
    assert "chore failed" in caplog.text
    assert chores.run_due(lambda: 30.0) == []  # the failed one waits for its interval too
