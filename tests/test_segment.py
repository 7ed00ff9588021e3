from stance.segment import split_sentences


def test_offsets_point_into_the_document():
    text = ("Dr. Lee of the U.S. State Department said on Monday that talks would resume. "
            "Officials in Gov. Smith's office declined to comment.  A third sentence follows!")
    sents = split_sentences(text)
    assert [s.text for s in sents] == [
        "Dr. Lee of the U.S. State Department said on Monday that talks would resume.",
        "Officials in Gov. Smith's office declined to comment.",
        "A third sentence follows!",
    ]
    for s in sents:
        assert text[s.start:s.end] == s.text


def test_empty_text_gives_no_sentences():
    assert split_sentences("   ") == []
