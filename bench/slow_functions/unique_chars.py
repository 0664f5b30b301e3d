# BENCH: first_unique("ab" * 2000 + "c")
def first_unique(text):
    """Index of the first character that occurs once in text, or -1 (quadratic counting)."""
    for index, char in enumerate(text):
        if text.count(char) == 1:
            return index
    return -1
