from csv_line import csv_line


def test_join():
    assert csv_line(["a", " b ", "c"]) == "a,b,c"


def test_empty():
    assert csv_line([]) == ""


def test_numbers():
    assert csv_line([1, 2]) == "1,2"
