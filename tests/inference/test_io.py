import json

import pandas as pd
import pytest

from stance.errors import StanceError
from stance.inference.readers import iter_documents
from stance.inference.writers import RowWriter

ROWS = [{"id": "a", "text": "x, \"quoted\"", "score": 0.5}, {"id": "b", "text": "y", "score": 0.25}]


@pytest.mark.parametrize("ext", [".jsonl", ".csv", ".parquet"])
def test_writers_round_trip(tmp_path, ext):
    out = tmp_path / f"rows{ext}"
    with RowWriter(out, ["id", "text", "score"]) as w:
        w.write(ROWS[:1])
        w.write(ROWS[1:])
    frame = {".jsonl": lambda p: pd.read_json(p, lines=True), ".csv": pd.read_csv,
             ".parquet": pd.read_parquet}[ext](out)
    assert frame.to_dict("records") == ROWS
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary file left


def test_interrupted_write_leaves_no_output(tmp_path):
    out = tmp_path / "rows.jsonl"
    with pytest.raises(RuntimeError):
        with RowWriter(out, ["id"]) as w:
            w.write(ROWS)
            raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


def test_unknown_output_type(tmp_path):
    with pytest.raises(StanceError, match="unsupported output type"):
        RowWriter(tmp_path / "rows.xlsx", ["id"])


def test_reader_reports_bad_records_and_goes_on(tmp_path):
    f = tmp_path / "in.jsonl"
    f.write_text('{"id": 1, "text": "Good."}\n{bad\n{"id": 3}\n{"text": "No id."}\n')
    errors = []
    docs = list(iter_documents(f, on_error=lambda where, reason: errors.append((where, reason))))
    assert [(d.doc_id, d.text) for d in docs] == [("1", "Good."), ("in.jsonl:4", "No id.")]
    assert [w for w, _ in errors] == [f"{f}:2", f"{f}:3"]
    assert "malformed JSON" in errors[0][1] and "missing field 'text'" in errors[1][1]


def test_reader_custom_fields_csv(tmp_path):
    f = tmp_path / "in.csv"
    f.write_text("doc,body\nd1,Hello there.\n")
    docs = list(iter_documents(f, text_field="body", id_field="doc"))
    assert docs[0].doc_id == "d1" and docs[0].text == "Hello there."
