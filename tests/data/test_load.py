import json

import pytest

from stance.data.load import load_file, load_splits
from stance.errors import StanceError
from stance.labels import LabelSet

LABELS = LabelSet(["refusal", "openness", "threat", "reassurance", "neutral"])


def write(path, lines):
    path.write_text("".join(l + "\n" for l in lines))
    return path


def test_loads_jsonl_with_ids_tags_and_label_ids(tmp_path):
    f = write(tmp_path / "d.jsonl", [json.dumps({"id": "x1", "text": "No talks.", "label": "refusal",
                                                 "tags": ["negation"]}),
                                     json.dumps({"text": "Talks today.", "label": "neutral"})])
    ds = load_file(f, LABELS)
    assert ds["label"] == [0, 4]
    assert ds["id"] == ["x1", "d.jsonl:2"]
    assert ds["tags"] == [["negation"], []]
    assert ds.features["label"].names == list(LABELS.names)


def test_loads_csv(tmp_path):
    f = write(tmp_path / "d.csv", ["text,label", '"We are open, in principle.",openness'])
    assert load_file(f, LABELS)["label"] == [1]


@pytest.mark.parametrize("lines, pattern", [
    ([], r"d.jsonl: file holds no records"),
    (['{"text": "ok", "label": "neutral"}', '{"text": "broken"'], r"d.jsonl:2: malformed JSON"),
    (['{"txt": "typo", "label": "neutral"}'], r"d.jsonl:1: missing field 'text'"),
    (['{"text": "no label"}'], r"d.jsonl:1: missing field 'label'"),
    (['{"text": "x", "label": "neutral"}', '{"text": "y", "label": "Threat"}'],
     r"d.jsonl:2 field 'label': unknown label 'Threat'"),
    (['{"text": "   ", "label": "neutral"}'], r"d.jsonl:1: field 'text' must be a non-empty string"),
    (['["a", "list"]'], r"d.jsonl:1: expected a JSON object"),
])
def test_bad_rows_name_file_line_and_field(tmp_path, lines, pattern):
    f = write(tmp_path / "d.jsonl", lines)
    with pytest.raises(StanceError, match=pattern):
        load_file(f, LABELS)


def test_missing_file(tmp_path):
    with pytest.raises(StanceError, match="file not found"):
        load_file(tmp_path / "nope.jsonl", LABELS)


def test_load_splits_and_train_fraction(data_dir):
    from omegaconf import OmegaConf

    from stance.config import DataConfig

    cfg = OmegaConf.structured(DataConfig(name="t", dir=str(data_dir), train_fraction=0.5))
    ds = load_splits(cfg, LABELS, seed=1)
    assert set(ds) == {"train", "validation", "test"}
    assert len(ds["train"]) == 10  # half of 20, stratified: two per label
    assert sorted(ds["train"]["label"]) == sorted([0, 1, 2, 3, 4] * 2)


def test_load_splits_joins_the_document_corpus(data_dir, tmp_path):
    import json

    from omegaconf import OmegaConf

    from stance.config import DataConfig
    from stance.data.documents import parse_source

    docs_dir = tmp_path / "documents"
    docs_dir.mkdir()
    for split in ("train", "validation", "test"):
        text = (f"=== {split}-1\nregister: wire\ndate: 2000-01-01\ntitle: t\n\n"
                "[neutral] The talks ended.\n[refusal @Chile] Chile rejected the offer.\n")
        docs, _ = parse_source(text)
        (docs_dir / f"{split}.jsonl").write_text(json.dumps(docs[0].to_record()) + "\n")
    both = load_splits(OmegaConf.structured(DataConfig(name="b", dir=str(data_dir), documents=str(docs_dir))), LABELS)
    alone = load_splits(OmegaConf.structured(DataConfig(name="d", dir=str(data_dir), sentences=False,
                                                        documents=str(docs_dir))), LABELS)
    assert len(alone["train"]) == 2 and alone["train"]["text"][1] == "Chile rejected the offer."
    assert len(both["train"]) == 20 + 2 and both["train"]["id"][-1] == "train-1-s02"
    with pytest.raises(StanceError, match="no training data"):
        load_splits(OmegaConf.structured(DataConfig(name="x", dir=str(data_dir), sentences=False)), LABELS)


def test_extra_sets_join_their_splits_and_count_in_the_digest(tmp_path):
    from omegaconf import OmegaConf

    from stance.config import DataConfig
    from stance.data.load import extra_digests, file_digest, split_paths
    from stance.labeling.userdata import write_version

    fixtures = __import__("pathlib").Path(__file__).resolve().parents[1] / "fixtures"
    rows = [{"id": f"u{i}", "text": f"User sentence {i} about the talks.", "label": "threat",
             "split": "validation" if i == 0 else "train"} for i in range(3)]
    v1 = write_version(tmp_path / "mine", rows, {"source": "test"})
    base = OmegaConf.structured(DataConfig(name="corpus", dir=str(fixtures)))
    extra = OmegaConf.merge(base, {"extra_train": [str(tmp_path / "mine")],
                                   "extra_validation": [str(v1)]})
    plain, more = load_splits(base, LABELS), load_splits(extra, LABELS)
    assert len(more["train"]) == len(plain["train"]) + 2 and len(more["test"]) == len(plain["test"])
    assert more["validation"]["id"][-1] == "u0" and more["validation"]["label"][-1] == 2
    assert file_digest(split_paths(extra)["validation"]) != file_digest(split_paths(base)["validation"])
    tags = extra_digests(extra)
    assert set(tags) == {"extra_train_0", "extra_validation_0"}
    assert tags["extra_train_0"].startswith(str(v1 / "train.jsonl") + " (")


def test_csv_with_a_byte_order_mark(tmp_path):
    f = tmp_path / "d.csv"
    f.write_bytes("\ufefftext,label\nTalks resumed.,neutral\n".encode("utf-8"))
    assert load_file(f, LABELS)["label"] == [4]
