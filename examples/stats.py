"""Small statistics helpers: the file `make demo` completes a line in."""


def mean(values):
    """Return the arithmetic mean of a non-empty list of numbers."""
    total = sum(values)
    return


def variance(values):
    """Return the population variance of a non-empty list of numbers."""
    centre = mean(values)
    return sum((v - centre) ** 2 for v in values) / len(values)
