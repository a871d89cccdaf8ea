# expect: full-marks
# cause: correct variant: the SSE loop uses torch.optim.SGD([What], lr=alpha) for step 4 and zero_grad(set_to_none=True) to clear, which is the same update as the hand-written one
# cause-words: -
# inspired-by: https://preproom.ai/learn/model-training-pytorch.html
import torch


def train(X, y, What, alpha, epochs):
    opt = torch.optim.SGD([What], lr=alpha)
    loss_history = []
    What_history = [What.detach().flatten().tolist()]
    for epoc in range(epochs):
        loss = ((y - X @ What) ** 2).sum()
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        loss_history.append(float(loss))
        What_history.append(What.detach().flatten().tolist())
    return loss_history, What_history
