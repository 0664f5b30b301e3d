# BENCH: has_pair_sum(list(range(0, 3000, 3)), 2999)
def has_pair_sum(numbers, target):
    """Whether two different positions of numbers add up to target (quadratic)."""
    for i in range(len(numbers)):
        for j in range(len(numbers)):
            if i != j and numbers[i] + numbers[j] == target:
                return True
    return False
