"""Batch inference as a user runs it: formats, shards, resume after a kill, bad records."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from conftest import ROOT, run_script, start_script

pytestmark = pytest.mark.integration

SENTENCES = ["The ministry said on Monday that the plan was not negotiable.",
             "Officials in Ankara welcomed the offer of talks in Geneva.",
             "The spokesman warned that any incursion would be met with force.",
             "Talks are scheduled to resume next week, diplomats said.",
             "Dr. Smith of the U.N. mission said the exercises were purely defensive."]


def make_dump(path: Path, n_docs: int) -> Path:
    with path.open("w") as fh:
        for i in range(n_docs):
            text = " ".join(SENTENCES[(i + k) % len(SENTENCES)] for k in range(2 + i % 4))
            fh.write(json.dumps({"id": f"doc{i}", "text": text, "source": f"s{i % 3}"}) + "\n")
    return path


@pytest.fixture(scope="module")
def reference(tmp_path_factory, tfidf_model):
    """A 6,000-document dump, the arguments every interrupted run uses, and its uninterrupted output."""
    tmp = tmp_path_factory.mktemp("reference")
    dump = make_dump(tmp / "dump.jsonl", 6000)
    common = [f"model={tfidf_model}", f"input={dump}", "shard_docs=300", "window=256", "carry=[source]"]
    full = run_script("predict", *common, f"output={tmp}/full.jsonl", f"hydra.run.dir={tmp}/a")
    assert full.returncode == 0, full.stderr[-2000:]
    return common, tmp / "full.jsonl"


def wait_for_shards(manifest: Path, n: int, proc: subprocess.Popen) -> None:
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if manifest.exists() and len(json.loads(manifest.read_text())["shards"]) >= n:
            return
        time.sleep(0.05)
    raise AssertionError(f"no {n} shards in {manifest} (job ended: {proc.poll()})")


def last_line_error(proc_stderr: str, *needles: str) -> str:
    """The job ended with one `error:` line, the last one, with no traceback."""
    assert "Traceback" not in proc_stderr, proc_stderr[-3000:]
    lines = proc_stderr.strip().splitlines()
    assert lines[-1].startswith("error: ") and sum(l.startswith("error: ") for l in lines) == 1, proc_stderr
    for n in needles:
        assert n in lines[-1], lines[-1]
    return lines[-1]


def test_kill_then_resume_equals_uninterrupted(tmp_path, reference):
    common, full = reference
    out = tmp_path / "resumed.jsonl"
    proc = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "predict.py"), *common, f"output={out}",
                             f"hydra.run.dir={tmp_path}/b"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    manifest = tmp_path / "resumed.jsonl.parts" / "_manifest.json"
    deadline = time.time() + 120
    while time.time() < deadline:
        if manifest.exists() and len(json.loads(manifest.read_text())["shards"]) >= 2:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not out.exists(), "the job finished before it could be interrupted"
    done = len(json.loads(manifest.read_text())["shards"])
    assert 2 <= done < 20

    again = run_script("predict", *common, f"output={out}", "resume=true", f"hydra.run.dir={tmp_path}/c")
    assert again.returncode == 0, again.stderr[-2000:]
    # the killed job could not remove its lock file: the lock is free, and taken over with a note
    assert f"note: {out}: taking over the lock of a job that is gone (pid {proc.pid} " in again.stderr
    a = pd.read_json(full, lines=True)
    b = pd.read_json(out, lines=True)
    assert len(a) == len(b) and b["id"].is_unique
    pd.testing.assert_frame_equal(a, b)
    assert set(a["doc_id"]) == {f"doc{i}" for i in range(6000)}
    assert list(a.columns[:6]) == ["id", "doc_id", "sent_idx", "start", "end", "source"]
    assert not (tmp_path / "resumed.jsonl.parts").exists()
    summary = json.loads((tmp_path / "resumed.jsonl.summary.json").read_text())
    assert summary["documents"] == 6000 and summary["this_session"]["documents"] < 6000
    assert summary["this_session"]["duplicate_cache_hits"] > 0


def test_second_job_is_refused_and_sigterm_closes_the_shard(tmp_path, reference):
    """A second job on the same output gets one line naming the holder; SIGTERM makes the
    first close its current shard, write the manifest and exit 143 with a hint to resume."""
    common, full = reference
    out = tmp_path / "out.jsonl"
    first = start_script("predict", *common, f"output={out}", f"hydra.run.dir={tmp_path}/a")
    wait_for_shards(tmp_path / "out.jsonl.parts" / "_manifest.json", 1, first)
    os.kill(first.pid, signal.SIGSTOP)  # holds the lock, mid-job, while the second one tries
    try:
        second = run_script("predict", *common, f"output={out}", f"hydra.run.dir={tmp_path}/b")
    finally:
        os.kill(first.pid, signal.SIGCONT)
    assert second.returncode == 2
    last_line_error(second.stderr, f"{out}: the output is in use by another job (pid {first.pid} on ",
                    "wait for that job to end, or write to another output")

    os.kill(first.pid, signal.SIGTERM)
    _, stderr = first.communicate(timeout=120)
    assert first.returncode == 128 + signal.SIGTERM
    assert "SIGTERM: closing the current shard, then stopping" in stderr
    last_line_error(stderr, "stopped by SIGTERM", "finished shards", "run the same command with resume=true")
    parts = tmp_path / "out.jsonl.parts"
    manifest = json.loads((parts / "_manifest.json").read_text())
    assert not out.exists() and not (tmp_path / "out.jsonl.lock").exists()
    listed = [s["file"] for s in manifest["shards"]] + ["_manifest.json"]
    assert sorted(p.name for p in parts.iterdir()) == sorted(listed)
    assert 0 < sum(s["documents"] for s in manifest["shards"]) < 6000

    again = run_script("predict", *common, f"output={out}", "resume=true", f"hydra.run.dir={tmp_path}/c")
    assert again.returncode == 0, again.stderr[-2000:]
    pd.testing.assert_frame_equal(pd.read_json(full, lines=True), pd.read_json(out, lines=True))


def test_damaged_shard_is_redone_on_resume(tmp_path, tfidf_model):
    dump = make_dump(tmp_path / "dump.jsonl", 300)
    args = [f"model={tfidf_model}", f"input={dump}", f"output={tmp_path}/out", "shard_docs=50"]
    proc = run_script("predict", *args, f"hydra.run.dir={tmp_path}/a")
    assert proc.returncode == 0, proc.stderr[-2000:]
    before = pd.read_parquet(tmp_path / "out")
    damaged = tmp_path / "out" / "part-00002.parquet"
    damaged.write_bytes(damaged.read_bytes()[:-100])  # a truncated file, as a failing disk leaves it

    again = run_script("predict", *args, "resume=true", f"hydra.run.dir={tmp_path}/b")
    assert again.returncode == 0, again.stderr[-2000:]
    assert f"note: {damaged} is damaged (" in again.stderr
    assert "keeping the 2 shards before it (100 documents), redoing the rest" in again.stderr
    summary = json.loads((tmp_path / "out.summary.json").read_text())
    assert summary["documents"] == 300 and summary["this_session"]["documents"] == 200
    pd.testing.assert_frame_equal(before, pd.read_parquet(tmp_path / "out"))


@pytest.fixture()
def small_disk(tmp_path):
    """A 24 MB tmpfs: a disk that fills up. Mounting needs root (as CI runs) or CAP_SYS_ADMIN."""
    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(folder)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a size-limited tmpfs here (needs root): {mounted.stderr.strip()}")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=True)


def test_disk_full_keeps_the_finished_shards_and_resume_completes(tmp_path, reference, small_disk):
    common, full = reference
    filler = small_disk / "filler"
    filler.write_bytes(b"\0" * (23 << 20))  # about 1 MB left: two or so shards of 300 documents
    out = small_disk / "out.jsonl"
    proc = run_script("predict", *common, f"output={out}", f"hydra.run.dir={tmp_path}/a")
    assert proc.returncode == 2
    last_line_error(proc.stderr, "no space left on the device", "finished shards",
                    f"are kept in {out}.parts", "free some space", "resume=true")
    parts = small_disk / "out.jsonl.parts"
    manifest = json.loads((parts / "_manifest.json").read_text())
    assert len(manifest["shards"]) >= 1 and not out.exists()
    assert not [p.name for p in parts.iterdir() if ".tmp-" in p.name]  # no half-written file left
    assert not (small_disk / "out.jsonl.lock").exists()

    filler.unlink()
    again = run_script("predict", *common, f"output={out}", "resume=true", f"hydra.run.dir={tmp_path}/b")
    assert again.returncode == 0, again.stderr[-2000:]
    pd.testing.assert_frame_equal(pd.read_json(full, lines=True), pd.read_json(out, lines=True))


def test_folder_output_stdin_and_error_rate(tmp_path, tfidf_model):
    lines = [json.dumps({"id": f"d{i}", "text": SENTENCES[i % 5]}) for i in range(50)]
    lines[10] = "{not json"
    lines[20] = json.dumps({"id": "empty", "text": "  "})
    data = "\n".join(lines) + "\n"
    cmd = [sys.executable, str(ROOT / "scripts" / "predict.py"), f"model={tfidf_model}", "input=-",
           f"output={tmp_path}/shards", "shard_docs=20", f"hydra.run.dir={tmp_path}/o"]
    proc = subprocess.run(cmd, input=data, capture_output=True, text=True, timeout=300)
    # 2 bad of 50 = 4% > 1%: the rows are written, but the job says so and fails
    assert proc.returncode == 2 and "above max_error_rate=0.01" in proc.stderr
    manifest = json.loads((tmp_path / "shards" / "_manifest.json").read_text())
    assert manifest["complete"] and [s["documents"] for s in manifest["shards"]] == [20, 20, 8]
    rows = pd.read_parquet(tmp_path / "shards")
    assert len(rows) == 48
    errors = [json.loads(l) for l in (tmp_path / "shards.errors.jsonl").read_text().splitlines()]
    assert [e["where"] for e in errors] == ["<stdin>:11", "<stdin>:21"]

    ok = subprocess.run(cmd + ["max_error_rate=0.05", "segment=false"], input=data, capture_output=True,
                        text=True, timeout=300)
    assert ok.returncode == 0, ok.stderr[-2000:]


def test_ray_engine_gives_the_same_rows_as_local(tmp_path, tfidf_model):
    pytest.importorskip("ray")
    inputs = tmp_path / "in"
    inputs.mkdir()
    make_dump(inputs / "a.jsonl", 40)
    with (inputs / "b.jsonl").open("w") as fh:  # a second file, with one bad record
        fh.write('{"id": "x1", "text": "Officials said the talks were over.", "source": "s9"}\n{"id": "x2"\n')
    common = [f"model={tfidf_model}", f"input={inputs}", "carry=[source]", "max_error_rate=0.5"]
    local = run_script("predict", *common, f"output={tmp_path}/local.parquet", f"hydra.run.dir={tmp_path}/l")
    assert local.returncode == 0, local.stderr[-2000:]
    ray_run = run_script("predict", *common, "engine=ray", "ray.num_cpus=2", "ray.batch_size=16",
                         f"output={tmp_path}/ray_out", f"hydra.run.dir={tmp_path}/r", timeout=240)
    assert ray_run.returncode == 0, ray_run.stderr[-3000:]

    key = ["doc_id", "sent_idx"]
    a = pd.read_parquet(tmp_path / "local.parquet").sort_values(key).reset_index(drop=True)
    b = pd.read_parquet(tmp_path / "ray_out").sort_values(key).reset_index(drop=True)
    assert list(b.columns) == list(a.columns) and len(a) == len(b) > 100
    pd.testing.assert_frame_equal(a.drop(columns=[c for c in a if c.startswith("p_")] + ["score"]),
                                  b.drop(columns=[c for c in b if c.startswith("p_")] + ["score"]),
                                  check_dtype=False)  # Ray writes large_string
    assert (a.filter(like="p_") - b.filter(like="p_")).abs().to_numpy().max() < 1e-6
    summary = json.loads((tmp_path / "ray_out.summary.json").read_text())
    assert summary["engine"] == "ray" and summary["documents"] == 41 and summary["bad_records"] == 1
    errors = (tmp_path / "ray_out.errors.jsonl").read_text().splitlines()
    assert len(errors) == 1 and "b.jsonl:2" in errors[0] and "malformed JSON" in errors[0]


def test_worker_processes_give_the_same_rows_as_one_process(tmp_path, tfidf_model):
    dump = make_dump(tmp_path / "dump.jsonl", 300)
    with dump.open("a") as fh:  # one bad record among the documents
        fh.write('{"id": "bad", "text": ""}\n{"id": "doc-last", "text": "Officials said the talks were over."}\n')
    common = [f"model={tfidf_model}", f"input={dump}", "carry=[source]", "shard_docs=50", "max_error_rate=0.5"]
    one = run_script("predict", *common, f"output={tmp_path}/one.jsonl", f"hydra.run.dir={tmp_path}/a")
    assert one.returncode == 0, one.stderr[-2000:]
    two = run_script("predict", *common, "workers=2", f"output={tmp_path}/two.jsonl", f"hydra.run.dir={tmp_path}/b")
    assert two.returncode == 0, two.stderr[-2000:]
    a = pd.read_json(tmp_path / "one.jsonl", lines=True)
    b = pd.read_json(tmp_path / "two.jsonl", lines=True)
    pd.testing.assert_frame_equal(a, b)
    # splitting in a separate process (split_workers=1) gives the same rows too
    split = run_script("predict", *common, "split_workers=1", f"output={tmp_path}/split.jsonl",
                       f"hydra.run.dir={tmp_path}/c")
    assert split.returncode == 0, split.stderr[-2000:]
    pd.testing.assert_frame_equal(a, pd.read_json(tmp_path / "split.jsonl", lines=True))
    assert len(a) > 1000 and a["doc_id"].iloc[-1] == "doc-last"
    assert (tmp_path / "one.jsonl.errors.jsonl").read_text() == (tmp_path / "two.jsonl.errors.jsonl").read_text()
    summary = json.loads((tmp_path / "two.jsonl.summary.json").read_text())
    assert summary["documents"] == 301 and summary["bad_records"] == 1


def test_min_score_abstains_and_uses_the_calibrated_temperature(tmp_path, tfidf_model):
    """Rows below min_score get `uncertain` (their probabilities kept); a temperature written
    into the model folder changes the scores predict writes."""
    import shutil

    model = tmp_path / "model"
    shutil.copytree(tfidf_model, model)
    dump = make_dump(tmp_path / "dump.jsonl", 20)
    base = run_script("predict", f"model={model}", f"input={dump}", f"output={tmp_path}/a.jsonl",
                      f"hydra.run.dir={tmp_path}/ha")
    assert base.returncode == 0, base.stderr[-2000:]
    rows = pd.read_json(tmp_path / "a.jsonl", lines=True)
    cut = float(rows["score"].median())
    proc = run_script("predict", f"model={model}", f"input={dump}", f"output={tmp_path}/b.jsonl",
                      f"min_score={cut}", f"hydra.run.dir={tmp_path}/hb")
    assert proc.returncode == 0, proc.stderr[-2000:]
    b = pd.read_json(tmp_path / "b.jsonl", lines=True)
    low = b["score"] < cut
    assert low.any() and (b.loc[low, "label"] == "uncertain").all()
    assert (b.loc[~low, "label"] == rows.loc[~low, "label"]).all()
    summary = json.loads((tmp_path / "b.jsonl.summary.json").read_text())
    assert summary["labels"]["uncertain"] == int(low.sum()) and summary["min_score"] == cut

    manifest = model / "stance_model.json"
    meta = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**meta, "temperature": 3.0}))
    proc = run_script("predict", f"model={model}", f"input={dump}", f"output={tmp_path}/c.jsonl",
                      f"hydra.run.dir={tmp_path}/hc")
    assert proc.returncode == 0, proc.stderr[-2000:]
    c = pd.read_json(tmp_path / "c.jsonl", lines=True)
    assert (c["label"] == rows["label"]).all() and (c["score"] < rows["score"]).all()


def test_min_score_out_of_range_is_a_one_line_error(tmp_path, tfidf_model):
    proc = run_script("predict", f"model={tfidf_model}", f"input={make_dump(tmp_path / 'd.jsonl', 2)}",
                      f"output={tmp_path}/o.jsonl", "min_score=1.5", f"hydra.run.dir={tmp_path}/h")
    assert proc.returncode == 2 and "min_score=1.5 must be between 0 and 1" in proc.stderr
