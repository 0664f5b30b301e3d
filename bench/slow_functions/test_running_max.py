from running_max import running_max


def test_running():
    assert running_max([1, 3, 2, 5, 4]) == [1, 3, 3, 5, 5]


def test_empty():
    assert running_max([]) == []


def test_negative():
    assert running_max([-3, -5, -1]) == [-3, -3, -1]
