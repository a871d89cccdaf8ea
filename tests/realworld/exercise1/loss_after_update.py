# expect: loss-after-update
# cause: gradient_step returns a loss recomputed after step 4 (at the updated What) instead of the loss computed before the update (new code: no existing code names a single loss taken after the update)
# cause-words: after, update*
# inspired-by: https://github.com/keras-team/keras/issues/12274
import torch


def predict(X, What):
    return X @ What


def sse_loss(yhat, y):
    return torch.sum((y - yhat) ** 2)


def gradient_step(X, y, What, alpha):
    loss = sse_loss(predict(X, What), y)
    loss.backward()
    What.data = What.data - alpha * What.grad
    What.grad = None
    # 업데이트 결과를 확인하려고 새 What으로 손실을 다시 계산
    new_loss = sse_loss(predict(X, What), y)
    return new_loss
