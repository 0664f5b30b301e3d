# BENCH: word_counts(("alpha beta gamma delta " * 300).split())
def word_counts(words):
    """How often each word occurs, most frequent first, ties alphabetical (repeated counting)."""
    counts = []
    for word in sorted(set(words)):
        counts.append((word, words.count(word)))
    counts.sort(key=lambda pair: -pair[1])
    return counts
