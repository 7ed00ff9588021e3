"""MLM data pieces: distinct sentences from documents, length buckets, BERT masking."""

from collections import namedtuple

import numpy as np

from stance.mlm import digest, length_batches, mask_tokens, pad, sentences

Doc = namedtuple("Doc", "text")


def test_sentences_are_distinct_long_enough_and_skippable():
    docs = [Doc("The talks ended today in Geneva. Yes. The talks ended today in Geneva!"),
            Doc("the TALKS ended today in geneva. A new round of talks opens next week.")]
    split = lambda text: [(m.start(), m.end()) for m in __import__("re").finditer(r"[^.!]+[.!]", text)]  # noqa: E731
    assert list(sentences(docs, split, min_words=3)) == ["The talks ended today in Geneva.",
                                                         "A new round of talks opens next week."]
    skip = {digest("a new round of talks opens next week")}
    assert list(sentences(docs, split, min_words=3, skip=skip)) == ["The talks ended today in Geneva."]


def test_length_batches_group_similar_lengths_and_cover_everything():
    lengths = [5, 50, 6, 48, 7, 52, 5, 49]
    batches = length_batches(lengths, 4, np.random.default_rng(0))
    assert sorted(i for b in batches for i in b) == list(range(8))
    assert sorted(sorted(lengths[i] for i in b) for b in batches) == [[5, 5, 6, 7], [48, 49, 50, 52]]


def test_masking_follows_bert_proportions_and_spares_special_tokens():
    rng = np.random.default_rng(0)
    ids, attention = pad([[101] + list(range(1000, 1000 + n)) + [102] for n in (200, 150, 3)], 0)
    maskable = (attention == 1) & (ids != 101) & (ids != 102)
    inputs, labels = mask_tokens(ids, maskable, mask_id=103, vocab_size=30000, probability=0.15, rng=rng)
    chosen = labels != -100
    assert not chosen[~maskable].any() and (labels[chosen] == ids[chosen]).all()
    assert 0.10 < chosen.sum() / maskable.sum() < 0.20
    assert 0.7 < (inputs[chosen] == 103).mean() < 0.9  # 80% [MASK]
    assert (inputs[~chosen] == ids[~chosen]).all()
    assert chosen[2].any()  # a short row still gets a prediction target
