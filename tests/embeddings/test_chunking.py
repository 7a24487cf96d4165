import pytest

from embeddings.chunking import chunk_text, split_sentences

from ..fakes import FakeEmbedder

count_words = FakeEmbedder().count_tokens


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text)]


def numbered(n: int, words: int = 6) -> str:
    """``n`` sentences of exactly ``words`` words each, every sentence distinct."""
    return " ".join(" ".join([f"S{i}"] + ["word"] * (words - 2) + ["end."]) for i in range(n))


@pytest.mark.parametrize("text, expected", [
    ("He left. She stayed.", ["He left.", "She stayed."]),
    ("Really? Yes! Fine.", ["Really?", "Yes!", "Fine."]),
    ('He said "Go home." Then he left.', ['He said "Go home."', "Then he left."]),
    ("Prices rose in 2025. The bank acted.", ["Prices rose in 2025.", "The bank acted."]),
    ("Mr. Smith met Dr. Jones today.", ["Mr. Smith met Dr. Jones today."]),
    ("U.S. officials said so. Others agreed.", ["U.S. officials said so.", "Others agreed."]),
    ("They met U.S. Officials in Rome.", ["They met U.S. Officials in Rome."]),
    ("J. K. Rowling wrote it.", ["J. K. Rowling wrote it."]),
    ("He lives at No. 10 Downing Street.", ["He lives at No. 10 Downing Street."]),
    ("It costs $3.5 billion. Really.", ["It costs $3.5 billion.", "Really."]),
    ("Wait... What happened?", ["Wait...", "What happened?"]),
    ("They sat in the sun. The day was hot.", ["They sat in the sun.", "The day was hot."]),
    ("He said no. Then he left.", ["He said no.", "Then he left."]),
    ("Gen. Smith arrived on Sun. Jan. 5 at noon.", ["Gen. Smith arrived on Sun. Jan. 5 at noon."]),
    ("Apples, pears, etc. Were sold.", ["Apples, pears, etc. Were sold."]),
    ("Le président a parlé. Éric Zemmour a répondu.", ["Le président a parlé.", "Éric Zemmour a répondu."]),
    ("Short (see Fig. 2) text.", ["Short (see Fig. 2) text."]),
    ("First paragraph without stop\n\nsecond paragraph", ["First paragraph without stop", "second paragraph"]),
    ("  padded sentence.  ", ["padded sentence."]),
    ("", []),
    ("   \n\n  ", []),
])
def test_split_sentences(text, expected):
    assert sentences(text) == expected


def test_split_sentences_spans_index_the_text():
    text = "Mr. Smith arrived.\n\nHe spoke (briefly). Then: silence!  Done."
    for start, end in split_sentences(text):
        assert text[start:end] == text[start:end].strip() and end > start


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t\n"])
def test_empty_text_has_no_chunks(text):
    assert chunk_text(text, count_words, 10, 2) == []


def test_text_shorter_than_one_chunk_is_one_chunk():
    text = "  One short sentence. And another.  "
    [chunk] = chunk_text(text, count_words, 50, 10)
    assert (chunk.ordinal, chunk.text, chunk.tokens) == (0, "One short sentence. And another.", 5)
    assert text[chunk.start:chunk.end] == chunk.text


def check_chunks(text, chunks, max_tokens):
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    for c in chunks:
        assert text[c.start:c.end] == c.text  # exact spans
        assert c.tokens == count_words([c.text])[0] <= max_tokens
    for prev, nxt in zip(chunks, chunks[1:]):
        assert prev.start < nxt.start and prev.end < nxt.end  # every chunk brings new text
    # Nothing is lost: every word of the text is in some chunk.
    covered = set()
    for c in chunks:
        covered.update(range(c.start, c.end))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


@pytest.mark.parametrize("n_sentences, max_tokens, overlap", [(1, 12, 3), (10, 12, 0), (10, 12, 6),
                                                              (25, 30, 6), (25, 30, 12), (7, 6, 6)])
def test_chunks_exact_bounded_and_complete(n_sentences, max_tokens, overlap):
    text = numbered(n_sentences)
    check_chunks(text, chunk_text(text, count_words, max_tokens, overlap), max_tokens)


def test_overlap_repeats_whole_trailing_sentences():
    text = numbered(10)  # 6 words a sentence
    chunks = chunk_text(text, count_words, 18, 6)
    assert len(chunks) > 1
    for prev, nxt in zip(chunks, chunks[1:]):
        shared = text[nxt.start:prev.end]
        assert nxt.start < prev.end, "consecutive chunks should overlap"
        assert count_words([shared])[0] == 6 and shared in sentences(text)


def test_no_overlap_when_zero():
    text = numbered(10)
    chunks = chunk_text(text, count_words, 18, 0)
    assert all(nxt.start >= prev.end for prev, nxt in zip(chunks, chunks[1:]))


def test_overlap_never_makes_a_chunk_that_adds_nothing():
    # Short sentence, then a long one: carrying the short one over must not yield a chunk
    # that is a slice of the previous one.
    text = "Alpha beta gamma delta. Epsilon zeta eta. Long " + " ".join(["long"] * 8) + " end."
    chunks = chunk_text(text, count_words, 10, 5)
    check_chunks(text, chunks, 10)


def test_long_sentence_is_split_at_word_boundaries():
    words = [f"w{i}" for i in range(53)]
    text = "Intro sentence here. " + " ".join(words) + "."
    chunks = chunk_text(text, count_words, 10, 0)
    check_chunks(text, chunks, 10)
    for c in chunks:
        assert not c.text[0].isspace() and not c.text[-1].isspace()
        assert all(word in text.split() for word in c.text.split())  # no word was cut


def test_word_longer_than_the_bound_is_cut():
    def count_chars(texts):  # ~4 characters a token, like a subword tokenizer on a URL
        return [len(t) // 4 + 1 for t in texts]

    text = "See https://example.com/" + "x" * 400 + " for more."
    chunks = chunk_text(text, count_chars, 20, 0)
    assert all(count_chars([c.text])[0] <= 20 for c in chunks)
    assert "".join(c.text for c in chunks).replace(" ", "") == text.replace(" ", "")
    assert all(text[c.start:c.end] == c.text for c in chunks)


def test_abbreviations_do_not_split_chunks_mid_name():
    text = "Mr. Smith told U.S. officials the plan. " * 3
    chunks = chunk_text(text, count_words, 8, 0)
    assert [c.text for c in chunks] == ["Mr. Smith told U.S. officials the plan."] * 3


def test_paragraph_boundary_is_a_sentence_boundary():
    text = "Headline without stop\n\nBody sentence one. Body sentence two."
    chunks = chunk_text(text, count_words, 3, 0)
    assert [c.text for c in chunks] == ["Headline without stop", "Body sentence one.", "Body sentence two."]
