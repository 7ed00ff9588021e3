"""Ingest: labelled CSV / Label Studio export -> a validated, versioned user data set."""

import csv
import json

import pytest
from omegaconf import OmegaConf

from conftest import FIXTURES, run_script
from stance import ingest
from stance.config import IngestConfig, PathsConfig
from stance.errors import StanceError

LS = FIXTURES / "labelstudio"


def cfg(tmp_path, input, **kw):
    c = OmegaConf.structured(IngestConfig(paths=PathsConfig(root=str(tmp_path)), input=str(input),
                                          output=str(tmp_path / "user" / "mine"), **kw))
    return c


def write_csv(path, rows, header=("id", "doc_id", "text", "label", "labeller", "predicted")):
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


ROWS = [("a:0", "a", "The government refused to send a delegation to the summit.", "refusal", "kim", "neutral"),
        ("a:1", "a", "Officials said the border crossing would reopen on Friday.", " Neutral ", "", "neutral"),
        ("b:0", "b", "We remain ready to resume talks without preconditions.", "openness", "kim", "openness"),
        ("c:4", "c", "The navy will sink any ship that enters the strait.", "", "", "threat")]


def test_csv_then_label_studio_export_make_two_versions(tmp_path):
    src = write_csv(tmp_path / "to_label.csv", ROWS)
    v1 = ingest.run(cfg(tmp_path, src, labeller="desk"))
    assert v1.name == "v1"
    rows = [json.loads(l) for f in ("train", "validation") for l in (v1 / f"{f}.jsonl").read_text().splitlines()]
    assert sorted((r["id"], r["label"]) for r in rows) == [("a:0", "refusal"), ("a:1", "neutral"), ("b:0", "openness")]
    by_id = {r["id"]: r for r in rows}
    assert by_id["a:0"]["labeller"] == "kim" and by_id["a:1"]["labeller"] == "desk"  # the default fills gaps
    assert by_id["a:0"]["source"].endswith("to_label.csv:2") and by_id["a:0"]["version"] == 1
    prov = json.loads((v1 / "provenance.json").read_text())
    assert prov["source"] == str(src.resolve()) and len(prov["source_sha256"]) == 64 and prov["format"] == "csv"
    assert prov["this_ingest"]["unlabelled_rows_left_out"] == 1 and prov["previous"] is None
    assert prov["labellers"] == {"kim": 2, "desk": 1} and "created" in prov

    v2 = ingest.run(cfg(tmp_path, LS / "export.json"))
    prov = json.loads((v2 / "provenance.json").read_text())
    assert v2.name == "v2" and prov["previous"] == "v1" and prov["format"] == "labelstudio-json"
    assert prov["this_ingest"] == {"labelled_rows": 4, "unlabelled_rows_left_out": 2, "added": 4}
    assert sum(prov["rows"].values()) == 7 and prov["labels"]["threat"] == 1
    assert (v1 / "train.jsonl").read_text()  # the old version is untouched


@pytest.mark.parametrize("rows, pattern", [
    (ROWS[:1] + [("x", "x", "Talks ended.", "angry", "", "")],
     r"to_label.csv:3 label: unknown label 'angry' — use one of refusal, openness"),
    (ROWS[:1] + [("x", "x", "", "neutral", "", "")], r"to_label.csv:3: field 'text' must be a non-empty string"),
    (ROWS[:2] + [("a:0", "a", "Another sentence entirely.", "neutral", "", "")],
     r"to_label.csv:4: duplicate id 'a:0' \(first at .*to_label.csv:2\)"),
])
def test_bad_rows_stop_the_ingest_before_anything_is_written(tmp_path, rows, pattern):
    src = write_csv(tmp_path / "to_label.csv", rows)
    with pytest.raises(StanceError, match=pattern):
        ingest.run(cfg(tmp_path, src))
    assert not (tmp_path / "user").exists()


def test_unlabelled_rows_can_be_an_error_and_an_empty_file_says_so(tmp_path):
    src = write_csv(tmp_path / "to_label.csv", ROWS)
    with pytest.raises(StanceError, match=r"1 rows have no label \(first: .*to_label.csv:5\)"):
        ingest.run(cfg(tmp_path, src, allow_unlabelled=False))
    blank = write_csv(tmp_path / "blank.csv", [r[:3] + ("",) + r[4:] for r in ROWS])
    with pytest.raises(StanceError, match="no labelled rows"):
        ingest.run(cfg(tmp_path, blank))
    with pytest.raises(StanceError, match="no data set named"):
        ingest.run(OmegaConf.merge(cfg(tmp_path, src), {"output": None}))


@pytest.mark.integration
def test_malformed_files_end_in_one_line(tmp_path):
    bad_json = tmp_path / "export.json"
    bad_json.write_text(LS.joinpath("export.json").read_text()[:-40])
    tasks = json.loads((LS / "export.json").read_text())
    tasks[4]["annotations"][1]["result"][0]["value"]["choices"] = ["refusal"]
    disagree = tmp_path / "disagree.json"
    disagree.write_text(json.dumps(tasks))
    for src, needle in ((bad_json, "export.json: malformed JSON"),
                        (disagree, "task 105 (item 5): annotations disagree")):
        proc = run_script("ingest", f"input={src}", "name=mine", f"user_dir={tmp_path}/user",
                          f"hydra.run.dir={tmp_path}/o")
        lines = [l for l in proc.stderr.splitlines() if l.startswith("error: ")]
        assert proc.returncode == 2 and len(lines) == 1 and needle in lines[0], proc.stderr[-2000:]
        assert "Traceback" not in proc.stderr
    assert not (tmp_path / "user").exists()
