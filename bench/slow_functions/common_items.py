# BENCH: common_items(list(range(2000)), list(range(1000, 3000)))
def common_items(first, second):
    """Items of first that are also in second, in first's order (a list lookup)."""
    result = []
    for item in first:
        if item in second and item not in result:
            result.append(item)
    return result
