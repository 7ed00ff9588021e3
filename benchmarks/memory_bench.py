"""Peak memory of the predict stage on a large dump: does RSS stay flat as input grows?

    python benchmarks/memory_bench.py [--model models/latest] [--gb 1.0] [--minutes 5]

Generates a JSONL dump of `--gb` GB from the project's own sentences (documents of 5-40
sentences), then runs scripts/predict.py on it twice, sampling the RSS of the whole
process tree (prefetch thread, splitting workers included) every 0.5 s:

  1. full pass, segment=false: every document is read, classified (as one record, cut to
     max_chars) and written; the dump's documents repeat, so the duplicate cache answers
     most of them and the whole gigabyte streams through reading, caching and writing;
  2. sentence mode (the default job), stopped after `--minutes`: a real job on this dump
     takes hours on 2 cores, so this shows RSS against documents done over that time.

Writes benchmarks/results/memory_bench.{json,md}; the target is peak RSS <= 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]


def make_dump(path: Path, target_bytes: int, distinct_docs: int = 2_000, seed: int = 0) -> int:
    """A dump of `target_bytes` whose documents cycle through `distinct_docs` made-up ones."""
    sentences = [json.loads(l)["text"] for s in ("train", "validation", "test")
                 for l in (ROOT / "data" / f"{s}.jsonl").read_text().splitlines()]
    rng = random.Random(seed)
    docs = [" ".join(rng.choices(sentences, k=rng.randint(5, 40))) for _ in range(distinct_docs)]
    written, n = 0, 0
    with path.open("w") as fh:
        while written < target_bytes:
            line = json.dumps({"id": f"doc{n}", "text": docs[n % distinct_docs], "source": f"s{n % 7}"}) + "\n"
            fh.write(line)
            written += len(line)
            n += 1
    return n


def sample_run(cmd: list[str], env: dict, limit_s: float | None, summary: Path | None = None) -> dict:
    """Run `cmd`, sampling process-tree RSS; stop it after `limit_s` seconds if given."""
    import tempfile

    started = time.time()
    err_f = tempfile.TemporaryFile("w+")  # a file, not a pipe that could fill up and block the job
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err_f, text=True,
                            start_new_session=True)
    ps, samples = psutil.Process(proc.pid), []
    while proc.poll() is None:
        try:
            rss = ps.memory_info().rss + sum(c.memory_info().rss for c in ps.children(recursive=True))
            samples.append((round(time.time() - started, 1), rss))
        except psutil.Error:
            pass
        if limit_s and time.time() - started > limit_s:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait()
            break
        time.sleep(0.5)
    err_f.seek(0)
    err = err_f.read()
    if not limit_s and proc.returncode:
        sys.exit(f"failed: {' '.join(cmd)}\n{err[-3000:]}")
    peak = max(r for _, r in samples)
    half = [r for t, r in samples if t > samples[-1][0] / 2]
    return {"wall_s": round(time.time() - started, 1), "peak_rss_mb": round(peak / 2**20),
            "peak_rss_second_half_mb": round(max(half) / 2**20) if half else None,
            "rss_mb_by_minute": {f"{int(t // 60)}": round(r / 2**20) for t, r in samples}}


def full_pass(base: list[str], work: Path, env: dict) -> dict:
    out = work / "mem_full"
    shutil.rmtree(out, ignore_errors=True)
    full = sample_run(base + ["segment=false", f"output={out}", f"hydra.run.dir={work}/mem1"], env, None)
    summary = json.loads(Path(str(out) + ".summary.json").read_text())
    full.update(documents=summary["documents"], rows=summary["rows"],
                cache_hits=summary["this_session"]["duplicate_cache_hits"])
    print("full pass:", json.dumps({k: v for k, v in full.items() if k != "rss_mb_by_minute"}), flush=True)
    return full


def sentence_run(base: list[str], work: Path, env: dict, minutes: float) -> dict:
    out = work / "mem_sent"
    shutil.rmtree(out, ignore_errors=True)
    # small shards so that the manifest shows how far the job got when it is stopped
    sent = sample_run(base + [f"output={out}", "shard_docs=200", f"hydra.run.dir={work}/mem2"], env, minutes * 60)
    manifest = out / "_manifest.json"
    done = json.loads(manifest.read_text()) if manifest.exists() else {}
    sent.update(documents_done=sum(s["documents"] for s in done.get("shards", [])),
                rows_done=sum(s["rows"] for s in done.get("shards", [])))
    print("sentence mode:", json.dumps({k: v for k, v in sent.items() if k != "rss_mb_by_minute"}), flush=True)
    return sent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(ROOT / "models" / "latest"))
    ap.add_argument("--gb", type=float, default=1.0)
    ap.add_argument("--minutes", type=float, default=5.0, help="time limit of the sentence-mode run")
    ap.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "work")
    ap.add_argument("--runs", default="full,sentences",
                    help="which runs to (re)measure; the other keeps its figures from the last results file")
    args = ap.parse_args()
    runs = set(args.runs.split(","))
    args.work.mkdir(parents=True, exist_ok=True)
    dump = args.work / f"dump_{args.gb:g}gb.jsonl"
    if not dump.is_file() or dump.stat().st_size < args.gb * 1e9:
        n_docs = make_dump(dump, int(args.gb * 1e9))
    else:
        n_docs = sum(1 for _ in dump.open())
    size_gb = dump.stat().st_size / 1e9
    print(f"dump: {dump} ({size_gb:.2f} GB, {n_docs} documents)", flush=True)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    base = [sys.executable, str(ROOT / "scripts" / "predict.py"), f"model={Path(args.model).resolve()}",
            f"input={dump}", "tracking=none", "progress=false", "carry=[source]"]
    out_dir = ROOT / "benchmarks" / "results"
    previous = out_dir / "memory_bench.json"
    results = json.loads(previous.read_text()) if previous.is_file() else {}
    results.update({"dump_gb": round(size_gb, 2), "documents": n_docs})
    if "full" in runs:
        results["full_pass_segment_false"] = full_pass(base, args.work, env)
    if "sentences" in runs:
        results["sentence_mode_time_limited"] = sentence_run(base, args.work, env, args.minutes)
    full, sent = results["full_pass_segment_false"], results["sentence_mode_time_limited"]
    minutes = sent["wall_s"] / 60

    table = "\n".join([
        f"Dump: {size_gb:.2f} GB JSONL, {n_docs:,} documents.", "",
        "| run | documents done | wall s | peak RSS MB | peak RSS, 2nd half MB |", "|---|---|---|---|---|",
        f"| full pass, segment=false | {full['documents']:,} | {full['wall_s']} | {full['peak_rss_mb']} | "
        f"{full['peak_rss_second_half_mb']} |",
        f"| sentences (default), first {minutes:.0f} min | {sent['documents_done']:,} | {sent['wall_s']} | "
        f"{sent['peak_rss_mb']} | {sent['peak_rss_second_half_mb']} |"])
    out_dir.mkdir(exist_ok=True)
    (out_dir / "memory_bench.json").write_text(json.dumps(results, indent=2) + "\n")
    (out_dir / "memory_bench.md").write_text(table + "\n")
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
