# expect: not-attempted
"""Returns integers beyond any float: the judge must not overflow on them."""


def train(X, y, What, alpha, epochs):
    return [10**400] * epochs, [[[10**400], [-(10**400)]]] * (epochs + 1)
