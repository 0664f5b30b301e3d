from word_counts import word_counts


def test_order():
    assert word_counts(["b", "a", "b", "c", "a", "b"]) == [("b", 3), ("a", 2), ("c", 1)]


def test_ties_alphabetical():
    assert word_counts(["y", "x"]) == [("x", 1), ("y", 1)]


def test_empty():
    assert word_counts([]) == []
