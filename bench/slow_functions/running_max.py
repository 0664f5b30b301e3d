# BENCH: running_max([(i * 7919) % 1000 for i in range(1500)])
def running_max(values):
    """The largest value seen so far at each position (recomputed from the start each time)."""
    return [max(values[: i + 1]) for i in range(len(values))]
