"""The train stage: data -> model -> fit -> test metrics -> saved folder -> MLflow."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import numpy as np
from omegaconf import OmegaConf

from stance import evalsets, model_card, models, tracking
from stance.calibration import apply_temperature, fit_temperature
from stance.data.load import extra_digests, file_digest, load_splits, split_paths
from stance.errors import StanceError
from stance.labels import LabelSet
from stance.metrics import evaluate, format_summary
from stance.outputs import new_model_dir, publish


def _hydra_info() -> tuple[str, str, Path]:
    """(config name, overrides as a run name, Hydra output folder)."""
    from hydra.core.hydra_config import HydraConfig

    hc = HydraConfig.get()
    return str(hc.job.config_name), hc.job.override_dirname, Path(hc.runtime.output_dir)


def _fit_temperature(fit_on: str, classifier, data, set_data: dict, raw: dict, batch_size: int):
    """(T, where it was fitted): on the named eval set, else on our validation split."""
    if fit_on == "none" or getattr(classifier, "temperature", None) is None:
        return 1.0, "none"
    if fit_on not in set_data:
        if fit_on != "validation":
            print(f"calibration.fit_on={fit_on}: no such eval set here, fitting on validation")
        fit_on = "validation"
        y = np.asarray(data["validation"]["label"])
        proba = classifier.predict_proba(data["validation"]["text"], batch_size=batch_size)
    else:
        y, proba = np.asarray(set_data[fit_on]["label"]), raw[fit_on]
    return fit_temperature(proba, y), fit_on


def run(cfg) -> float:
    """Train one model; returns its best validation macro-F1 (the sweepers' objective)."""
    config_name, overrides, out_dir = _hydra_info()
    if cfg.promote not in ("auto", "force", "none"):
        raise StanceError(f"promote={cfg.promote!r} is not one of auto, force, none")
    labels = LabelSet(cfg.data.labels)
    data = load_splits(cfg.data, labels, seed=cfg.seed, limit=cfg.trainer.limit_train_samples)
    files = split_paths(cfg.data)  # split -> the files behind it
    digest = file_digest(files)
    run_name = cfg.run_name or overrides or cfg.model.name
    resolved = OmegaConf.to_container(cfg, resolve=True)
    tags = {"git_commit": tracking.git_commit(Path(cfg.paths.root)), "data_digest": digest,
            "model_family": cfg.model.family, "stage": "train",
            "world_size": os.environ.get("WORLD_SIZE", "1"), **extra_digests(cfg.data), **cfg.tags}

    # Under torchrun/accelerate every process runs this function; only rank 0 tracks and saves.
    is_main = int(os.environ.get("RANK", "0")) == 0
    with tracking.start_run(cfg.tracking, config_name, run_name, tags, active=is_main) as mlrun:
        mlrun.log_params(tracking.flatten(resolved))
        for split in data:
            mlrun.log_input(data[split].select_columns(["text", "label"]).to_pandas(),
                            source=", ".join(map(str, files[split])), name=f"{cfg.data.name}-{split}",
                            context=split)

        sets, notes = evalsets.available(cfg.eval_sets)
        for note in notes:
            print(note)
        set_data = {name: evalsets.load_set(name, c, labels) for name, c in sets.items()}
        classifier = models.build(cfg.model, labels, seed=cfg.seed)
        started = time.time()
        summary = classifier.fit(data, trainer=cfg.trainer, optim=cfg.optim, seed=cfg.seed,
                                 work_dir=out_dir, on_log=mlrun.log_metrics, extra_eval=set_data)
        train_time = time.time() - started
        if not is_main:
            return float(summary["best_validation_macro_f1"])

        test = data["test"]
        bs = cfg.trainer.eval_batch_size
        classifier.temperature = 1.0  # raw probabilities first; calibration below
        raw = {"test": classifier.predict_proba(test["text"], batch_size=bs)}
        for name, ds in set_data.items():
            raw[name] = classifier.predict_proba(ds["text"], batch_size=bs)
        temperature, fit_on = _fit_temperature(cfg.calibration.fit_on, classifier, data, set_data, raw, bs)
        classifier.temperature = temperature

        result = evaluate(test["label"], apply_temperature(raw["test"], temperature), labels,
                          texts=test["text"], ids=test["id"], tags=test["tags"],
                          out_dir=out_dir / "eval", prefix="test")
        test_metrics = {f"test_{k}": v for k, v in result["metrics"].items()}
        test_metrics.update({f"test_slice_{t}_macro_f1": s["macro_f1"] for t, s in result["slices"].items()})
        set_results, set_metrics = {}, {"temperature": temperature}
        for name, ds in set_data.items():
            set_results[name] = evalsets.score(ds, apply_temperature(raw[name], temperature), labels,
                                               out_dir / "eval", prefix=name)
            set_metrics.update(evalsets.flat_metrics(name, set_results[name], labels))
            cal = evalsets.calibration_summary(raw[name], np.asarray(ds["label"]), temperature,
                                               fitted_here=name == fit_on)
            set_metrics.update({f"{name}_{k}": v for k, v in cal.items()})
        final_metrics = {**test_metrics, **set_metrics,
                         "best_validation_macro_f1": summary["best_validation_macro_f1"],
                         "train_time_s": train_time,
                         "train_samples_per_s": summary.get("train_samples_per_s", 0.0)}
        mlrun.log_metrics(final_metrics)

        # Write the model folder completely under a temporary name, then move it into place.
        tmp_dir, final_dir = new_model_dir(Path(cfg.paths.models_dir), run_name)
        classifier.save(tmp_dir)
        (tmp_dir / "config.yaml").write_text(OmegaConf.to_yaml(resolved))
        record = {"run_name": run_name, "mlflow_run_id": mlrun.run_id, "data_digest": digest,
                  "metrics": final_metrics, "slices": result["slices"], "summary": summary,
                  "calibration": {"temperature": temperature, "fit_on": fit_on},
                  "eval_sets": {n: {"file": str(sets[n].file), "groups": r["groups"]}
                                for n, r in set_results.items()}}
        record.update(model_card.facts(data, set_data, labels, out_dir, tags, resolved))
        import json

        (tmp_dir / "metrics.json").write_text(json.dumps(record, indent=2, default=str) + "\n")
        model_card.write(tmp_dir, record, resolved)  # README.md: the model card
        model_dir = publish(tmp_dir, final_dir)
        shutil.rmtree(out_dir / "checkpoints", ignore_errors=True)  # the best one is in model_dir

        for artifact in result["artifacts"] + [a for r in set_results.values() for a in r["artifacts"]]:
            mlrun.log_artifact(artifact, "eval")
        mlrun.log_artifact(out_dir / ".hydra", ".hydra")
        mlrun.log_text(OmegaConf.to_yaml(resolved), "config.yaml")
        mlrun.log_artifact(model_dir / model_card.CARD)  # also inside the logged model, with its folder
        mlrun.log_model(model_dir, cfg.tracking.registered_model_name)
        promotion = mlrun.promote(cfg.tracking.registered_model_name,
                                  summary["best_validation_macro_f1"],
                                  file_digest(files["validation"]), cfg.promote)

    print(f"\nTest ({len(test)} sentences): {format_summary(result['metrics'], labels)}")
    for name, r in set_results.items():
        m = r["metrics"]
        print(f"\n{name} ({len(set_data[name])} sentences): {format_summary(m, labels)}")
        if r["groups"]:
            print("  by group: " + ", ".join(f"{g} {v['macro_f1']:.3f}" for g, v in r["groups"].items()))
    print(f"Calibration: temperature {temperature:.3f} fitted on {fit_on}")
    print(f"Best validation macro-F1: {summary['best_validation_macro_f1']:.4f}")
    print(f"Model saved to {model_dir} (models/latest points to it)")
    if mlrun.run_id:
        print(f"MLflow run {mlrun.run_id} in experiment '{cfg.tracking.experiment or config_name}'"
              + (f", registered as {cfg.tracking.registered_model_name} v{mlrun.model_version}"
                 if mlrun.model_version else ""))
        if mlrun.model_version:
            print(f"Registry: {promotion}")
    if status := mlrun.status_line():  # the tracking server went away: what is kept, how to push it
        print(status)
    return float(summary["best_validation_macro_f1"])
