from common_items import common_items


def test_order_and_repeats():
    assert common_items([3, 1, 3, 2], [2, 3]) == [3, 2]


def test_none():
    assert common_items([1, 2], [3]) == []


def test_range():
    assert common_items(list(range(100)), list(range(50, 150))) == list(range(50, 100))
