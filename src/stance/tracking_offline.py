"""When the tracking server goes away mid-run: retry for a bounded time, then keep every
further tracking call in a local journal and let the run go on.

`GuardedRun` wraps a tracking run (stance.tracking.Run): each call goes to the server; a
call that fails because the server does not answer is retried for up to `retry_s` seconds,
then the run goes offline with one warning, and that call and all later ones are written
to `<journal folder>/journal.jsonl` (input frames as Parquet beside it). A call the server
refuses (a 4xx answer) is reported and skipped. `scripts/sync_run.py <output folder>`
replays the journal into the same run later (stance.tracking.sync_run), registering the
model then. This module does not import MLflow: `is_outage` tells the two failures apart.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable

JOURNAL = "journal.jsonl"
HEADER = "run.json"
PROGRESS = "synced.json"
# what each kind of call is, for "what was not logged": counted (one, several) or named
COUNTED = {"log_params": ("batch of params", "batches of params"), "log_metrics": ("metric log", "metric logs"),
           "set_tags": ("set of tags", "sets of tags"), "log_artifact": ("artifact", "artifacts"),
           "log_text": ("text file", "text files"), "log_input": ("input dataset", "input datasets")}
NAMED = {"log_model": "the model (and its registration)", "promote": "the registry alias", "end": "the run's end"}


def _jsonable(value: Any):
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return str(value)


class Journal:
    """Tracking calls kept in a folder, in order, to be replayed later."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    @property
    def exists(self) -> bool:
        return (self.folder / HEADER).is_file()

    def start(self, header: dict) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / HEADER).write_text(json.dumps(header, indent=2, default=_jsonable) + "\n")

    def add(self, op: str, kwargs: dict) -> None:
        if op == "log_input":  # a DataFrame: kept as Parquet
            frame = kwargs.pop("frame")
            inputs = self.folder / "inputs"
            inputs.mkdir(exist_ok=True)
            path = inputs / f"{len(list(inputs.iterdir())):03d}-{kwargs['name']}.parquet"
            frame.to_parquet(path)
            kwargs = {**kwargs, "frame": {"parquet": str(path)}}
        if "path" in kwargs:  # artifacts: absolute paths, so a sync from any folder finds them
            kwargs = {**kwargs, "path": str(Path(kwargs["path"]).resolve())}
        with (self.folder / JOURNAL).open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({"op": op, "kwargs": kwargs}, default=_jsonable) + "\n")
            fh.flush()

    def header(self) -> dict:
        return json.loads((self.folder / HEADER).read_text())

    def entries(self) -> list[dict]:
        path = self.folder / JOURNAL
        if not path.is_file():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def progress(self) -> dict:
        """How far a sync got: {"done": calls replayed, "complete": ..., ...}."""
        path = self.folder / PROGRESS
        return json.loads(path.read_text()) if path.is_file() else {"done": 0}

    def mark_synced(self, done: int, **extra) -> None:
        (self.folder / PROGRESS).write_text(json.dumps({"done": done, **extra}) + "\n")

    def replay(self, run, on_done: Callable[[int], None], start: int = 0) -> None:
        """Call each kept call (from `start`) on `run`; `on_done(i + 1)` after each."""
        import pandas as pd

        for i, entry in enumerate(self.entries()):
            if i < start:
                continue
            kwargs = dict(entry["kwargs"])
            if entry["op"] == "log_input":
                kwargs["frame"] = pd.read_parquet(kwargs["frame"]["parquet"])
            getattr(run, entry["op"])(**kwargs)
            on_done(i + 1)


def what_of(ops: Counter) -> str:
    """e.g. "6 metric logs, 1 text file, the model (and its registration)"."""
    return ", ".join(f"{n} {COUNTED[op][n != 1]}" if op in COUNTED else NAMED.get(op, op)
                     for op, n in ops.items())


class GuardedRun:
    """A tracking run whose calls never raise because of the tracking server (see module doc)."""

    def __init__(self, run, journal: Journal, header: dict, is_outage: Callable[[BaseException], bool],
                 retry_s: float, sync_hint: str):
        self._run, self.journal, self._header = run, journal, header
        self._is_outage, self.retry_s, self.sync_hint = is_outage, retry_s, sync_hint
        self.offline_since: str | None = None
        self.kept: Counter = Counter()  # calls journaled, by kind
        self.refused: list[str] = []  # calls the server refused

    @property
    def run_id(self):
        return self._run.run_id

    @property
    def model_uri(self):
        return self._run.model_uri

    @property
    def model_version(self):
        return self._run.model_version

    # the calls of stance.tracking.Run, with the same arguments
    def log_params(self, params):
        return self._call("log_params", {"params": dict(params)})

    def log_metrics(self, metrics, step=None):
        clean = clean_metrics(metrics)  # numbers the journal can hold, too
        if clean:
            self._call("log_metrics", {"metrics": clean, "step": step, "timestamp": int(time.time() * 1000)})

    def set_tags(self, tags):
        return self._call("set_tags", {"tags": {k: str(v) for k, v in tags.items()}})

    def log_input(self, frame, source, name, context, digest=None):
        return self._call("log_input", {"frame": frame, "source": source, "name": name, "context": context,
                                        "digest": digest})

    def log_artifact(self, path, artifact_path=None):
        return self._call("log_artifact", {"path": str(path), "artifact_path": artifact_path})

    def log_text(self, text, name):
        return self._call("log_text", {"text": text, "name": name})

    def log_model(self, model_dir, registered_name):
        return self._call("log_model", {"model_dir": str(Path(model_dir).resolve()),
                                        "registered_name": registered_name})

    def promote(self, name, validation_f1, validation_digest, mode):
        reason = self._call("promote", {"name": name, "validation_f1": float(validation_f1),
                                        "validation_digest": validation_digest, "mode": mode})
        return reason if reason is not None else "not registered yet (tracking offline)"

    def end(self, status: str) -> None:
        self._call("end", {"status": status})

    def _call(self, op: str, kwargs: dict):
        if self.offline_since:
            self._keep(op, kwargs)
            return None
        deadline, wait, warned = time.monotonic() + self.retry_s, 1.0, False
        while True:
            try:
                return getattr(self._run, op)(**kwargs)
            except Exception as exc:  # noqa: BLE001 — tracking must never cost the run
                if not self._is_outage(exc):
                    first = first_line(exc)
                    self.refused.append(f"{op} ({first})")
                    print(f"warning: MLflow refused {op}: {first}", file=sys.stderr, flush=True)
                    return None
                if time.monotonic() + wait > deadline:
                    self._go_offline(exc)
                    self._keep(op, kwargs)
                    return None
                if not warned:
                    print(f"warning: the MLflow server is not answering ({_short(exc)}); retrying for up to "
                          f"{self.retry_s:.0f} s", file=sys.stderr, flush=True)
                    warned = True
                time.sleep(wait)
                wait = min(wait * 2, 15.0)

    def _go_offline(self, exc: BaseException) -> None:
        self.offline_since = time.strftime("%Y-%m-%d %H:%M:%S")
        self.journal.start({**self._header, "offline_since": self.offline_since, "reason": _short(exc)})
        print(f"warning: the MLflow server {self._header.get('uri')} is not answering ({_short(exc)}); "
              f"the run goes on, and what it would log is kept in {self.journal.folder} for "
              f"`{self.sync_hint}`", file=sys.stderr, flush=True)

    def _keep(self, op: str, kwargs: dict) -> None:
        self.journal.add(op, kwargs)
        self.kept[op] += 1

    def status_line(self) -> str | None:
        """What was and was not logged, when not everything was; None when it was."""
        parts = []
        if self.offline_since:
            ops = Counter({op: n for op, n in self.kept.items() if op != "end"})
            parts.append(f"tracking: the MLflow server {self._header.get('uri')} stopped answering at "
                         f"{self.offline_since}; run {self.run_id} has what came before; kept in "
                         f"{self.journal.folder}: {what_of(ops) or 'nothing more'} — push them with: "
                         f"{self.sync_hint}")
        if self.refused:
            parts.append(f"tracking: MLflow refused {len(self.refused)} calls, not logged: "
                         + "; ".join(self.refused[:3]) + (" ..." if len(self.refused) > 3 else ""))
        return "\n".join(parts) or None


def first_line(exc: BaseException, limit: int = 300) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:limit]


def clean_metrics(metrics) -> dict[str, float]:
    """Numbers only, under names MLflow accepts ("eval/f1" -> "eval_f1")."""
    return {k.replace("/", "_"): float(v) for k, v in metrics.items() if isinstance(v, (int, float))}


def _short(exc: BaseException) -> str:
    """Why the server did not answer, in a few words."""
    text = first_line(exc, 200)
    for marker, said in (("Connection refused", "connection refused"), ("timed out", "timed out"),
                         ("Max retries exceeded", "no answer")):
        if marker in text:
            return said
    return text
