# expect: runtime-error
# cause: step 4 "clears" the gradient with `What.grad = 0`, an int; PyTorch only accepts a tensor or None there and raises TypeError
# cause-words: What.grad, None|zero_()
# inspired-by: https://hypercode.alexisbouchez.com/microgpt/lessons/training-loop
import torch


def predict(X, What):
    return X @ What


def sse_loss(yhat, y):
    return torch.sum((y - yhat) ** 2)


def gradient_step(X, y, What, alpha):
    yhat = predict(X, What)
    loss = sse_loss(yhat, y)
    loss.backward()
    What.data = What.data - alpha * What.grad
    What.grad = 0  # 다음 스텝을 위해 기울기 초기화
    return loss
