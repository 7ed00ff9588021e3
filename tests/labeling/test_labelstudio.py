"""Label Studio: the labelling config, import tasks, and reading its exports."""

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from stance.errors import StanceError
from stance.labeling.formats import read_labelled
from stance.labeling.labelstudio import label_config, parse_export, task

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "labelstudio"
LABELS = ["refusal", "openness", "threat", "reassurance", "neutral"]


def test_label_config_is_xml_with_one_choice_per_label_on_the_text():
    root = ET.fromstring(label_config(LABELS))
    choices = root.find(".//Choices")
    assert choices.get("name") == "label" and choices.get("toName") == "text"
    assert [c.get("value") for c in choices] == LABELS
    assert {t.get("name"): t.get("value") for t in root.iter("Text")}["text"] == "$text"


def test_task_carries_id_document_prediction_and_probabilities():
    row = {"id": "d1:3", "doc_id": "d1", "text": "We reject the plan.", "predicted": "refusal", "score": 0.61,
           **{f"p_{n}": 0.1 for n in LABELS}}
    t = task(row, LABELS, "models:/stance-classifier/3", preannotate=False)
    assert t["data"]["sentence_id"] == "d1:3" and t["data"]["text"] == "We reject the plan."
    assert t["data"]["doc_id"] == "d1" and t["data"]["p_threat"] == 0.1 and "predictions" not in t
    pre = task(row, LABELS, "m", preannotate=True)["predictions"][0]
    assert pre["result"][0]["value"] == {"choices": ["refusal"]} and pre["score"] == 0.61
    assert pre["result"][0]["from_name"] == "label" and pre["result"][0]["to_name"] == "text"
    json.dumps(t)  # serialisable


def test_reads_the_json_export():
    rows, kind = read_labelled(FIXTURES / "export.json")
    rows = list(rows)
    assert kind == "labelstudio-json"
    by_id = {r["id"]: r for r in rows}
    assert by_id["news-1:0"]["label"] == "refusal" and by_id["news-1:0"]["labeller"] == "user 1"
    assert by_id["news-1:2"]["labeller"] == "ana@example.org"
    assert by_id["news-2:1"]["label"] is None  # the only annotation was cancelled (skipped)
    assert by_id["news-3:0"]["label"] is None  # not annotated yet
    assert by_id["news-4:3"]["label"] == "threat"  # two annotators agree
    assert by_id["news-4:3"]["labeller"] == "ana@example.org, user 1"
    assert by_id["news-1:0"]["doc_id"] == "news-1" and "task 101" in by_id["news-1:0"]["where"]


def test_reads_the_json_min_export():
    rows, kind = read_labelled(FIXTURES / "export_min.json")
    rows = list(rows)
    assert kind == "labelstudio-json-min"
    assert [(r["id"], r["label"]) for r in rows] == [("news-1:0", "refusal"), ("news-1:2", "openness"),
                                                     ("news-4:3", "threat"), ("news-5:0", "neutral")]


def export_with(**annotation_changes):
    tasks = json.loads((FIXTURES / "export.json").read_text())
    tasks[4]["annotations"][1]["result"][0].update(annotation_changes)
    return tasks


@pytest.mark.parametrize("tasks, pattern", [
    (export_with(value={"choices": ["refusal"]}), r"task 105 \(item 5\): annotations disagree \(user 1: threat"),
    (export_with(from_name="stance"), None),  # one annotation still under `label`: fine
    ({"tasks": []}, r"expected a JSON list of tasks"),
    ([{"id": 9, "data": {"text": "x"}, "annotations": [{"result": [
        {"type": "choices", "from_name": "sentiment", "value": {"choices": ["neutral"]}}]}]}],
     r"task 9 \(item 1\): no choices named 'label' \(found sentiment\) — set from_name=sentiment"),
    ([{"id": 9, "data": {"text": "x"}, "annotations": [{"result": [
        {"type": "choices", "from_name": "label", "value": {"choices": ["neutral", "threat"]}}]}]}],
     r"2 choices"),
])
def test_export_problems_name_the_task(tasks, pattern):
    if pattern is None:
        assert len(list(parse_export(tasks, "e.json"))) == 6
        return
    with pytest.raises(StanceError, match=pattern):
        list(parse_export(tasks, "e.json"))
