from pair_sums import has_pair_sum


def test_found():
    assert has_pair_sum([1, 4, 6, 9], 10)


def test_not_found():
    assert not has_pair_sum([1, 2, 3], 10)


def test_same_position_does_not_count():
    assert not has_pair_sum([5], 10)
    assert has_pair_sum([5, 5], 10)


def test_larger():
    assert not has_pair_sum(list(range(0, 300, 3)), 299)
