# expect: wrong-type
"""Returns histories whose __iter__ (and __len__) never end."""


class Endless:
    def __iter__(self):
        while True:
            yield 0.0

    def __len__(self):
        while True:
            pass

    def __getitem__(self, index):
        return 0.0


def train(X, y, What, alpha, epochs):
    return Endless(), Endless()
