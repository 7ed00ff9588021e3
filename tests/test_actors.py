"""Stance holders: gazetteer matching, era resolution, the who-said-it rule, gazetteer files."""

import pytest
import yaml

from conftest import ROOT
from stance.actors import Gazetteer, holder, merge_entries, read_gazetteer_file, year_in, year_of
from stance.errors import StanceError

DEFAULT = ROOT / "configs" / "gazetteer" / "default.yaml"


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    actors, ignore = read_gazetteer_file(DEFAULT)
    return Gazetteer(actors, ignore)


def test_default_gazetteer_loads_without_ambiguous_aliases(gaz):
    assert len(gaz) > 300
    assert gaz.ambiguous == []  # an alias naming two current actors would name neither
    for name in ("United States", "China", "Russia", "Soviet Union", "NATO", "IAEA", "Houthis", "Hamas",
                 "European Union", "African Union", "OPEC", "ASEAN", "United Nations"):
        assert name in gaz.actors


@pytest.mark.parametrize("text, expected", [
    ("Tehran dismissed the European offer as an insult.", "Iran"),
    ("The Kremlin said the talks would resume.", "Russia"),
    ("Officials at Foggy Bottom declined to comment.", "United States"),
    ("The Houthis warned shipping companies to keep out of the Red Sea.", "Houthis"),
    ("Chinese officials rejected the proposal.", "China"),
    ("Talks will resume next week, the Kremlin said.", "Russia"),
    ("Any attack on our territory will be answered, Iran's foreign minister said.", "Iran"),
    ("The EU warned Belarus that it would impose sanctions.", "European Union"),
    ("Norway denied that it had threatened to divert gas away from Britain.", "Norway"),
    ("If Pristina sends police into the north again, Serbia will not stand by.", "Serbia"),
    ('"We will not stand idly by while Athens arms the islands," the Turkish defence minister told parliament.',
     "Turkey"),
    ("Pyongyang fired a missile on Wednesday, South Korea's Joint Chiefs of Staff said.", "North Korea"),
    ("Filling the dam will cause no harm to Sudan or Egypt, Ethiopia's water minister said.", "Ethiopia"),
    ("In 1962 Moscow agreed to remove the missiles from Cuba.", "Soviet Union"),
    ("Moscow agreed to a prisoner exchange.", "Russia"),
    ("Latin American governments welcomed the plan.", None),
    ("The ministry said the plan was not negotiable.", None),
    ("", None),
])
def test_holder(gaz, text, expected):
    assert holder(text, gaz) == expected


def test_row_year_resolves_shared_aliases(gaz):
    assert holder("The Kremlin rejected the note.", gaz, year=1975) == "Soviet Union"
    assert holder("The Kremlin rejected the note.", gaz, year=2015) == "Russia"
    assert holder("In 2015 the Kremlin rejected the note.", gaz, year=1975) == "Russia"  # the sentence wins


def test_mentions_longest_alias_and_ignore_list(gaz):
    names = [m.actor for m in gaz.mentions("The Niger Delta Avengers attacked a pipeline in the South China Sea.")]
    assert names == ["Niger Delta Avengers"]
    assert [m.actor for m in gaz.mentions("the one-China policy")] == []  # after a hyphen: not a mention
    m = gaz.mentions("Iranian officials")[0]
    assert m.actor == "Iran" and m.demonym


def test_year_helpers():
    assert year_in("In August 2005 Tehran resumed conversion") == 2005
    assert year_in("no year here, 12345 is not one") is None
    assert year_of("2024-03-05T10:00:00Z") == 2024 and year_of(None) is None and year_of("n/a") is None


def test_extending_a_gazetteer_and_errors_name_the_file(tmp_path):
    extra = tmp_path / "mine.yaml"
    extra.write_text(yaml.safe_dump({"actors": {"Wagner Group": {"kind": "armed_group", "aliases": ["Africa Corps"]},
                                                "Iran": {"aliases": ["Persian Gulf state"]}}}))
    base, ignore = read_gazetteer_file(DEFAULT)
    more, _ = read_gazetteer_file(extra)
    g = Gazetteer(merge_entries(base, more), ignore)
    assert holder("The Africa Corps said it would leave Bamako.", g) == "Wagner Group"
    assert "Tehran" in merge_entries(base, more)["Iran"]["aliases"]  # appended, not replaced

    bad = tmp_path / "bad.yaml"
    bad.write_text("actors:\n  Iran: {kind: country, aliases: [Tehran]\n")
    with pytest.raises(StanceError, match=r"bad\.yaml:\d+"):
        read_gazetteer_file(bad)
    bad.write_text("actors:\n  Iran: {kind: country, alias: [Tehran]}\n")
    with pytest.raises(StanceError, match=r"bad\.yaml: actors\.Iran.*unknown field\(s\) alias"):
        read_gazetteer_file(bad)
    with pytest.raises(StanceError, match="not one of"):
        Gazetteer({"X": {"kind": "planet"}})
