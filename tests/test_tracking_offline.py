"""A tracking server that stops answering: calls retried, then kept, then replayed in order."""

import json

import pandas as pd

from stance.tracking_offline import GuardedRun, Journal


class Down(Exception):
    """The server does not answer."""


class Refused(Exception):
    """The server answers: no."""


class FakeRun:
    """Records calls; down for the first `fail_first` tries and after `down_after` calls;
    refuses the ops in `refuse`."""

    run_id, model_uri, model_version = "r1", None, None

    def __init__(self, down_after: int | None = None, refuse: tuple = (), fail_first: int = 0):
        self.calls, self.down_after, self.refuse, self.fail_first = [], down_after, refuse, fail_first
        self.tries = 0

    def __getattr__(self, op):
        def call(**kwargs):
            self.tries += 1
            if op in self.refuse:
                raise Refused(f"{op} is not allowed")
            if self.tries <= self.fail_first:
                raise Down("Connection refused")
            if self.down_after is not None and len(self.calls) >= self.down_after:
                raise Down("Connection refused")
            self.calls.append((op, kwargs))
            if op == "log_model":
                self.model_version = "3"
            return f"{op} done"
        return call


def guarded(run, tmp_path, retry_s=0.0):
    return GuardedRun(run, Journal(tmp_path / "tracking"), {"uri": "http://srv", "run_id": "r1"},
                      is_outage=lambda exc: isinstance(exc, Down), retry_s=retry_s,
                      sync_hint=f"python scripts/sync_run.py {tmp_path}")


def test_outage_keeps_every_later_call_and_replay_makes_them_in_order(tmp_path, capsys):
    run = guarded(FakeRun(down_after=2), tmp_path)
    run.log_params({"a": 1})
    run.log_metrics({"loss": 0.5}, step=1)
    run.log_metrics({"loss": 0.25, "skipped": "text"}, step=2)  # the server is gone from here on
    run.log_input(pd.DataFrame({"text": ["x"], "label": [0]}), source="f.jsonl", name="corpus-train", context="train")
    run.log_artifact(tmp_path / "eval", "eval")
    run.log_model(tmp_path / "model", "stance-classifier")
    assert run.promote("stance-classifier", 0.9, "abc", "auto") == "not registered yet (tracking offline)"
    run.end("FINISHED")

    err = capsys.readouterr().err
    assert err.count("warning: the MLflow server http://srv is not answering (connection refused)") == 1
    line = run.status_line()
    assert line.startswith("tracking: the MLflow server http://srv stopped answering at ")
    assert ("1 metric log, 1 input dataset, 1 artifact, the model (and its registration), the registry alias"
            in line and line.endswith(f"push them with: python scripts/sync_run.py {tmp_path}"))
    assert json.loads((tmp_path / "tracking" / "run.json").read_text())["run_id"] == "r1"

    target, done = FakeRun(), []
    Journal(tmp_path / "tracking").replay(target, on_done=done.append)
    ops = [op for op, _ in target.calls]
    assert ops == ["log_metrics", "log_input", "log_artifact", "log_model", "promote", "end"]
    assert target.calls[0][1]["metrics"] == {"loss": 0.25} and target.calls[0][1]["step"] == 2
    assert target.calls[0][1]["timestamp"] > 0  # logged with the time it happened, not the sync's
    assert target.calls[1][1]["frame"].to_dict("list") == {"text": ["x"], "label": [0]}
    assert target.calls[2][1]["path"] == str((tmp_path / "eval").resolve())
    assert done == [1, 2, 3, 4, 5, 6]


def test_refused_call_is_reported_and_the_run_goes_on(tmp_path, capsys):
    run = guarded(FakeRun(refuse=("log_params",)), tmp_path)
    run.log_params({"a": 1})
    run.log_metrics({"loss": 1.0})
    assert run._run.calls == [("log_metrics", {"metrics": {"loss": 1.0}, "step": None,
                                               "timestamp": run._run.calls[0][1]["timestamp"]})]
    assert "warning: MLflow refused log_params: log_params is not allowed" in capsys.readouterr().err
    assert run.status_line() == "tracking: MLflow refused 1 calls, not logged: log_params (log_params is not allowed)"
    assert not (tmp_path / "tracking").exists()


def test_all_calls_logged_means_no_status_line(tmp_path):
    run = guarded(FakeRun(), tmp_path)
    run.log_params({"a": 1})
    run.end("FINISHED")
    assert run.status_line() is None and not (tmp_path / "tracking").exists()


def test_retry_gives_the_server_time_before_going_offline(tmp_path, monkeypatch, capsys):
    """Down for two tries, then back: the call is logged, nothing is kept."""
    slept = []
    monkeypatch.setattr("stance.tracking_offline.time.sleep", slept.append)
    fake = FakeRun(fail_first=2)
    run = guarded(fake, tmp_path, retry_s=60)
    run.log_params({"a": 1})
    assert fake.calls == [("log_params", {"params": {"a": 1}})] and slept == [1.0, 2.0]
    assert "retrying for up to 60 s" in capsys.readouterr().err
    assert run.status_line() is None
