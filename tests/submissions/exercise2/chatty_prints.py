# expect: full-marks
# why: a correct loop that debugs by printing the tensors a thousand times per epoch; printing must cost nothing in the calls whose output no report shows
import torch


def train(X, y, What, alpha, epochs):
    loss_history = []
    What_history = [What.data.reshape(-1).tolist()]
    for epoc in range(epochs):
        yhat = X @ What
        loss = torch.sum((y - yhat) ** 2)
        loss.backward()
        for i in range(1000):
            print("epoch", epoc, "What =", What, "grad =", What.grad, "loss =", loss)
        What.data = What.data - alpha * What.grad
        What.grad = None
        loss_history.append(loss.item())
        What_history.append(What.data.reshape(-1).tolist())
    return loss_history, What_history
