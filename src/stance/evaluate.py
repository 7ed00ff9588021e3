"""The evaluate stage: any saved model (folder or MLflow URI) on any labelled file, as its own run."""

from __future__ import annotations

from pathlib import Path

from omegaconf import OmegaConf

from stance import evalsets, tracking
from stance.data.load import file_digest, load_file, load_splits, split_paths
from stance.document_eval import evaluate_documents
from stance.errors import StanceError
from stance.metrics import evaluate, format_summary
from stance.outputs import load_classifier, safe_name


def run(cfg) -> float:
    from hydra.core.hydra_config import HydraConfig

    out_dir = Path(HydraConfig.get().runtime.output_dir)
    classifier, model_desc = load_classifier(cfg.model_uri, cfg.tracking)
    labels = classifier.labels
    sets, notes = evalsets.available(cfg.eval_sets)
    for note in notes:
        print(note)
    targets: dict[str, tuple] = {}  # name -> (source file, dataset)
    if cfg.data_file:
        source = Path(cfg.data_file)
        targets[source.stem] = ([source], load_file(source, labels, cfg.data.text_field, cfg.data.label_field))
    elif cfg.split:
        if cfg.split not in ("train", "validation", "test"):
            raise StanceError(f"split={cfg.split!r} is not one of train, validation, test, null")
        targets[f"{cfg.data.name}-{cfg.split}"] = (split_paths(cfg.data)[cfg.split],
                                                   load_splits(cfg.data, labels)[cfg.split])
    for name, c in sets.items():
        targets[name] = ([Path(c.file)], evalsets.load_set(name, c, labels))
    documents = Path(cfg.documents) if cfg.documents else None
    if documents is not None and not documents.is_file():
        raise StanceError("file not found", where=str(documents),
                          fix="give a document-corpus file, e.g. documents=data/documents/test.jsonl")
    if not targets and documents is None:
        raise StanceError("nothing to evaluate: split=null and no eval set found",
                          fix="give split=test, data=<file>, or eval_sets=[realdev] with its file present")
    first = next(iter(targets), None)
    names = list(targets) + ([f"documents-{documents.stem}"] if documents is not None else [])
    run_name = cfg.run_name or safe_name(f"{Path(str(cfg.model_uri)).name}-on-{'+'.join(names)}")
    tags = {"stage": "evaluate", "model": model_desc,
            "data_digest": file_digest([src for srcs, _ in targets.values() for src in srcs]
                                       + ([documents] if documents is not None else [])),
            "git_commit": tracking.git_commit(Path(cfg.paths.root))}

    results = {}
    with tracking.start_run(cfg.tracking, "evaluate", run_name, tags) as mlrun:
        mlrun.log_params(tracking.flatten(OmegaConf.to_container(cfg, resolve=True)))
        metrics = {"temperature": float(getattr(classifier, "temperature", 1.0) or 1.0)}
        for name, (source, data) in targets.items():
            mlrun.log_input(data.select_columns(["text", "label"]).to_pandas(), source=", ".join(map(str, source)),
                            name=name, context="evaluation")
            proba = classifier.predict_proba(data["text"], batch_size=cfg.batch_size)
            results[name] = evalsets.score(data, proba, labels, out_dir / "eval", prefix=safe_name(name))
            flat = evalsets.flat_metrics(name, results[name], labels)
            flat.update({f"{name}_slice_{t}_macro_f1": s["macro_f1"] for t, s in results[name]["slices"].items()})
            metrics.update(flat)
            if name == first:  # unprefixed too: what `compare` and older runs read
                metrics.update(results[name]["metrics"])
                metrics.update({f"slice_{t}_macro_f1": s["macro_f1"] for t, s in results[name]["slices"].items()})
            for artifact in results[name]["artifacts"]:
                mlrun.log_artifact(artifact, "eval")
        if documents is not None:
            name = f"documents-{documents.stem}"
            (out_dir / "eval").mkdir(parents=True, exist_ok=True)
            y, proba, registers, texts, ids, bounds = evaluate_documents(
                classifier, documents, cfg.batch_size, out_path=out_dir / "eval" / f"{name}_predictions.jsonl")
            results[name] = evaluate(y, proba, labels, texts=texts, ids=ids, out_dir=out_dir / "eval",
                                     prefix=name, groups=registers)
            results[name]["boundaries"] = bounds
            metrics.update(evalsets.flat_metrics(name.replace("-", "_"), results[name], labels))
            metrics.update({f"{name.replace('-', '_')}_{k}": v for k, v in bounds.items()})
            targets[name] = ([documents], None)
            for artifact in results[name]["artifacts"] + [out_dir / "eval" / f"{name}_predictions.jsonl"]:
                mlrun.log_artifact(artifact, "eval")
        mlrun.log_metrics(metrics)

    print(f"Model: {model_desc}")
    for name, (source, data) in targets.items():
        r = results[name]
        n = len(data) if data is not None else r["boundaries"]["gold_sentences"]
        print(f"\n{name}: {', '.join(map(str, source))} ({n} sentences)")
        print(format_summary(r["metrics"], labels))
        print(f"  ECE {r['metrics']['ece']:.4f}"
              + (f"   lenient macro-F1 {r['metrics']['lenient_macro_f1']:.4f}"
                 if "lenient_macro_f1" in r["metrics"] else ""))
        if r["groups"]:
            print("  by group: " + ", ".join(f"{g} {v['macro_f1']:.3f} (n={v['rows']})"
                                             for g, v in r["groups"].items()))
        if "boundaries" in r:
            b = r["boundaries"]
            print(f"  sentence splitting: {b['found']} of {b['gold_sentences']} gold sentences found "
                  f"(recall {b['boundary_recall']:.3f}, precision {b['boundary_precision']:.3f})")
        if r["slices"]:
            print("  per-tag slices: " + ", ".join(f"{t} {s['macro_f1']:.3f} (n={s['rows']})"
                                                   for t, s in r["slices"].items()))
    print(f"\nReports, confusion matrices and reliability diagrams in {out_dir / 'eval'}"
          + (f"; MLflow run {mlrun.run_id}" if mlrun.run_id else ""))
    return float(results[first or next(iter(results))]["metrics"]["macro_f1"])
