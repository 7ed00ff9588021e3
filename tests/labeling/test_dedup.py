from stance.labeling.dedup import ShingleIndex, exact_key, first_of_each, shingles


def test_exact_key_ignores_case_spacing_and_punctuation():
    assert exact_key("The talks  ended.") == exact_key("the talks ended")
    assert first_of_each(["A b c.", "x y", "a B c", "x  y!", "z"]) == [0, 1, 4]


def test_shingle_index_finds_the_most_similar_text():
    idx = ShingleIndex()
    assert idx.max_jaccard("anything at all here") == 0.0
    idx.add("the minister rejected the offer on monday")
    idx.add("trade talks resume in geneva next week")
    assert idx.max_jaccard("the minister rejected the offer on monday") == 1.0
    near = idx.max_jaccard("the minister rejected the offer on tuesday")
    assert 0.5 < near < 1.0  # 4 of 6 3-grams shared
    assert idx.max_jaccard("completely different words in this one") == 0.0
    assert shingles("two words") == frozenset([("two", "words")])
