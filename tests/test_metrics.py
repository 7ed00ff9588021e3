import numpy as np

from stance.labels import LabelSet
from stance.metrics import evaluate, group_scores, lenient_predictions, scores, slice_scores

LABELS = LabelSet(["a", "b", "c"])


def test_scores_match_hand_computed_values():
    s = scores([0, 0, 1, 2], [0, 1, 1, 2], LABELS)
    assert s["accuracy"] == 0.75
    assert s["f1_a"] == 2 / 3 and s["f1_b"] == 2 / 3 and s["f1_c"] == 1.0
    assert abs(s["macro_f1"] - (2 / 3 + 2 / 3 + 1) / 3) < 1e-9
    assert s["support_a"] == 2


def test_slices_only_cover_tagged_rows():
    tags = [["negation"], ["negation"], [], ["negation", "reported"]]
    out = slice_scores([0, 1, 1, 2], [0, 0, 1, 2], tags, LABELS, min_rows=1)
    assert out["negation"]["rows"] == 3
    assert abs(out["negation"]["accuracy"] - 2 / 3) < 1e-9
    assert out["reported"] == {"rows": 1, "accuracy": 1.0, "macro_f1": 1.0}


def test_evaluate_writes_artifacts(tmp_path):
    proba = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7]])
    res = evaluate([0, 0, 2], proba, LABELS, texts=["x", "y", "z"], ids=["1", "2", "3"],
                   tags=[[], [], []], out_dir=tmp_path, prefix="t")
    assert res["metrics"]["accuracy"] == 2 / 3
    names = {p.name for p in res["artifacts"]}
    assert names == {"t_classification_report.txt", "t_metrics.json", "t_confusion_matrix.png",
                     "t_reliability.png", "t_misclassified.csv"}
    assert all(p.exists() for p in res["artifacts"])
    errors = (tmp_path / "t_misclassified.csv").read_text().splitlines()
    assert len(errors) == 2 and errors[1].startswith("2,y,a,b")


def test_macro_f1_averages_over_labels_present_in_the_gold_data():
    # no gold "c": macro over a and b; the wrong "c" prediction still costs a's recall
    s = scores([0, 0, 1, 1], [0, 2, 1, 1], LABELS)
    assert s["f1_a"] == 2 / 3 and s["f1_b"] == 1.0 and s["support_c"] == 0
    assert abs(s["macro_f1"] - (2 / 3 + 1) / 2) < 1e-9


def test_lenient_predictions_accept_the_secondary_label_only():
    # row 0: predicted the secondary -> counted right; row 1: no secondary; row 2: other label
    out = lenient_predictions([0, 1, 2], [1, 0, 0], [1, -1, 1])
    assert out.tolist() == [0, 0, 0]


def test_group_scores_and_lenient_scores_in_evaluate(tmp_path):
    proba = np.array([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8], [0.2, 0.7, 0.1]])
    res = evaluate([0, 1, 2, 0], proba, LABELS, texts=list("wxyz"), groups=["g1", "g1", "g2", "g2"],
                   secondary=[-1, -1, -1, 1], out_dir=tmp_path, prefix="s")
    assert res["groups"]["g1"]["accuracy"] == 1.0 and res["groups"]["g1"]["rows"] == 2
    assert res["groups"]["g2"]["accuracy"] == 0.5
    assert res["metrics"]["accuracy"] == 0.75 and res["metrics"]["lenient_accuracy"] == 1.0
    assert "Per group" in (tmp_path / "s_classification_report.txt").read_text()
    assert group_scores([0, 1], [0, 0], ["a", "b"], LABELS)["b"]["recall_b"] == 0.0
