"""Generated calls for exercise 6 (run in the grader only).

Small logistic data sets: n points x on [-1, 1], y drawn from a logistic
model with a true (w0, w1), from a seeded generator (so that Hypothesis
shrinks a few choices, not every point); a starting net; a learning rate;
a number of epochs.  float32, as the stub promises.
"""
import torch
from hypothesis import strategies as st


def _net(w0, w1):
    net = torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.Sigmoid())
    with torch.no_grad():
        net[0].bias.fill_(w0)
        net[0].weight.fill_(w1)
    return net


@st.composite
def _data(draw):
    n = draw(st.integers(4, 60), label="n")
    seed = draw(st.integers(0, 2**16), label="data seed")
    true_w = draw(st.tuples(st.integers(-30, 30), st.integers(-60, 60)), label="true (w0, w1) in tenths")
    generator = torch.Generator().manual_seed(seed)
    x = torch.linspace(-1, 1, n).reshape(n, 1)
    p = torch.sigmoid(true_w[0] / 10 + true_w[1] / 10 * x)
    y = torch.bernoulli(p, generator=generator)
    return x, y


def nets():
    return st.tuples(st.integers(-30, 30), st.integers(-30, 30)).map(lambda t: {"w0": t[0] / 10, "w1": t[1] / 10})


@st.composite
def _training(draw):
    x, y = draw(_data(), label="data")
    w = draw(st.tuples(st.integers(-20, 20), st.integers(-20, 20)), label="starting (w0, w1) in tenths")
    lr = draw(st.integers(1, 200), label="learning rate in hundredths") / 100
    epochs = draw(st.integers(1, 30), label="epochs")
    return {"net": _net(w[0] / 10, w[1] / 10), "x": x, "y": y, "lr": lr, "epochs": epochs}


def training():
    return _training()


def figure_data(*args):
    """No fitted-line figure for this exercise: the report draws the loss per epoch."""
    return {}
