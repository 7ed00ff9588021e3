"""Opening a predict output: formats, folders of shards, and bad input as one-line errors."""

import json

import duckdb
import pandas as pd
import pytest

from stance.errors import StanceError
from stance.report.inputs import open_input

ROWS = [{"id": f"d{i}:0", "doc_id": f"d{i}", "text": f"Sentence {i}.", "label": "neutral" if i % 2 else "threat",
         "score": 0.9, "p_threat": 0.1, "p_neutral": 0.9} for i in range(6)]


def test_formats_and_shard_folders(tmp_path):
    pd.DataFrame(ROWS).to_json(tmp_path / "a.jsonl", orient="records", lines=True)
    pd.DataFrame(ROWS).to_csv(tmp_path / "a.csv", index=False)
    shards = tmp_path / "out"
    shards.mkdir()
    pd.DataFrame(ROWS[:3]).to_parquet(shards / "part-00000.parquet")
    pd.DataFrame(ROWS[3:]).to_parquet(shards / "part-00001.parquet")
    (shards / "_manifest.json").write_text("{}")
    for path in (tmp_path / "a.jsonl", tmp_path / "a.csv", shards):
        info = open_input(duckdb.connect(), path)
        assert info.rows == 6 and info.labels == ["threat", "neutral"], path


@pytest.mark.parametrize("content, message", [
    ([{"text": "a", "score": 1}], "not a predict output: no 'label' column"),
    ([], "cannot read the input|has no rows"),
])
def test_bad_input_is_one_line(tmp_path, content, message):
    path = tmp_path / "x.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in content))
    with pytest.raises(StanceError, match=message) as err:
        open_input(duckdb.connect(), path)
    assert "\n" not in str(err.value) and str(path) in str(err.value)


def test_missing_and_unknown_inputs(tmp_path):
    with pytest.raises(StanceError, match="input not found"):
        open_input(duckdb.connect(), tmp_path / "nope.parquet")
    (tmp_path / "x.xlsx").write_text("")
    with pytest.raises(StanceError, match="unknown input format"):
        open_input(duckdb.connect(), tmp_path / "x.xlsx")
    (tmp_path / "broken.parquet").write_text("not parquet")
    with pytest.raises(StanceError, match="cannot read the input"):
        open_input(duckdb.connect(), tmp_path / "broken.parquet")
