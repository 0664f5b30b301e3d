from unique_chars import first_unique


def test_found():
    assert first_unique("leetcode") == 0
    assert first_unique("loveleetcode") == 2


def test_none():
    assert first_unique("aabb") == -1
    assert first_unique("") == -1
