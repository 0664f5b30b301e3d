# BENCH: word_counts([f"w{(i * 7919) % 400}" for i in range(4000)])
def word_counts(words):
    """How often each word occurs, most frequent first, ties alphabetical (repeated counting)."""
    counts = []
    for word in sorted(set(words)):
        counts.append((word, words.count(word)))
    counts.sort(key=lambda pair: -pair[1])
    return counts
