"""MLflow tracking: the only module that talks to MLflow's tracking API.

Runs, flattened params, curves, artifacts, input datasets, model logging and
registration. `tracking.enabled=false` gives a run object that does nothing. A server
that stops answering mid-run never stops the run: its calls are retried, then kept
locally (stance.tracking_offline) and pushed later by `sync_run` (scripts/sync_run.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Iterator, Mapping

from hydra.experimental.callback import Callback

from stance.errors import StanceError
from stance.tracking_offline import GuardedRun, Journal, clean_metrics, first_line

MAX_KEY = 250  # MLflow's limits on param keys and values
MAX_VALUE = 6000


def resolve_uri(cfg) -> str:
    return cfg.uri or os.environ.get("MLFLOW_TRACKING_URI") or cfg.default_uri


def check_reachable(uri: str, timeout_s: float = 5.0) -> None:
    """Fail fast, before any training, when a tracking server does not answer."""
    if uri.startswith(("http://", "https://")):
        try:
            urllib.request.urlopen(uri.rstrip("/") + "/health", timeout=timeout_s).read()
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise StanceError(f"MLflow tracking server {uri} is not reachable ({exc})",
                              fix="start it, fix MLFLOW_TRACKING_URI / tracking.uri, "
                                  "or run with tracking=none") from None
    elif uri.startswith("sqlite:///"):
        Path(uri[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)


def flatten(cfg: Mapping | Any, prefix: str = "") -> dict[str, str]:
    """A nested config as {"dotted.key": "value"} within MLflow's key/value length limits."""
    out: dict[str, str] = {}
    items = cfg.items() if isinstance(cfg, Mapping) else []
    for key, value in items:
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping) and value:
            out.update(flatten(value, name))
            continue
        text = str(value)
        if len(name) > MAX_KEY:
            digest = hashlib.sha1(name.encode()).hexdigest()[:8]
            name = f"{name[:MAX_KEY - 9]}~{digest}"
        if len(text) > MAX_VALUE:
            text = text[:MAX_VALUE - 3] + "..."
        out[name] = text
    return out


def git_commit(root: Path) -> str:
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                             text=True, timeout=5).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return (sha + ("-dirty" if dirty else "")) if sha else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


class _NullRun:
    run_id = None
    model_uri = None
    model_version = None

    def __getattr__(self, name):  # every logging call is a no-op
        return lambda *a, **k: None


class Run:
    """An active MLflow run with the logging calls the stages need."""

    def __init__(self, mlflow_module, active_run):
        self._mlflow = mlflow_module
        self.run_id = active_run.info.run_id
        self.model_uri: str | None = None
        self.model_version: str | None = None

    def log_params(self, params: Mapping[str, str]) -> None:
        items = list(params.items())
        for i in range(0, len(items), 100):  # MLflow accepts at most 100 params per batch
            self._mlflow.log_params(dict(items[i:i + 100]))

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None,
                    timestamp: int | None = None) -> None:
        clean = clean_metrics(metrics)
        if clean:
            self._mlflow.log_metrics(clean, step=step, timestamp=timestamp)

    def set_tags(self, tags: Mapping[str, str]) -> None:
        self._mlflow.set_tags({k: str(v) for k, v in tags.items()})

    def end(self, status: str) -> None:
        """End the run with `status` (FINISHED, FAILED, KILLED)."""
        active = self._mlflow.active_run()
        if active is not None and active.info.run_id == self.run_id:
            self._mlflow.end_run(status)  # takes it off the active-run stack before asking the server
        else:  # ended here already, but the server did not hear of it
            self._mlflow.MlflowClient().set_terminated(self.run_id, status)

    def log_artifact(self, path: Path, artifact_path: str | None = None) -> None:
        path = Path(path)
        if path.is_dir():
            self._mlflow.log_artifacts(str(path), artifact_path=artifact_path)
        elif path.exists():
            self._mlflow.log_artifact(str(path), artifact_path=artifact_path)

    def log_text(self, text: str, name: str) -> None:
        self._mlflow.log_text(text, name)

    def log_input(self, frame, source: str, name: str, context: str, digest: str | None = None) -> None:
        ds = self._mlflow.data.from_pandas(frame, source=source, name=name, targets="label",
                                           digest=digest)
        self._mlflow.log_input(ds, context=context)

    def log_model(self, model_dir: Path, registered_name: str | None) -> None:
        """Log `model_dir` as a pyfunc model (see stance.serving) and register it.

        No signature: MLflow's schema enforcement would coerce non-string items to strings
        before our own validation (stance.serving.to_texts) could answer them with a 400.
        """
        from stance.serving import StanceModel, pip_requirements

        info = self._mlflow.pyfunc.log_model(
            name="model", python_model=StanceModel(), artifacts={"model_dir": str(model_dir)},
            code_paths=[str(Path(__file__).parent)],
            pip_requirements=pip_requirements(), registered_model_name=registered_name or None)
        self.model_uri = info.model_uri
        self.model_version = getattr(info, "registered_model_version", None)

    def promote(self, name: str, validation_f1: float, validation_digest: str, mode: str) -> str:
        """Move alias `champion` to this run's model version if it beats the champion on the
        same validation data (or mode == "force"); else alias it `challenger`. Returns the reason."""
        if not self.model_version:
            return "not registered"
        from mlflow.exceptions import MlflowException

        client = self._mlflow.MlflowClient()
        version = str(self.model_version)
        client.set_model_version_tag(name, version, "validation_macro_f1", repr(float(validation_f1)))
        client.set_model_version_tag(name, version, "validation_digest", validation_digest)
        if mode == "none":
            return "promotion disabled (promote=none)"
        try:
            mv = client.get_model_version_by_alias(name, "champion")
            champion = (mv.version, float(mv.tags.get("validation_macro_f1", "nan")),
                        mv.tags.get("validation_digest"))
        except MlflowException:
            champion = None
        alias, reason = decide_promotion(validation_f1, validation_digest, champion, force=mode == "force")
        client.set_registered_model_alias(name, alias, version)
        client.set_model_version_tag(name, version, "promotion", f"{alias}: {reason}")
        self.set_tags({"promotion": alias, "promotion_reason": reason})
        return f"v{version} is {alias}: {reason}"


def decide_promotion(f1: float, digest: str, champion: tuple[str, float, str] | None,
                     force: bool = False) -> tuple[str, str]:
    """("champion" | "challenger", why) for a new version against (version, f1, digest)."""
    if force:
        return "champion", "forced (promote=force)" + (f", replacing v{champion[0]}" if champion else "")
    if champion is None:
        return "champion", "first version with a validation score"
    version, best, best_digest = champion
    if best_digest != digest:
        return "challenger", (f"champion v{version} was validated on other data "
                              f"(digest {best_digest} != {digest}); use promote=force to replace it")
    if f1 > best:
        return "champion", f"validation macro-F1 {f1:.4f} beats champion v{version} ({best:.4f})"
    return "challenger", f"validation macro-F1 {f1:.4f} does not beat champion v{version} ({best:.4f})"


def connect(cfg, experiment: str):
    """Point MLflow at the configured store (failing fast if unreachable) and select
    `experiment`, creating it if needed; returns the experiment."""
    import mlflow

    uri = resolve_uri(cfg)
    check_reachable(uri, cfg.connect_timeout_s)
    mlflow.set_tracking_uri(uri)
    if mlflow.get_experiment_by_name(experiment) is None and uri.startswith("sqlite:///"):
        # a local store keeps its artifacts beside its database, not in the current folder
        root = Path(uri[len("sqlite:///"):]).resolve().parent / "mlartifacts" / experiment
        mlflow.create_experiment(experiment, artifact_location=root.as_uri())
    return mlflow.set_experiment(experiment)


PARENT_ENV = "STANCE_PARENT_RUN_ID"  # set by SweepCallback so each sweep job nests under it


def is_outage(exc: BaseException) -> bool:
    """True when the tracking server did not answer (refused or dropped connection, timeout,
    a 5xx or 429 answer): worth retrying, then keeping the call; False when it answered and
    refused the call (a 4xx answer), which retrying would not change."""
    import requests
    from mlflow.exceptions import MlflowException

    if isinstance(exc, MlflowException):
        status = exc.get_http_status_code()
    elif isinstance(exc, requests.exceptions.HTTPError) and exc.response is not None:
        status = exc.response.status_code
    else:
        return isinstance(exc, (requests.exceptions.RequestException, ConnectionError, TimeoutError))
    return status >= 500 or status in (408, 429)


def _journal_dir(run_id: str) -> Path:
    """Where a run keeps its calls while the server is away: the Hydra output folder."""
    from hydra.core.hydra_config import HydraConfig

    if HydraConfig.initialized():
        return Path(HydraConfig.get().runtime.output_dir) / "tracking"
    import tempfile

    return Path(tempfile.gettempdir()) / f"stance-tracking-{run_id}"


@contextlib.contextmanager
def start_run(cfg, experiment: str, run_name: str | None, tags: Mapping[str, str] | None = None,
              nested: bool = False, active: bool = True, journal_dir: Path | None = None
              ) -> Iterator[GuardedRun | _NullRun]:
    """`with start_run(cfg.tracking, "train", "lr=3e-5") as run: ...` (a no-op when disabled,
    or when `active` is false: the non-zero ranks of a distributed run).

    The server must answer at the start (else one line, before any work). If it stops
    answering later, the run goes on: see stance.tracking_offline; `run.status_line()` then
    says what was not logged and how to push it."""
    if not (cfg.enabled and active):
        yield _NullRun()
        return
    import mlflow

    exp = connect(cfg, cfg.experiment or experiment)
    parent = os.environ.get(PARENT_ENV)
    started = mlflow.start_run(run_name=run_name, nested=nested or bool(parent), parent_run_id=parent,
                               tags=dict(tags or {}), log_system_metrics=cfg.system_metrics)
    run_id = started.info.run_id
    folder = Path(journal_dir) if journal_dir else _journal_dir(run_id)
    header = {"uri": resolve_uri(cfg), "experiment": exp.name, "run_id": run_id, "run_name": run_name}
    shown = os.path.relpath(folder.parent) if folder.parent.is_relative_to(Path.cwd()) else folder.parent
    run = GuardedRun(Run(mlflow, started), Journal(folder), header, is_outage, cfg.retry_s,
                     sync_hint=f"python scripts/sync_run.py {shown}")
    status = "FAILED"
    try:
        yield run
        status = "FINISHED"
    except KeyboardInterrupt:
        status = "KILLED"
        raise
    finally:
        run.end(status)


def sync_run(folder: Path, uri: str | None = None) -> str:
    """Push the calls a run kept while its server was away (its `tracking/` journal) into the
    same run, registering the model then; returns what was done. Goes on where an earlier
    sync stopped, and does nothing the second time."""
    import mlflow
    from mlflow.exceptions import MlflowException

    folder = Path(folder)
    journal = Journal(folder / "tracking" if (folder / "tracking").is_dir() else folder)
    if not journal.exists:
        raise StanceError("no tracking journal here: this run logged everything it had, or this is not a "
                          "run's output folder", where=str(folder),
                          fix="give the folder named at the end of the run (outputs/train/<time>)")
    header, entries, progress = journal.header(), journal.entries(), journal.progress()
    done, run_id = progress["done"], header["run_id"]
    if progress.get("complete"):
        return f"already synced: run {run_id} at {progress.get('uri')}"
    uri = uri or header["uri"]
    check_reachable(uri)
    mlflow.set_tracking_uri(uri)
    try:
        mlflow.MlflowClient().get_run(run_id)
    except MlflowException:
        raise StanceError(f"run {run_id} is not in {uri}", where=str(journal.folder),
                          fix="the calls go into the run they belong to: give --uri of the server the run "
                              f"started on ({header['uri']})") from None
    run = Run(mlflow, mlflow.start_run(run_id=run_id))
    run.model_version = progress.get("model_version")  # registered by an earlier, interrupted sync

    def mark(n: int, **extra) -> None:
        journal.mark_synced(n, uri=uri, model_version=run.model_version, **extra)

    try:
        journal.replay(run, on_done=mark, start=done)
        if not any(e["op"] == "end" for e in entries):  # the process ended without a word
            run.end("KILLED")
    except Exception as exc:  # noqa: BLE001 — one line, and the next sync goes on from here
        step = journal.progress()["done"] + 1
        op = entries[step - 1]["op"] if step <= len(entries) else "end"
        raise StanceError(f"sync stopped at call {step} of {len(entries)} ({op}): {first_line(exc)}",
                          where=str(journal.folder),
                          fix="fix the cause and run the same command again: it goes on from there") from None
    finally:
        if mlflow.active_run() is not None:  # only after a failure: the journal's own end comes later
            with contextlib.suppress(Exception):
                mlflow.end_run("FAILED")
    mark(len(entries), complete=True)
    return (f"synced {len(entries) - done} calls into run {run_id} at {uri}"
            + (f"; the model is registered as version {run.model_version}" if run.model_version else ""))


def download_model(uri: str, cfg=None) -> tuple[Path, str]:
    """Download a logged stance model (models:/..., runs:/...) and return (folder, description)."""
    import tempfile

    import mlflow
    from mlflow.exceptions import MlflowException

    from stance.models.base import MANIFEST

    tracking_uri = resolve_uri(cfg) if cfg is not None else os.environ.get("MLFLOW_TRACKING_URI")
    if tracking_uri:
        check_reachable(tracking_uri, getattr(cfg, "connect_timeout_s", 5.0))
        mlflow.set_tracking_uri(tracking_uri)
    desc = uri
    try:
        if uri.startswith("models:/"):
            desc = _describe_registered(mlflow.MlflowClient(), uri)
        local = Path(mlflow.artifacts.download_artifacts(artifact_uri=uri,
                                                         dst_path=tempfile.mkdtemp(prefix="stance-model-")))
    except MlflowException as exc:
        raise StanceError(f"cannot load MLflow model {uri}: {exc.message.splitlines()[0]}",
                          fix="check the name/version/alias (mlflow UI → Models) and the tracking URI") from None
    found = sorted(local.rglob(MANIFEST))
    if not found:
        raise StanceError(f"{uri} is not a stance model (no {MANIFEST} inside)")
    return found[0].parent, desc


def _describe_registered(client, uri: str) -> str:
    """models:/name@alias or models:/name/version -> 'models:/name/<version> (run <id>)'."""
    ref = uri[len("models:/"):]
    if "@" in ref:
        name, alias = ref.split("@", 1)
        mv = client.get_model_version_by_alias(name, alias)
    else:
        name, _, version = ref.partition("/")
        mv = client.get_model_version(name, version)
    return f"models:/{mv.name}/{mv.version} (run {mv.run_id})"


class SweepCallback(Callback):
    """Hydra callback: one parent MLflow run per multirun; each job nests under it.

    At the end the parent records the sweep's overrides and its best child (by
    best_validation_macro_f1). Registered in configs/train.yaml under hydra.callbacks.
    """

    metric = "best_validation_macro_f1"

    def __init__(self):
        self.parent_id: str | None = None

    def on_multirun_start(self, config, **kwargs) -> None:
        if not config.tracking.enabled:
            return
        import mlflow

        exp = connect(config.tracking, config.tracking.experiment or config.hydra.job.config_name)
        overrides = list(config.hydra.overrides.task)
        client = mlflow.MlflowClient()
        sweeper = config.hydra.sweeper.get("_target_", "basic").rsplit(".", 1)[-1]
        run = client.create_run(exp.experiment_id, run_name="sweep: " + " ".join(overrides)[:200],
                                tags={"stage": "sweep", "sweeper": sweeper,
                                      "launcher": config.hydra.launcher.get("_target_", "").rsplit(".", 1)[-1]})
        self.parent_id = run.info.run_id
        client.log_param(self.parent_id, "sweep_overrides", " ".join(overrides)[:MAX_VALUE])
        os.environ[PARENT_ENV] = self.parent_id
        self._client = client

    def on_multirun_end(self, config, **kwargs) -> None:
        if not self.parent_id:
            return
        try:
            self._summarise()
        except Exception as exc:  # noqa: BLE001 — the jobs are done; their runs say the rest
            if not is_outage(exc):
                raise
            print(f"warning: sweep run {self.parent_id} not updated: the MLflow server is not answering "
                  f"({first_line(exc, 200)})")
        finally:
            os.environ.pop(PARENT_ENV, None)

    def _summarise(self) -> None:
        """Record the number of jobs and the best child in the parent run, and end it."""
        client = self._client
        parent = client.get_run(self.parent_id)
        children = client.search_runs([parent.info.experiment_id],
                                      filter_string=f"tags.mlflow.parentRunId = '{self.parent_id}'",
                                      order_by=[f"metrics.{self.metric} DESC"])
        client.log_metric(self.parent_id, "jobs", len(children))
        if children and self.metric in children[0].data.metrics:
            best = children[0]
            client.set_tag(self.parent_id, "best_child_run_id", best.info.run_id)
            client.set_tag(self.parent_id, "best_child_run_name", best.info.run_name)
            client.log_metric(self.parent_id, self.metric, best.data.metrics[self.metric])
            print(f"Sweep {self.parent_id}: best job {best.info.run_name} "
                  f"({self.metric} {best.data.metrics[self.metric]:.4f})")
        client.set_terminated(self.parent_id)


def search_runs(cfg, experiment: str, max_runs: int = 500):
    """The runs of an experiment as a pandas DataFrame (params.*, metrics.*, tags.* columns)."""
    import mlflow

    uri = resolve_uri(cfg)
    check_reachable(uri, cfg.connect_timeout_s)
    mlflow.set_tracking_uri(uri)
    if mlflow.get_experiment_by_name(experiment) is None:
        raise StanceError(f"no experiment named {experiment!r} in {uri}",
                          fix="check the name in the MLflow UI, or pass experiment=<name>")
    return mlflow.search_runs(experiment_names=[experiment], max_results=max_runs,
                              order_by=["attributes.start_time ASC"])
