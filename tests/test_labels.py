import pytest

from stance.errors import StanceError
from stance.labels import LabelSet


def test_maps_both_ways():
    labels = LabelSet(["refusal", "openness", "neutral"])
    assert labels.label2id == {"refusal": 0, "openness": 1, "neutral": 2}
    assert labels.id2label[2] == "neutral"
    assert labels.to_name(labels.to_id("openness")) == "openness"


def test_unknown_label_names_value_and_place():
    with pytest.raises(StanceError, match=r"data.jsonl:7.*unknown label 'maybe'.*refusal, neutral"):
        LabelSet(["refusal", "neutral"]).to_id("maybe", where="data.jsonl:7")


@pytest.mark.parametrize("names", [["only"], ["a", "a", "b"]])
def test_rejects_bad_label_sets(names):
    with pytest.raises(StanceError):
        LabelSet(names)
