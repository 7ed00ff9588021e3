"""User data sets: versions, stable splits, merging new labels into a snapshot."""

import json

import pytest

from stance.errors import StanceError
from stance.labeling.userdata import merge, read_version, resolve, split_of, versions, write_version


def row(i, label="neutral", text=None, doc=None):
    return {"id": f"s{i}", "text": text or f"Sentence number {i} about the talks.", "label": label,
            "doc_id": doc, "source": f"f.csv:{i + 1}"}


def test_split_is_a_stable_hash_of_the_document():
    rows = [row(i, doc=f"d{i // 3}") for i in range(300)]
    splits = [split_of(r, 0.2) for r in rows]
    assert 0.1 < splits.count("validation") / 300 < 0.3
    for i in range(0, 300, 3):  # a document's sentences stay together
        assert len(set(splits[i:i + 3])) == 1
    assert splits == [split_of(r, 0.2) for r in rows]
    assert {split_of(r, 0.0) for r in rows} == {"train"}


def test_merge_adds_relabels_and_refuses_conflicts():
    old = [{**row(1), "split": "train"}, {**row(2), "split": "validation"}]
    merged, counts = merge(old, [{**row(2, "refusal"), "split": "train"}, {**row(3), "split": "train"},
                                 {**row(4, text=old[0]["text"].upper()), "split": "train"}])
    assert counts == {"relabelled": 1, "added": 1, "duplicate_text": 1}
    by_id = {r["id"]: r for r in merged}
    assert by_id["s2"]["label"] == "refusal" and by_id["s2"]["split"] == "validation"  # keeps its split
    with pytest.raises(StanceError, match="id 's1' already holds another sentence"):
        merge(old, [row(1, text="A different sentence entirely here.")])
    with pytest.raises(StanceError, match="has label 'threat' here and 'neutral' as 's1'"):
        merge(old, [row(9, "threat", text=old[0]["text"])])


def test_versions_are_written_whole_and_resolved(tmp_path):
    folder = tmp_path / "user" / "mine"
    with pytest.raises(StanceError, match="not a labelled file, a user data set"):
        resolve(folder, "train")
    v1 = write_version(folder, [{**row(1), "split": "train"}, {**row(2), "split": "validation"}], {"source": "a"})
    v2 = write_version(folder, read_version(v1) + [{**row(3), "split": "train"}], {"source": "b"})
    assert [n for n, _ in versions(folder)] == [1, 2]
    assert resolve(folder, "train") == v2 / "train.jsonl" and resolve(v1, "validation") == v1 / "validation.jsonl"
    assert resolve(v2 / "train.jsonl", "validation") == v2 / "train.jsonl"  # a file is taken as given
    rows = [json.loads(l) for l in (v2 / "train.jsonl").read_text().splitlines()]
    assert [(r["id"], r["version"]) for r in rows] == [("s1", 1), ("s3", 2)]  # the version that added it
    assert json.loads((v2 / "provenance.json").read_text()) == {"version": 2, "source": "b"}
    assert not [p for p in folder.iterdir() if p.name.startswith(".tmp")]
    assert resolve("mine", "train", user_dir=tmp_path / "user") == v2 / "train.jsonl"  # a bare name
    (folder / "v3").mkdir()  # an incomplete folder (no provenance) is not a version
    assert resolve(folder, "train") == v2 / "train.jsonl"
