"""The evaluate stage: any saved model (folder or MLflow URI) on any labelled file, as its own run."""

from __future__ import annotations

from pathlib import Path

from omegaconf import OmegaConf

from stance import tracking
from stance.data.load import file_digest, load_file, split_paths
from stance.metrics import evaluate, format_summary
from stance.outputs import load_classifier, safe_name


def run(cfg) -> float:
    from hydra.core.hydra_config import HydraConfig

    out_dir = Path(HydraConfig.get().runtime.output_dir)
    classifier, model_desc = load_classifier(cfg.model_uri, cfg.tracking)
    labels = classifier.labels
    source = Path(cfg.data_file) if cfg.data_file else split_paths(cfg.data)[cfg.split]
    data = load_file(source, labels, cfg.data.text_field, cfg.data.label_field)
    data_name = source.stem if cfg.data_file else f"{cfg.data.name}-{cfg.split}"
    run_name = cfg.run_name or safe_name(f"{Path(str(cfg.model_uri)).name}-on-{data_name}")
    tags = {"stage": "evaluate", "model": model_desc, "data_digest": file_digest([source]),
            "git_commit": tracking.git_commit(Path(cfg.paths.root))}

    with tracking.start_run(cfg.tracking, "evaluate", run_name, tags) as mlrun:
        mlrun.log_params(tracking.flatten(OmegaConf.to_container(cfg, resolve=True)))
        mlrun.log_input(data.select_columns(["text", "label"]).to_pandas(), source=str(source),
                        name=data_name, context="evaluation")
        proba = classifier.predict_proba(data["text"], batch_size=cfg.batch_size)
        result = evaluate(data["label"], proba, labels, texts=data["text"], ids=data["id"],
                          tags=data["tags"], out_dir=out_dir / "eval", prefix=safe_name(data_name))
        metrics = dict(result["metrics"])
        metrics.update({f"slice_{t}_macro_f1": s["macro_f1"] for t, s in result["slices"].items()})
        mlrun.log_metrics(metrics)
        for artifact in result["artifacts"]:
            mlrun.log_artifact(artifact, "eval")

    print(f"Model: {model_desc}")
    print(f"Data: {source} ({len(data)} sentences)")
    print(format_summary(result["metrics"], labels))
    if result["slices"]:
        print("Per-tag slices: " + ", ".join(f"{t} {s['macro_f1']:.3f} (n={s['rows']})"
                                              for t, s in result["slices"].items()))
    print(f"Report and confusion matrix in {out_dir / 'eval'}"
          + (f"; MLflow run {mlrun.run_id}" if mlrun.run_id else ""))
    return float(result["metrics"]["macro_f1"])
