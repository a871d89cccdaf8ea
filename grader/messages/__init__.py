"""The message catalogue: every sentence a student reads, in English and Korean side by side.

Keys are stable; parameters are ``str.format`` fields.  ``render`` picks the
language.  A test checks that every key has both texts and the same fields.
Korean uses the lecture's own terms: 학습률, 손실, 미분, 업데이트, 에폭.
"""
from __future__ import annotations

import os
import re
import string
from typing import Any, Mapping, Optional, Union

from grader.messages.korean import fit_particles
from grader.results import Message

LANGUAGES = ("en", "ko")

# key: (English, Korean)
CATALOGUE: dict[str, tuple[str, str]] = {
    # ------------------------------------------------------------------
    # diagnoses: <code>.title / .why / .fix (and .hint where a code line helps)
    "diagnosis.grad-not-cleared.title": ("gradients accumulate: `What.grad` is never reset", "미분값이 누적됩니다: `What.grad`를 초기화하지 않았습니다"),
    "diagnosis.grad-not-cleared.why": (
        "`loss.backward()` adds the new gradient to `What.grad`. Without a reset, epoch {epoch} updates with the sum of all gradients so far, so the steps grow and the path overshoots.",
        "`loss.backward()`는 새 미분값을 `What.grad`에 더합니다. 초기화하지 않으면 {epoch}번째 에폭에서 지금까지의 미분값을 모두 더한 값으로 업데이트하므로 업데이트 폭이 점점 커집니다.",
    ),
    "diagnosis.grad-not-cleared.why-step": (
        "After `{function}` returns, `What.grad` still holds this step's gradient. `loss.backward()` adds to it, so the next call's update would use the sum of two gradients.",
        "`{function}`이(가) 끝난 뒤에도 `What.grad`에 이번 스텝의 미분값이 남아 있습니다. `loss.backward()`는 미분값을 더하므로 다음 호출의 업데이트는 두 미분값의 합을 쓰게 됩니다.",
    ),
    "diagnosis.grad-not-cleared.fix": ("Clear the gradient after each update.", "매 업데이트 뒤에 미분값을 초기화하세요."),
    "diagnosis.grad-not-cleared.hint": ("What.grad = None   # or: What.grad.zero_() / optimizr.zero_grad()", "What.grad = None   # 또는 What.grad.zero_() / optimizr.zero_grad()"),
    "diagnosis.gradient-ascent.title": ("the update goes uphill: the gradient is added instead of subtracted", "업데이트 방향이 반대입니다: 미분값을 빼야 하는데 더했습니다"),
    "diagnosis.gradient-ascent.why": (
        "Step 4 moves What against the gradient, because the gradient points to where the loss grows. Adding it makes the loss grow every epoch.",
        "미분값(기울기)은 손실이 커지는 방향을 가리키므로 step4에서는 그 반대 방향으로 가야 합니다. 더하면 에폭마다 손실이 커집니다.",
    ),
    "diagnosis.gradient-ascent.fix": ("Subtract alpha times the gradient.", "학습률 × 미분값을 빼세요."),
    "diagnosis.gradient-ascent.hint": ("What.data = What.data - alpha * What.grad", "What.data = What.data - alpha * What.grad"),
    "diagnosis.wrong-epochs.title": ("a different number of steps was run", "에폭(반복) 횟수가 다릅니다"),
    "diagnosis.wrong-epochs.why": (
        "epochs={epochs} asks for exactly {epochs} updates, but your code made {found}.",
        "epochs={epochs}이면 업데이트를 정확히 {epochs}번 해야 하는데, 코드는 {found}번 했습니다.",
    ),
    "diagnosis.wrong-epochs.fix": ("Loop exactly `epochs` times.", "정확히 `epochs`번 반복하세요."),
    "diagnosis.wrong-epochs.hint": ("for epoc in range(epochs):", "for epoc in range(epochs):"),
    "diagnosis.wrong-learning-rate.title": ("the step size does not match the learning rate `{name}`", "업데이트 폭이 학습률 `{name}`과(와) 맞지 않습니다"),
    "diagnosis.wrong-learning-rate.why": (
        "With {name}={expected:.6g} the first update should be {name} × gradient, but your first step corresponds to a learning rate of {found:.6g}. A hard-coded number (like the lecture's 0.001 or 0.1) instead of the argument does this.",
        "{name}={expected:.6g}이면 첫 업데이트 폭은 {name} × 미분값이어야 하는데, 첫 스텝은 학습률 {found:.6g}에 해당합니다. 인자 대신 강의의 0.001이나 0.1 같은 숫자를 직접 쓰면 이렇게 됩니다.",
    ),
    "diagnosis.wrong-learning-rate.fix": ("Use the `{name}` argument in step 4.", "step4에서 인자 `{name}`을(를) 사용하세요."),
    "diagnosis.wrong-loss.title": ("the loss is not the one asked for ({expected})", "손실함수가 요구한 것({expected})과 다릅니다"),
    "diagnosis.wrong-loss.why": (
        "Your values match the {found} instead. The loss decides the gradient, so a different loss moves What along a different path (SSE = MSE × n, and its gradient is n times larger).",
        "값이 {found}과(와) 일치합니다. 손실이 미분값을 결정하므로 손실이 다르면 What이 다른 경로로 업데이트됩니다 (SSE = MSE × n, 미분값도 n배).",
    ),
    "diagnosis.wrong-loss.fix": ("Compute the {expected}.", "{expected}을(를) 계산하세요."),
    "diagnosis.wrong-loss.hint": ("{hint_code}", "{hint_code}"),
    "diagnosis.history-misaligned.title": ("a history is shifted by one epoch", "기록(history)이 한 에폭 어긋나 있습니다"),
    "diagnosis.history-misaligned.why": ("{detail}", "{detail_ko}"),
    "diagnosis.history-misaligned.fix": (
        "Record What once before the loop, then the loss and What inside it: the loss before step 4, What after it.",
        "루프 전에 초기 What을 한 번 기록하고, 루프 안에서는 step4 전에 손실을, step4 뒤에 What을 기록하세요.",
    ),
    "diagnosis.history-misaligned.hint": (
        "What_history = [What.data.reshape(-1).tolist()]\nfor epoc in range(epochs):\n    ...\n    loss_history.append(loss.item())\n    What_history.append(What.data.reshape(-1).tolist())",
        "What_history = [What.data.reshape(-1).tolist()]\nfor epoc in range(epochs):\n    ...\n    loss_history.append(loss.item())\n    What_history.append(What.data.reshape(-1).tolist())",
    ),
    "diagnosis.parameter-rebound.title": ("`What` was rebound to a new tensor instead of updated in place", "`What`을 제자리에서 업데이트하지 않고 새 텐서로 바꿨습니다"),
    "diagnosis.parameter-rebound.why": (
        "An assignment `What = ...` inside the function (`What - alpha * What.grad`, with or without `.detach()` or `.requires_grad_()`) makes a new tensor and binds the name to it: the caller's What never changes. Made without `.requires_grad_()`, the new tensor also gets no gradient: its `.grad` is None after the next `backward()`.",
        "함수 안에서 `What = ...`로 대입하면 (`What - alpha * What.grad`, `.detach()`나 `.requires_grad_()`를 붙여도 마찬가지) 새 텐서가 만들어지고 이름만 그 텐서를 가리킵니다. 호출한 쪽의 What은 그대로입니다. `.requires_grad_()` 없이 만들면 새 텐서에는 미분값도 생기지 않아 다음 `backward()` 뒤에도 `.grad`가 None입니다.",
    ),
    "diagnosis.parameter-rebound.fix": ("Update the data of the same tensor, as in the lecture.", "강의처럼 같은 텐서의 data를 업데이트하세요."),
    "diagnosis.parameter-rebound.hint": ("What.data = What.data - alpha * What.grad\n# or: with torch.no_grad(): What -= alpha * What.grad", "What.data = What.data - alpha * What.grad\n# 또는: with torch.no_grad(): What -= alpha * What.grad"),
    "diagnosis.weight-not-transposed.title": ("the weight is not transposed: nn.Linear stores it as (1, 2)", "weight를 전치(.T)하지 않았습니다: nn.Linear의 weight는 (1, 2) 크기입니다"),
    "diagnosis.weight-not-transposed.why": (
        "`{function}` returned a weight of shape {found}; nn.Linear(2, 1) stores its weight as (1, 2), the transpose of What (2, 1).",
        "`{function}`이(가) 반환한 weight의 크기가 {found}입니다. nn.Linear(2, 1)의 weight는 What (2, 1)의 전치인 (1, 2) 크기입니다.",
    ),
    "diagnosis.weight-not-transposed.fix": ("Did you forget `.T`?", "`.T`를 빠뜨리지 않았나요?"),
    "diagnosis.weight-not-transposed.hint": ("# nn.Linear(2, 1).weight is (1, 2): the transpose (.T) of a (2, 1) column", "# nn.Linear(2, 1)의 weight는 (1, 2): (2, 1) 열벡터의 전치(.T)"),
    "diagnosis.bias-enabled.title": ("the net has a bias", "net에 bias가 있습니다"),
    "diagnosis.bias-enabled.why": (
        "X already holds a column of ones for w0, so the model y = X@W has no separate bias. nn.Linear adds one unless bias=False.",
        "X의 첫 번째 열(1)이 이미 w0 역할을 하므로 모델 y = X@W에는 bias가 따로 없습니다. nn.Linear는 bias=False로 하지 않으면 bias를 추가합니다.",
    ),
    "diagnosis.bias-enabled.fix": ("Create the layer with bias=False.", "bias=False로 만드세요."),
    "diagnosis.bias-enabled.hint": ("torch.nn.Linear(in_features=2, out_features=1, bias=False)", "torch.nn.Linear(in_features=2, out_features=1, bias=False)"),
    "diagnosis.not-using-torch-api.title": ("the PyTorch pattern is not used: {missing}", "파이토치식 코딩패턴을 쓰지 않았습니다: {missing}"),
    "diagnosis.not-using-torch-api.why": (
        "This exercise asks for the PyTorch pattern (torch.nn.Linear, torch.nn.MSELoss, torch.optim.SGD) instead of hand-written steps; your code never called {missing}.",
        "이 연습은 직접 쓴 step들 대신 파이토치식 코딩패턴(torch.nn.Linear, torch.nn.MSELoss, torch.optim.SGD)을 쓰는 것입니다. 코드에서 {missing}을(를) 호출하지 않았습니다.",
    ),
    "diagnosis.not-using-torch-api.fix": ("Use the lecture's pattern.", "강의의 패턴을 사용하세요."),
    "diagnosis.not-using-torch-api.hint": ("# torch.nn.Linear, torch.nn.MSELoss(), torch.optim.SGD", "# torch.nn.Linear, torch.nn.MSELoss(), torch.optim.SGD"),
    "diagnosis.not-using-torch-api.hint@exercise4": (
        "loss_fn = torch.nn.MSELoss()\noptimizr = torch.optim.SGD(net.parameters(), lr=lr)\nfor epoc in range(epochs):\n    yhat = net(X)\n    loss = loss_fn(yhat, y)\n    loss.backward()\n    optimizr.step()\n    optimizr.zero_grad()",
        "loss_fn = torch.nn.MSELoss()\noptimizr = torch.optim.SGD(net.parameters(), lr=lr)\nfor epoc in range(epochs):\n    yhat = net(X)\n    loss = loss_fn(yhat, y)\n    loss.backward()\n    optimizr.step()\n    optimizr.zero_grad()",
    ),
    "diagnosis.step-before-backward.title": ("`step()` runs before `backward()`", "`step()`이 `backward()`보다 먼저 실행됩니다"),
    "diagnosis.step-before-backward.why": (
        "step() uses the gradient that is there now. Before backward() it is the previous epoch's gradient (or none at all), so every update lags one epoch behind.",
        "step()은 지금 들어 있는 미분값을 씁니다. backward() 전이면 이전 에폭의 미분값(또는 없음)이므로 업데이트가 한 에폭씩 늦어집니다.",
    ),
    "diagnosis.step-before-backward.fix": ("Keep the lecture's order: yhat, loss, backward, step, zero_grad.", "강의의 순서를 지키세요: yhat, loss, backward, step, zero_grad."),
    "diagnosis.step-before-backward.hint": ("# backward(), then step(), then zero_grad()", "# backward(), 그다음 step(), 그다음 zero_grad()"),
    "diagnosis.step-before-backward.hint@exercise4": ("loss.backward()   # step3\noptimizr.step()   # step4\noptimizr.zero_grad()", "loss.backward()   # step3\noptimizr.step()   # step4\noptimizr.zero_grad()"),
    "diagnosis.zero-grad-before-step.title": ("the gradient is cleared before the update", "업데이트 전에 미분값을 지웠습니다"),
    "diagnosis.zero-grad-before-step.why": (
        "zero_grad() between backward() and step() throws the gradient away, so step() has nothing to apply and What never moves.",
        "backward()와 step() 사이에 zero_grad()를 하면 미분값이 지워져서 step()이 업데이트할 것이 없고 What이 바뀌지 않습니다.",
    ),
    "diagnosis.zero-grad-before-step.fix": ("Call zero_grad() after step().", "zero_grad()는 step() 뒤에 호출하세요."),
    "diagnosis.input-mutated.title": ("the inputs `{names}` were changed", "입력 `{names}`이(가) 바뀌었습니다"),
    "diagnosis.input-mutated.why": (
        "Your function modified {names} in place, so the caller's data is no longer what it was. Only What (or the net) should change.",
        "함수가 {names}을(를) 제자리에서 바꿨습니다. 호출한 쪽의 데이터가 달라집니다. 바뀌어야 하는 것은 What(또는 net)뿐입니다.",
    ),
    "diagnosis.input-mutated.fix": ("Compute new tensors instead of writing into X or y (avoid `X[...] = `, `+=`, `.add_()` on inputs).", "X나 y에 직접 쓰지 말고 새 텐서를 만드세요 (입력에 `X[...] = `, `+=`, `.add_()` 금지)."),
    "diagnosis.wrong-shape.title": ("`{function}` returned the wrong shape: {found}, expected {expected}", "`{function}`의 반환값 크기가 맞지 않습니다: {found}, {expected}이어야 합니다"),
    "diagnosis.wrong-shape.why": ("{detail}", "{detail_ko}"),
    "diagnosis.wrong-shape.fix": ("Check the shapes: X is (n, 2), What is (2, 1), y and yhat are (n, 1).", "크기를 확인하세요: X는 (n, 2), What은 (2, 1), y와 yhat은 (n, 1)입니다."),
    "diagnosis.wrong-type.title": ("`{function}` returned {found}, expected {expected}", "`{function}`이(가) {found}을(를) 반환했습니다. {expected}이어야 합니다"),
    "diagnosis.wrong-type.why": ("{detail}", "{detail_ko}"),
    "diagnosis.wrong-type.fix": ("Return the value the docstring asks for.", "docstring이 요구하는 값을 반환하세요."),
    "diagnosis.wrong-value.title": ("`{function}` gives a different value", "`{function}`의 값이 다릅니다"),
    "diagnosis.wrong-value.why": (
        "{what}: yours is {found}, the reference is {expected}. No common mistake explains the difference; compare your code with the lecture's four steps.",
        "{what_ko}: 내 값은 {found}, 정답은 {expected}입니다. 흔한 실수로는 설명되지 않습니다. 강의의 네 단계와 코드를 비교해 보세요.",
    ),
    "diagnosis.wrong-value.fix": ("Run the minimal example below and compare each step with the lecture's.", "아래의 최소 예제를 실행해 각 단계를 강의와 비교해 보세요."),
    "diagnosis.not-implemented.title": ("`{function}` is not implemented yet", "`{function}`을(를) 아직 구현하지 않았습니다"),
    "diagnosis.not-implemented.why": ("It still raises NotImplementedError, as the stub does.", "스텁처럼 아직 NotImplementedError를 발생시킵니다."),
    "diagnosis.not-implemented.fix": ("Replace `raise NotImplementedError` with your code.", "`raise NotImplementedError`를 코드로 바꾸세요."),
    "diagnosis.missing-function.title": ("`{function}` is not defined", "`{function}`이(가) 정의되지 않았습니다"),
    "diagnosis.missing-function.why": ("The grader calls `{function}`, but the submission defines no function of that name.", "채점기는 `{function}`을(를) 호출하는데, 제출물에 그 이름의 함수가 없습니다."),
    "diagnosis.missing-function.fix": ("Keep the names and signatures of the stub (`grade init` gives a fresh copy).", "스텁의 함수 이름과 인자를 그대로 두세요 (`grade init`으로 새로 받을 수 있습니다)."),
    "diagnosis.imports-grader.title": ("line {line} uses the grader's own code", "{line}번째 줄이 채점기의 코드를 가져옵니다"),
    "diagnosis.imports-grader.why": (
        "Line {line} (`{text}`) imports the grader. The grader's code is not available to submissions, and a submission that reaches for it gets no marks.",
        "{line}번째 줄(`{text}`)이 채점기를 import합니다. 채점기의 코드는 제출물에서 쓸 수 없으며, 이를 시도한 제출물은 점수를 받지 못합니다.",
    ),
    "diagnosis.imports-grader.fix": ("Delete that line and write the functions yourself, as in the lecture.", "그 줄을 지우고 강의에서처럼 함수를 직접 작성하세요."),
    "diagnosis.grader-error.title": ("the grader failed on this submission", "채점기가 이 제출물에서 오류를 냈습니다"),
    "diagnosis.grader-error.why": (
        "The grader itself failed while judging this submission ({detail}). This is the grader's fault, not yours.",
        "이 제출물을 채점하는 중 채점기 자체에 오류가 났습니다({detail}). 학생의 잘못이 아닙니다.",
    ),
    "diagnosis.grader-error.fix": ("Tell your instructor, and attach this report.", "이 보고서를 첨부해 담당 교수자에게 알려 주세요."),
    "diagnosis.syntax-error.title": ("the file has a syntax error on line {line}", "{line}번째 줄에 문법 오류가 있습니다"),
    "diagnosis.syntax-error.why": ("Python could not read the file: {message}. Nothing in it could run.", "파이썬이 파일을 읽지 못했습니다: {message}. 아무것도 실행되지 않았습니다."),
    "diagnosis.syntax-error.fix": ("Fix the line shown below, then grade again.", "아래 줄을 고친 뒤 다시 채점하세요."),
    "diagnosis.runtime-error.title": ("`{function}` raised {type}", "`{function}`에서 {type} 오류가 발생했습니다"),
    "diagnosis.runtime-error.why": ("{message}", "{message}"),
    "diagnosis.runtime-error.fix": ("Run the minimal example below and read the traceback from your last line up.", "아래의 최소 예제를 실행하고 traceback을 마지막 줄부터 읽어 보세요."),
    "diagnosis.timeout.title": ("the submission ran out of time", "제출물이 제한 시간을 넘겼습니다"),
    "diagnosis.timeout.why": ("{detail}. An endless loop (a `while` that never ends, or a `for` over a huge range) is the usual cause.", "{detail_ko}. 끝나지 않는 반복문(`while`이나 매우 큰 range의 `for`)이 흔한 원인입니다."),
    "diagnosis.timeout.fix": ("Make sure every loop ends, and loops only as often as the docstring asks.", "모든 반복문이 끝나는지, docstring이 요구하는 만큼만 반복하는지 확인하세요."),
    "diagnosis.memory-limit.title": ("the submission ran out of memory", "제출물이 메모리 한도를 넘었습니다"),
    "diagnosis.memory-limit.why": ("{detail}. Growing a list or a tensor without bound, or building an n×n matrix, does this.", "{detail_ko}. 리스트나 텐서를 끝없이 키우거나 n×n 행렬을 만들면 이렇게 됩니다."),
    "diagnosis.memory-limit.fix": ("Keep only what the exercise asks for.", "연습이 요구하는 것만 저장하세요."),
    "diagnosis.crashed.title": ("the submission ended the process", "제출물이 프로세스를 종료시켰습니다"),
    "diagnosis.crashed.why": ("{detail}. Calls like `os._exit`, `sys.exit`, or native crashes stop the grading of everything after them.", "{detail_ko}. `os._exit`, `sys.exit` 같은 호출이나 네이티브 오류는 그 뒤의 채점을 모두 멈춥니다."),
    "diagnosis.crashed.fix": ("Remove the exit call; let your functions return.", "종료 호출을 지우고 함수가 값을 반환하게 하세요."),
    "diagnosis.result-too-large.title": ("`{function}` returned too much data", "`{function}`의 반환값이 너무 큽니다"),
    "diagnosis.result-too-large.why": ("{detail}. A history holds one entry per epoch.", "{detail}. 기록(history)에는 에폭마다 하나씩만 담습니다."),
    "diagnosis.result-too-large.fix": ("Return only what the docstring asks for.", "docstring이 요구하는 것만 반환하세요."),
    "diagnosis.wrong-classification.title": ("alpha={alpha:.6g} is {expected}, not {found}", "alpha={alpha:.6g}은(는) {found}이(가) 아니라 {expected}입니다"),
    "diagnosis.wrong-classification.why": (
        "The SSE update multiplies the error by I - 2αX'X. With λmax(X'X)={lam:.6g} its extreme factor is 1 - 2αλmax = {factor:.4g}: |factor| < 1 converges, a negative factor overshoots (oscillating), |factor| ≥ 1 diverges.",
        "SSE 업데이트는 오차에 I - 2αX'X를 곱합니다. λmax(X'X)={lam:.6g}이면 가장 큰 배율은 1 - 2αλmax = {factor:.4g}입니다. |배율| < 1이면 수렴, 음수이면 왔다갔다(oscillating), |배율| ≥ 1이면 발산합니다.",
    ),
    "diagnosis.wrong-classification.fix": ("Compare alpha with 1/λmax (divergent at or above) and 1/(2λmax) (oscillating above).", "alpha를 1/λmax(이상이면 발산), 1/(2λmax)(초과이면 왔다갔다)와 비교하세요."),
    "diagnosis.python-loop.title": ("`{function}` loops in Python", "`{function}`이(가) 파이썬 for 문을 사용합니다"),
    "diagnosis.python-loop.why": (
        "It ran {lines} lines of Python for a {rows}×{cols} grid: a double loop like the lecture's first plot_loss. Broadcasting computes the whole grid in one expression.",
        "{rows}×{cols} 격자에 파이썬 코드를 {lines}줄 실행했습니다: 강의의 첫 plot_loss처럼 이중 for 문입니다. 브로드캐스팅으로 한 번에 계산할 수 있습니다.",
    ),
    "diagnosis.python-loop.fix": ("Reshape w0 to (-1, 1, 1) and w1 to (1, -1, 1), then sum over the last axis.", "w0를 (-1, 1, 1), w1을 (1, -1, 1)로 바꾼 뒤 마지막 축으로 합하세요."),
    # ------------------------------------------------------------------
    # check titles
    "check.lecture": ("`{function}` on the lecture's data", "강의 데이터에서 `{function}`"),
    "check.generated": ("`{function}` on generated data", "생성된 데이터에서 `{function}`"),
    "check.in-place": ("`{function}` updates `{argument}` in place", "`{function}`이(가) `{argument}`을(를) 제자리에서 업데이트"),
    "check.grad-cleared": ("`{function}` leaves the gradient cleared", "`{function}`이(가) 미분값을 초기화"),
    "check.inputs-unchanged": ("`{function}` leaves {names} unchanged", "`{function}`이(가) {names}을(를) 바꾸지 않음"),
    "check.history-lengths": ("`{function}` returns histories of the right lengths", "`{function}`의 기록(history) 길이"),
    "check.torch-api": ("`{function}` uses nn.Linear, MSELoss and optim.SGD", "`{function}`이(가) nn.Linear, MSELoss, optim.SGD를 사용"),
    "check.structure": ("`{function}` builds the right nn.Linear", "`{function}`이(가) 올바른 nn.Linear를 만듦"),
    "check.vectorized": ("`{function}` is computed without Python loops", "`{function}`을(를) 파이썬 for 문 없이 계산"),
    "check.device": ("`{function}` runs on a GPU (cuda) and keeps float64", "`{function}`이(가) GPU(cuda)에서 실행되고 float64를 유지"),
    "check.lecture-divergent": ("`{function}` calls the lecture's α = 0.0083 divergent", "`{function}`이(가) 강의의 α = 0.0083을 발산으로 판정"),
    # ------------------------------------------------------------------
    # what a value is
    "what.loss": ("the loss at epoch {epoch}", "{epoch}번째 에폭의 손실"),
    "what.w": ("{label} after epoch {epoch}", "{epoch}번째 에폭 뒤의 {label}"),
    "what.w-initial": ("the initial value of {label}", "{label}의 초기값"),
    "what.value": ("the returned value", "반환값"),
    "loss.sse": ("SSE (sum of squared errors)", "SSE (오차제곱합)"),
    "loss.mse": ("MSE (mean squared error)", "MSE (평균제곱오차)"),
    "loss.sse/100": ("SSE/100 (n hard-coded as the lecture's 100)", "SSE/100 (n을 강의의 100으로 고정)"),
    "loss.square-of-sum": ("the square of the sum of errors", "오차합의 제곱"),
    "loss.sum": ("the sum of errors, not squared", "제곱하지 않은 오차합"),
    "loss.square-of-mean": ("the square of the mean error", "오차평균의 제곱"),
    "loss.mean": ("the mean error, not squared", "제곱하지 않은 오차평균"),
    "divergence.first": ("first divergence: {where}: yours {yours}, reference {reference}", "처음 달라지는 곳: {where}: 내 값 {yours}, 정답 {reference}"),
    "misaligned.missing-initial": (
        "What_history has {found} entries and starts with What after the first update: the initial value is missing (it should have epochs + 1 = {expected} entries).",
        "What_history가 {found}개이고 첫 업데이트 뒤의 What으로 시작합니다: 초기값이 빠졌습니다 (epochs + 1 = {expected}개여야 합니다).",
    ),
    "misaligned.loss-after-update": (
        "Each loss in loss_history belongs to What after its update: the loss was recorded after step 4 (recomputed), not the one computed before it.",
        "loss_history의 손실이 업데이트 뒤의 What에 대한 값입니다: step4 전에 계산한 손실이 아니라 업데이트 뒤에 다시 계산한 손실을 기록했습니다.",
    ),
    "misaligned.lengths": (
        "loss_history has {losses} entries and What_history {weights}; with epochs={epochs} they should have {epochs} and {expected}.",
        "loss_history는 {losses}개, What_history는 {weights}개입니다. epochs={epochs}이면 {epochs}개와 {expected}개여야 합니다.",
    ),
    "shape.history": ("A history should hold one entry per epoch; found {detail}.", "기록(history)은 에폭마다 하나씩이어야 합니다. 실제: {detail}."),
    "shape.value": ("The contract asks for shape {expected}.", "요구하는 크기는 {expected}입니다."),
    "shape.transposed": ("The shape is transposed: did you multiply in the wrong order or forget `.T`?", "크기가 전치되어 있습니다: 곱하는 순서가 바뀌었거나 `.T`를 빠뜨리지 않았나요?"),
    "type.none": ("The function returned None: did you forget `return`?", "함수가 None을 반환했습니다: `return`을 빠뜨리지 않았나요?"),
    "type.other": ("The contract asks for {expected}.", "요구하는 반환값은 {expected}입니다."),
    "type.not-a-net": ("The contract asks for torch.nn.Linear(2, 1, bias=False).", "요구하는 반환값은 torch.nn.Linear(2, 1, bias=False)입니다."),
    "error.input": (
        "`input()` cannot work here: the grader runs your code with no keyboard attached, so it fails at once. Take values from the function's arguments instead.",
        "채점기는 키보드 입력 없이 코드를 실행하므로 `input()`은 바로 실패합니다. 값은 함수의 인자로 받으세요.",
    ),
    "error.none-grad": (
        "`What.grad` is None here: What is not the leaf tensor that backward() fills. This happens after `What = What - ...` rebinds What to a new tensor.",
        "여기서 `What.grad`가 None입니다: What이 backward()가 미분값을 채우는 leaf 텐서가 아닙니다. `What = What - ...`로 What을 새 텐서로 바꾸면 이렇게 됩니다.",
    ),
    "error.grad-before-backward": (
        "`What.grad` is None until the first `loss.backward()` fills it, so it cannot be reset before then. Clear it after the update instead (or use `What.grad = None`, which always works).",
        "`What.grad`는 첫 `loss.backward()`가 채우기 전까지 None이므로 그 전에는 초기화할 수 없습니다. 업데이트 뒤에 초기화하세요 (`What.grad = None`은 언제나 됩니다).",
    ),
    "error.shape": (
        "A matrix product got shapes that do not fit. X is (n, 2), What is (2, 1), nn.Linear's weight is (1, 2).",
        "행렬곱의 크기가 맞지 않습니다. X는 (n, 2), What은 (2, 1), nn.Linear의 weight는 (1, 2)입니다.",
    ),
    # ------------------------------------------------------------------
    # submission-level
    "verdict.full": ("Full marks: {score:g}/{max_score:g}. Every check passed.", "만점입니다: {score:g}/{max_score:g}. 모든 검사를 통과했습니다."),
    "verdict.partial": ("{score:g}/{max_score:g}: {failed} of {total} checks failed.", "{score:g}/{max_score:g}: 검사 {total}개 중 {failed}개를 통과하지 못했습니다."),
    "verdict.ungraded": ("0/{max_score:g}: the submission could not run ({code}).", "0/{max_score:g}: 제출물을 실행할 수 없었습니다 ({code})."),
    "protections.missing": ("Sandbox protections unavailable on this machine: {names}.", "이 컴퓨터에서 사용할 수 없는 샌드박스 보호 기능: {names}."),
    "start.spawn": ("Workers were spawned, not forked (fork after importing torch is unsafe here): slower, equally correct.", "작업 프로세스를 fork 대신 spawn으로 실행했습니다 (이 환경에서는 torch를 불러온 뒤 fork가 안전하지 않음): 느리지만 결과는 같습니다."),
    "diagnosis.device-mismatch.title": ("a tensor is on another device than the inputs", "입력과 다른 장치(device)에 있는 텐서가 있습니다"),
    "diagnosis.device-mismatch.why": (
        "On a GPU every tensor of one operation must be on the same device, and what you return must stay where the inputs were. {where} {message}",
        "GPU에서는 한 연산의 텐서가 모두 같은 장치에 있어야 하고, 반환값도 입력과 같은 장치에 있어야 합니다. {where} {message}",
    ),
    "diagnosis.device-mismatch.fix": (
        "Create new tensors on the inputs' device and move nets there; call .cpu() before .numpy().",
        "새 텐서는 입력과 같은 장치에 만들고 net도 그 장치로 옮기세요. .numpy() 전에는 .cpu()를 호출하세요.",
    ),
    "diagnosis.device-mismatch.hint": (
        "torch.ones(X.shape[0], 1, device=X.device, dtype=X.dtype)\nX.detach().cpu().numpy()   # .cpu() before .numpy()",
        "torch.ones(X.shape[0], 1, device=X.device, dtype=X.dtype)\nX.detach().cpu().numpy()   # .numpy() 전에 .cpu()",
    ),
    "diagnosis.requires-cuda.title": ("the code needs a GPU: it uses cuda unconditionally", "GPU가 있어야만 실행됩니다: cuda를 무조건 사용합니다"),
    "diagnosis.requires-cuda.why": (
        "On a machine without a GPU (most laptops, graders and CI runners) this fails: {message} {where}",
        "GPU가 없는 컴퓨터(대부분의 노트북, 채점기, CI)에서는 실패합니다: {message} {where}",
    ),
    "diagnosis.requires-cuda.fix": ("Follow the inputs' device instead of naming cuda.", "cuda를 직접 쓰지 말고 입력의 장치를 따르세요."),
    "diagnosis.requires-cuda.hint": ("What.to(X.device)   # not What.cuda()", "What.to(X.device)   # What.cuda() 대신"),
    "diagnosis.dtype-changed.title": ("the dtype changed: float64 inputs gave {found}", "dtype이 바뀌었습니다: float64 입력에서 {found}이(가) 나왔습니다"),
    "diagnosis.dtype-changed.why": (
        "{where} is {found} although every input was float64. A float32 tensor made without a dtype (torch.tensor([...]), torch.ones(...)) and mixed into the computation silently lowers the precision.",
        "입력이 모두 float64인데 {where}이(가) {found}입니다. dtype 없이 만든 float32 텐서(torch.tensor([...]), torch.ones(...))가 계산에 섞이면 정밀도가 조용히 낮아집니다.",
    ),
    "diagnosis.dtype-changed.fix": ("Create tensors with the inputs' dtype and device.", "텐서를 만들 때 입력의 dtype과 device를 쓰세요."),
    "diagnosis.dtype-changed.hint": ("torch.tensor(values, dtype=X.dtype, device=X.device)", "torch.tensor(values, dtype=X.dtype, device=X.device)"),
    "diagnosis.invalid-notebook.title": ("the notebook cannot be read", "노트북 파일을 읽을 수 없습니다"),
    "diagnosis.invalid-notebook.why": ("{detail}", "{detail}"),
    "diagnosis.invalid-notebook.fix": ("Open it in Jupyter, save it again (File → Save), and resubmit the .ipynb file.", "Jupyter에서 열어 다시 저장(File → Save)한 뒤 .ipynb 파일을 다시 제출하세요."),
    # ------------------------------------------------------------------
    # diagnoses added for issue 10 (non-attempts, named mistakes, tampering)
    "diagnosis.not-attempted.title": ("`{function}` does not do its job yet: no points for it", "`{function}`이(가) 아직 할 일을 하지 않습니다: 이 함수는 0점입니다"),
    "diagnosis.not-attempted.why": ("{detail} Its other checks (in place, inputs unchanged, GPU, ...) only count when the function really does its job.", "{detail} 다른 검사(제자리 업데이트, 입력 보존, GPU 등)는 함수가 실제로 할 일을 할 때만 점수가 됩니다."),
    "diagnosis.not-attempted.fix": ("Write the function's code, following the lecture's steps and the docstring.", "강의의 단계와 docstring을 따라 함수의 코드를 작성하세요."),
    "attempt.none": ("`{function}` returns None: did you forget `{returns}`?", "`{function}`이(가) None을 반환합니다: `{returns}`를 빠뜨리지 않았나요?"),
    "attempt.empty": ("`{function}` returns empty results: nothing was recorded.", "`{function}`이(가) 빈 결과를 반환합니다: 아무것도 기록되지 않았습니다."),
    "attempt.constant": ("`{function}` returns the same value everywhere ({found}), while the reference's values change.", "`{function}`이(가) 어디서나 같은 값({found})을 반환하지만 정답의 값은 바뀝니다."),
    "attempt.untouched": ("`{function}` never changes {parameter}: after the call it still holds its initial value.", "`{function}`이(가) {parameter}을(를) 전혀 바꾸지 않습니다: 호출 뒤에도 초기값 그대로입니다."),
    "diagnosis.broadcast-shape.title": ("shapes ({n},) and ({n}, 1) broadcast into a ({n}, {n}) matrix", "크기 ({n},)와 ({n}, 1)이 브로드캐스팅되어 ({n}, {n}) 행렬이 됩니다"),
    "diagnosis.broadcast-shape.why": (
        "One of yhat and y has shape ({n},) and the other ({n}, 1). `y - yhat` then does not subtract point by point: broadcasting pairs every y with every yhat, a ({n}, {n}) matrix, so the loss and its gradient are wrong without any error.",
        "yhat과 y 중 하나는 크기가 ({n},)이고 다른 하나는 ({n}, 1)입니다. 그러면 `y - yhat`이 점마다 빼지 않고, 브로드캐스팅으로 모든 y와 모든 yhat의 쌍인 ({n}, {n}) 행렬이 되어 오류 없이 손실과 미분값이 틀립니다.",
    ),
    "diagnosis.broadcast-shape.fix": ("Keep yhat and y both of shape ({n}, 1): drop the `.squeeze()` / `.reshape(-1)`, or apply it to both.", "yhat과 y를 모두 ({n}, 1) 크기로 두세요: `.squeeze()` / `.reshape(-1)`를 지우거나 둘 다에 적용하세요."),
    "diagnosis.broadcast-shape.hint": ("{hint_code}", "{hint_code}"),
    "diagnosis.forward-outside-loop.title": ("yhat and the loss are computed once, before the loop", "yhat과 손실을 루프 전에 한 번만 계산했습니다"),
    "diagnosis.forward-outside-loop.why": (
        "Steps 1 and 2 (yhat and the loss) run before `for epoc in range(epochs):`, so every epoch reuses the first epoch's loss: its graph is freed after the first `backward()` (\"backward through the graph a second time\"), and keeping the graph alive would only repeat the first gradient. Keeping the graph is not the fix.",
        "step1과 step2(yhat과 손실)가 `for epoc in range(epochs):` 앞에 있어서 모든 에폭이 첫 에폭의 손실을 다시 씁니다. 그 그래프는 첫 `backward()` 뒤에 지워지고(\"backward through the graph a second time\"), 그래프를 남겨 두어도 첫 미분값만 반복됩니다. 그래프를 남기는 것은 해결책이 아닙니다.",
    ),
    "diagnosis.forward-outside-loop.fix": ("Move steps 1 and 2 inside the loop: compute yhat and the loss again in every epoch.", "step1과 step2를 루프 안으로 옮겨 에폭마다 yhat과 손실을 새로 계산하세요."),
    "diagnosis.forward-outside-loop.hint": (
        "for epoc in range(epochs):\n    yhat = X @ What                    # step1\n    loss = torch.sum((y - yhat) ** 2)  # step2\n    loss.backward()                    # step3\n    ...",
        "for epoc in range(epochs):\n    yhat = X @ What                    # step1\n    loss = torch.sum((y - yhat) ** 2)  # step2\n    loss.backward()                    # step3\n    ...",
    ),
    "diagnosis.history-aliased.title": ("every What_history entry is the final What", "What_history의 모든 항목이 마지막 What입니다"),
    "diagnosis.history-aliased.why": (
        "What_history holds {count} entries, and all of them equal the final What: each epoch appended the same tensor (What, What.data, or a view of it), which the in-place update then kept changing.",
        "What_history의 {count}개 항목이 모두 마지막 What과 같습니다: 에폭마다 같은 텐서(What, What.data 또는 그 view)를 추가했고, 제자리 업데이트가 그 텐서를 계속 바꿨습니다.",
    ),
    "diagnosis.history-aliased.fix": ("Append a copy of the values, not the tensor itself.", "텐서 자체가 아니라 값의 복사본을 추가하세요."),
    "diagnosis.history-aliased.hint": ("What_history.append(What.data.reshape(-1).tolist())   # or What.detach().clone()", "What_history.append(What.data.reshape(-1).tolist())   # 또는 What.detach().clone()"),
    "diagnosis.uses-global.title": ("`{function}` reads the global `{name}` instead of its argument", "`{function}`이(가) 인자 대신 전역 변수 `{name}`을(를) 읽습니다"),
    "diagnosis.uses-global.why": (
        "Line {line} uses `{name}`, which your function does not receive: it is the `{name}` defined outside it (at the top of the file or in an earlier cell). It works on that data only; called with other data, the result is wrong.",
        "{line}번째 줄이 함수가 받지 않은 `{name}`을(를) 씁니다: 함수 밖(파일 위쪽이나 앞의 셀)에서 정의한 `{name}`입니다. 그 데이터에서만 맞고, 다른 데이터로 호출하면 결과가 틀립니다.",
    ),
    "diagnosis.uses-global.fix": ("Use only the function's parameters ({parameters}) inside it.", "함수 안에서는 함수의 인자({parameters})만 사용하세요."),
    "diagnosis.inplace-on-leaf.title": ("an in-place update of What while autograd records it", "autograd가 기록하는 중에 What을 제자리에서 업데이트했습니다"),
    "diagnosis.inplace-on-leaf.why": (
        "What requires grad, so PyTorch refuses `What -= ...` (\"a leaf Variable that requires grad is being used in an in-place operation\"): the update itself would be recorded as part of the graph.",
        "What은 requires_grad=True이므로 PyTorch가 `What -= ...`를 거부합니다 (\"a leaf Variable that requires grad is being used in an in-place operation\"): 업데이트 자체가 그래프에 기록되기 때문입니다.",
    ),
    "diagnosis.inplace-on-leaf.fix": ("Update the data as the lecture does, or do the update inside `with torch.no_grad():`.", "강의처럼 data를 업데이트하거나, `with torch.no_grad():` 안에서 업데이트하세요."),
    "diagnosis.inplace-on-leaf.hint": ("What.data = What.data - alpha * What.grad\n# or:\nwith torch.no_grad():\n    What -= alpha * What.grad", "What.data = What.data - alpha * What.grad\n# 또는:\nwith torch.no_grad():\n    What -= alpha * What.grad"),
    "diagnosis.parameter-rebound.at": (
        "Here it is line {line}: `{code}`. (Written inside `torch.no_grad()`, the new tensor does not even require grad, and the next `backward()` raises \"element 0 of tensors does not require grad\" on a line that is not the mistake.)",
        "여기서는 {line}번째 줄 `{code}`입니다. (`torch.no_grad()` 안에서 쓰면 새 텐서는 미분도 필요 없는 텐서가 되어, 다음 `backward()`가 실수가 아닌 줄에서 \"element 0 of tensors does not require grad\" 오류를 냅니다.)",
    ),
    "diagnosis.tampering.title": ("the submission tampers with the grader's instruments: 0 points", "제출물이 채점기의 측정 도구를 건드립니다: 0점"),
    "diagnosis.tampering.why": (
        "{detail} The grader observes your functions while they run; code that turns off or edits that observation is not graded.",
        "{detail} 채점기는 함수가 실행되는 동안 관찰합니다. 그 관찰을 끄거나 바꾸는 코드는 채점하지 않습니다.",
    ),
    "diagnosis.tampering.fix": ("Remove that code; write the exercise with the lecture's tools only.", "그 코드를 지우고 강의의 도구만으로 연습을 작성하세요."),
    "tampering.source": ("Line {line} uses `{what}`.", "{line}번째 줄에서 `{what}`을(를) 사용합니다."),
    "tampering.trace": ("`{function}` ran with line tracing turned off.", "`{function}`이(가) 줄 추적을 끈 채로 실행되었습니다."),
    "diagnosis.disagree.note": ("The lecture's data points to `{first}`, this case to `{second}`: the two cases tell the mistakes apart differently.", "강의 데이터에서는 `{first}`, 이 사례에서는 `{second}`로 보입니다: 두 사례가 실수를 다르게 구별합니다."),
    # ------------------------------------------------------------------
    # class summary (grader.report.summary)
    "report.summary.title": ("Class summary", "전체 채점 요약"),
    "report.summary.counts": ("{count} submissions, {graded} graded; mean score {mean:.2f}/{max_score:g}.", "제출 {count}개, 채점 {graded}개; 평균 점수 {mean:.2f}/{max_score:g}."),
    "report.summary.histogram": ("Score distribution", "점수 분포"),
    "report.summary.rates": ("Pass rate of each check", "검사별 통과율"),
    "report.summary.check": ("Check", "검사"),
    "report.summary.passed": ("Passed", "통과"),
    "report.summary.common": ("Most common mistakes", "가장 흔한 실수"),
    "report.summary.diagnosis": ("Diagnosis", "진단"),
    "report.summary.students": ("Students", "학생 수"),
    "report.summary.who": ("Who", "학생"),
    "report.summary.none": ("No mistakes found.", "실수가 없습니다."),
    "report.summary.ungraded": ("Could not be graded", "채점할 수 없었던 제출물"),
    "report.summary.student": ("Student", "학생"),
    "report.summary.why": ("Why", "이유"),
    "report.summary.all-graded": ("Every submission was graded.", "모든 제출물을 채점했습니다."),
    "report.summary.all": ("All students", "전체 학생"),
    "report.summary.score": ("Score", "점수"),
    # platforms: Gradescope's run_autograder, GitHub Classroom, the class summary's counts
    "gradescope.no-upload": (
        "No .py or .ipynb file was found in your upload, so nothing could be graded. Upload your {exercise}.py or your notebook and submit again.",
        "업로드에서 .py 또는 .ipynb 파일을 찾지 못해 채점하지 못했습니다. {exercise}.py 또는 노트북을 올려 다시 제출하세요.",
    ),
    "gradescope.others": ("Graded: {shown}. Also uploaded, not graded: {others}.", "채점한 파일: {shown}. 함께 올렸지만 채점하지 않은 파일: {others}."),
    "gradescope.not-started": (
        "The autograder could not start, so this upload was not graded. This is not your fault: please tell your instructor.",
        "채점기가 시작되지 않아 이 제출물을 채점하지 못했습니다. 제출한 코드의 문제가 아니니 담당 교수자나 조교에게 알려 주세요.",
    ),
    "classroom.untouched": (
        "Not attempted yet: {files}. These files are still the stubs; fill in their functions and push to have them graded.",
        "아직 시도하지 않은 파일: {files}. 아직 빈 틀 그대로입니다. 함수를 작성한 뒤 push하면 채점됩니다.",
    ),
    "classroom.untouched-title": ("Exercises not attempted yet", "아직 시도하지 않은 연습문제"),
    "classroom.more": (
        "{count} more failing checks are not annotated here: see the job summary or the HTML reports.",
        "실패한 검사 {count}개는 여기 표시하지 않았습니다. 작업 요약(job summary)이나 HTML 보고서를 보세요.",
    ),
    "classroom.more-title": ("More failing checks", "실패한 검사 더 보기"),
    "report.summary.counts-graded": (
        "{count} submissions. {graded} graded: mean score {mean}/{max_score}, {full} with full marks. {ungraded} could not be graded (listed below; not in the mean or the pass rates).",
        "제출 {count}개. 채점 {graded}개: 평균 점수 {mean}/{max_score}, 만점 {full}개. 채점할 수 없었던 제출물 {ungraded}개 (아래 목록; 평균과 통과율에서 제외).",
    ),
    "report.summary.mixed-max": ("(the maximum score differs between submissions: {maxima})", "(제출물마다 만점이 다릅니다: {maxima})"),
    # ------------------------------------------------------------------
    # report labels (grader.report.*)
    "report.title": ("Grading report", "채점 결과"),
    "report.submission": ("Submission", "제출 파일"),
    "report.score": ("Score", "점수"),
    "report.score-of": ("{score:g} of {max_score:g} points", "{max_score:g}점 중 {score:g}점"),
    "report.checks": ("Checks", "검사 항목"),
    "report.check": ("Check", "검사"),
    "report.result": ("Result", "결과"),
    "report.points": ("Points", "점수"),
    "report.passed": ("passed", "통과"),
    "report.failed": ("failed", "실패"),
    "report.hidden": ("hidden check", "숨겨진 검사"),
    "report.hidden-failed": ("This hidden check failed; its details are not shown.", "숨겨진 검사를 통과하지 못했습니다. 자세한 내용은 공개하지 않습니다."),
    "report.details": ("details", "자세히 보기"),
    "report.no-checks": ("No checks ran.", "실행된 검사가 없습니다."),
    "report.also-fails": ("The same problem also fails these checks:", "같은 문제로 다음 검사도 통과하지 못했습니다:"),
    "report.notices": ("Notices", "알림"),
    "report.submission-problem": ("The submission could not run", "제출물을 실행할 수 없었습니다"),
    "report.diagnosis": ("What went wrong", "무엇이 잘못되었나요"),
    "report.why": ("Why", "이유"),
    "report.fix": ("Fix", "고치는 방법"),
    "report.hint": ("Code hint", "코드 힌트"),
    "report.diagnosis-code": ("diagnosis: {code}", "진단 코드: {code}"),
    "report.divergence": ("First divergent step", "처음으로 달라진 스텝"),
    "report.divergence-caption": ("{label}: your value first differs from the reference at epoch {step}.", "{label}: {step}번째 에폭에서 처음으로 정답과 달라집니다."),
    "report.divergence-caption-initial": ("{label}: your initial value already differs from the reference.", "{label}: 초기값부터 정답과 다릅니다."),
    "report.epoch": ("Epoch", "에폭"),
    "report.quantity": ("Value", "항목"),
    "report.yours": ("Yours", "내 값"),
    "report.reference": ("Reference", "정답"),
    "report.difference": ("Difference", "차이"),
    "report.first-divergence": ("first difference", "처음 달라짐"),
    "report.note": ("Note", "비고"),
    "report.missing-value": ("missing or not finite (NaN/∞)", "값이 없거나 유한하지 않음 (NaN/∞)"),
    "report.figures": ("Training: yours beside the reference", "학습 과정: 내 코드와 정답 비교"),
    "report.figures-passed": ("Your training on the lecture's data", "강의 데이터에서의 학습 과정"),
    "report.example": ("Minimal failing example", "실패하는 최소 예제"),
    "report.example-note": ("Paste this into Python, in the folder of your file, to see the failure yourself.", "제출 파일이 있는 폴더에서 파이썬에 붙여 넣으면 같은 실패를 직접 볼 수 있습니다."),
    "report.traceback": ("Traceback (your code)", "Traceback (내 코드)"),
    "report.frame": ("{filename}, line {lineno}, in {function}", "{filename}, {lineno}번째 줄, {function}"),
    "report.output": ("Captured output", "출력 내용"),
    "report.stdout": ("Standard output (print)", "표준 출력 (print)"),
    "report.stderr": ("Standard error", "표준 오류"),
    "report.bytes-omitted": ("{n} bytes omitted", "{n}바이트 생략"),
    "report.cells": ("Notebook cells that raised an error", "오류가 난 노트북 셀"),
    "report.cell": ("Cell {index}", "{index}번 셀"),
    "report.cell-timeout": ("timed out", "시간 초과"),
    "report.cell-in": ("Cell In [{count}]", "셀 In [{count}]"),
    "report.summary.cells": ("Notebook cells that hung or raised (the rest of the notebook still ran)", "멈추거나 오류가 난 노트북 셀 (나머지 셀은 계속 실행됨)"),
    "report.cell-position": ("Cell {position} of the notebook", "노트북의 {position}번째 셀"),
    "report.cell-raised": ("{cell} raised {error}; the cells after it still ran.", "{cell}에서 오류가 났습니다 ({error}). 그 뒤의 셀은 계속 실행되었습니다."),
    "report.cell-hung": ("{cell} was interrupted: {detail}; the cells after it still ran.", "{cell}의 실행을 중단했습니다: {detail}. 그 뒤의 셀은 계속 실행되었습니다."),
    "report.cell-not-run": ("{cell} did not run: {detail}.", "{cell}은 실행되지 않았습니다: {detail}."),
    "inline.title": ("Self-check", "자가 점검"),
    "inline.public": (
        "This self-check ran the public checks, the ones every student sees. Your instructor's run may add hidden checks.",
        "이 자가 점검은 모든 학생에게 공개된 검사만 실행했습니다. 강사의 채점에는 숨겨진 검사가 더해질 수 있습니다.",
    ),
    "inline.cells": (
        "Graded the {n} cells this kernel has run (In [{first}] to In [{last}]), in that order, as a notebook is graded: saving is not needed.",
        "이 커널에서 실행한 셀 {n}개(In [{first}]부터 In [{last}]까지)를 실행한 순서대로 노트북처럼 채점했습니다. 저장하지 않아도 됩니다.",
    ),
    "inline.stale": (
        "In [{count}] defined {names}, but the notebook no longer holds that cell as it ran (it was edited or deleted since): this grade depends on it, and a restart-and-run-all would not run it. Run the cell again.",
        "In [{count}]에서 {names}을(를) 정의했지만, 그 셀은 실행된 뒤 수정되었거나 삭제되었습니다. 이 점수는 그 셀에 달려 있고, 커널을 다시 시작해 모두 실행하면 그 셀은 실행되지 않습니다. 셀을 다시 실행하세요.",
    ),
    "inline.global": (
        "`{function}` reads the notebook's variable `{name}` instead of an argument: the grade depends on a value outside the function. Use the function's parameters.",
        "`{function}`이(가) 인자 대신 노트북의 변수 `{name}`을(를) 읽습니다. 점수가 함수 밖의 값에 달려 있습니다. 함수의 매개변수를 사용하세요.",
    ),
    "inline.no-exercise": (
        "No exercise function is defined in this kernel yet ({examples}): run the cell that defines it, or name the exercise: check(\"exercise2\").",
        "이 커널에는 아직 과제 함수가 정의되어 있지 않습니다 ({examples}). 함수를 정의한 셀을 실행하거나 과제를 지정하세요: check(\"exercise2\").",
    ),
    "inline.not-from-cell": (
        "`{function}` comes from the file {file}, not from a cell: the self-check replays the cells, in a folder of their own, and cannot import it. Define `{function}` in a cell, or grade the file: `grade {file}`.",
        "`{function}`은(는) 셀이 아니라 파일 {file}에서 왔습니다. 자가 점검은 셀만 별도의 폴더에서 다시 실행하므로 그 파일을 불러올 수 없습니다. `{function}`을(를) 셀에 정의하거나 파일을 채점하세요: `grade {file}`.",
    ),
    "inline.unknown-exercise": ("Unknown exercise {name!r}: expected one of {names}.", "알 수 없는 과제 {name!r}: {names} 중 하나여야 합니다."),
    "inline.ambiguous": ("The functions defined fit several exercises ({names}): name one, e.g. check(\"{first}\").", "정의한 함수가 여러 과제({names})에 해당합니다. 하나를 지정하세요. 예: check(\"{first}\")."),
    "inline.failed": ("The self-check could not run: {detail}", "자가 점검을 실행하지 못했습니다: {detail}"),
    "report.wall-time": ("Graded in {seconds:.1f} s.", "채점 시간 {seconds:.1f}초."),
    "report.fig.loss": ("Loss per epoch", "에폭별 손실"),
    "report.fig.loss-axis": ("loss ({kind})", "손실 ({kind})"),
    "report.fig.log-axis": ("loss ({kind}, log scale)", "손실 ({kind}, 로그 스케일)"),
    "report.fig.epoch-axis": ("epoch", "에폭"),
    "report.fig.fit": ("Fitted line at the start and the end", "추정한 직선: 처음과 마지막"),
    "report.fig.path": ("Path of (w₀, w₁) over the loss surface", "손실 곡면 위 (w₀, w₁)의 경로"),
    "report.fig.yours": ("yours", "내 코드"),
    "report.fig.reference": ("reference", "정답"),
    "report.fig.data": ("observed (x, y)", "관측값 (x, y)"),
    "report.fig.start-line": ("start", "처음"),
    "report.fig.yours-end": ("yours, epoch {epoch}", "내 코드, {epoch}번째 에폭"),
    "report.fig.reference-end": ("reference, epoch {epoch}", "정답, {epoch}번째 에폭"),
    "report.fig.start": ("start Ŵ = [{w0:g}, {w1:g}]", "초기값 Ŵ = [{w0:g}, {w1:g}]"),
    "report.fig.true-w": ("true W = [{w0:g}, {w1:g}]", "참값 W = [{w0:g}, {w1:g}]"),
    "report.fig.not-finite": ("not finite from epoch {epoch}", "{epoch}번째 에폭부터 유한하지 않음"),
    "report.fig.leaves-view": ("your path leaves the view (|w| up to {size:.3g})", "내 경로가 그림 밖으로 나감 (|w| 최대 {size:.3g})"),
    "report.fig.loss-desc": (
        "Your loss goes from {first} to {last} in {epochs} epochs; the reference's from {ref_first} to {ref_last}.",
        "내 손실은 {epochs}번의 에폭 동안 {first}에서 {last}(으)로, 정답은 {ref_first}에서 {ref_last}(으)로 바뀝니다.",
    ),
    "report.fig.fit-desc": (
        "The data with the line of the start, your last line Ŵ = {yours} and the reference's Ŵ = {reference}.",
        "데이터와 처음 직선, 내 마지막 직선 Ŵ = {yours}, 정답의 마지막 직선 Ŵ = {reference}.",
    ),
    "report.fig.path-desc": (
        "Contours of the {kind} loss over (w₀, w₁); your path ends at {yours}, the reference's at {reference}.",
        "(w₀, w₁)에 대한 {kind} 손실의 등고선; 내 경로는 {yours}에서, 정답 경로는 {reference}에서 끝납니다.",
    ),
    # ------------------------------------------------------------------
    # versions for one exercise (key@exerciseN) or one function (key@function):
    # a message names only what exists there (grader.messages.resolve).
    # Exercise 4: net, loss_fn, optimizr instead of What and its gradient.
    "diagnosis.grad-not-cleared.title@exercise4": ("gradients accumulate: `optimizr.zero_grad()` is never called", "미분값이 누적됩니다: `optimizr.zero_grad()`를 호출하지 않았습니다"),
    "diagnosis.grad-not-cleared.why@exercise4": (
        "`loss.backward()` adds the new gradient to the one the net's weight already holds. Without `optimizr.zero_grad()` after `optimizr.step()`, epoch {epoch} updates with the sum of all gradients so far, so the steps grow and the path overshoots. Writing `optimizr.zero_grad` without `()` only names the method: nothing is cleared.",
        "`loss.backward()`는 새 미분값을 net의 weight에 이미 있는 미분값에 더합니다. `optimizr.step()` 뒤에 `optimizr.zero_grad()`를 하지 않으면 {epoch}번째 에폭에서 지금까지의 미분값을 모두 더한 값으로 업데이트하므로 업데이트 폭이 점점 커집니다. `()` 없이 `optimizr.zero_grad`라고만 쓰면 메서드를 가리키기만 할 뿐 아무것도 지우지 않습니다.",
    ),
    "diagnosis.grad-not-cleared.fix@exercise4": ("Call `optimizr.zero_grad()`, with its parentheses, after every `optimizr.step()`.", "매 `optimizr.step()` 뒤에 괄호까지 붙여 `optimizr.zero_grad()`를 호출하세요."),
    "diagnosis.grad-not-cleared.hint@exercise4": ("optimizr.step()   # step4\noptimizr.zero_grad()", "optimizr.step()   # step4\noptimizr.zero_grad()"),
    "diagnosis.gradient-ascent.hint@exercise4": ("optimizr = torch.optim.SGD(net.parameters(), lr=lr)   # lr > 0: step() subtracts lr × gradient", "optimizr = torch.optim.SGD(net.parameters(), lr=lr)   # lr > 0: step()은 lr × 미분값을 뺍니다"),
    "diagnosis.wrong-learning-rate.fix@exercise4": ("Give the optimizer the `lr` argument: `torch.optim.SGD(net.parameters(), lr=lr)`.", "옵티마이저에 인자 `lr`을 넘기세요: `torch.optim.SGD(net.parameters(), lr=lr)`."),
    "diagnosis.wrong-loss.hint@exercise4": ("loss_fn = torch.nn.MSELoss()\nloss = loss_fn(yhat, y)", "loss_fn = torch.nn.MSELoss()\nloss = loss_fn(yhat, y)"),
    "diagnosis.history-misaligned.fix@exercise4": ("Append each epoch's loss once, before `optimizr.step()`.", "에폭마다 손실을 한 번, `optimizr.step()` 전에 기록하세요."),
    "diagnosis.history-misaligned.hint@exercise4": (
        "for epoc in range(epochs):\n    yhat = net(X)\n    loss = loss_fn(yhat, y)\n    loss_history.append(loss.item())\n    loss.backward()\n    optimizr.step()\n    optimizr.zero_grad()",
        "for epoc in range(epochs):\n    yhat = net(X)\n    loss = loss_fn(yhat, y)\n    loss_history.append(loss.item())\n    loss.backward()\n    optimizr.step()\n    optimizr.zero_grad()",
    ),
    "diagnosis.parameter-rebound.title@exercise4": ("the `net` you were given was not trained", "넘겨받은 `net`이 학습되지 않았습니다"),
    "diagnosis.parameter-rebound.why@exercise4": (
        "After the call the caller's `net` still holds its first weight: the optimizer was given other parameters than `net.parameters()` (a new `net`, a copy, or a new `torch.nn.Parameter` assigned to `net.weight`), so `optimizr.step()` changed something else.",
        "호출이 끝나도 호출한 쪽의 `net`의 weight가 처음 그대로입니다: 옵티마이저가 `net.parameters()`가 아닌 다른 파라메터(새 `net`, 복사본, `net.weight`에 새로 대입한 `torch.nn.Parameter`)를 받아서 `optimizr.step()`이 다른 것을 바꿨습니다.",
    ),
    "diagnosis.parameter-rebound.fix@exercise4": ("Train the `net` argument itself: build the optimizer from `net.parameters()`.", "인자로 받은 `net`을 그대로 학습하세요: 옵티마이저는 `net.parameters()`로 만드세요."),
    "diagnosis.parameter-rebound.hint@exercise4": ("optimizr = torch.optim.SGD(net.parameters(), lr=lr)", "optimizr = torch.optim.SGD(net.parameters(), lr=lr)"),
    "diagnosis.weight-not-transposed.hint@exercise4": ("net.weight.data = What.data.T   # the .T is needed: remember it", "net.weight.data = What.data.T   # .T 를 해야함. 외우세요"),
    "diagnosis.not-using-torch-api.why@exercise4": (
        "This exercise is about replacing the hand-written steps with `net`, `loss_fn = torch.nn.MSELoss()` and `optimizr = torch.optim.SGD(net.parameters(), lr=lr)`; your code never called {missing}.",
        "이 연습은 직접 쓴 step들을 `net`, `loss_fn = torch.nn.MSELoss()`, `optimizr = torch.optim.SGD(net.parameters(), lr=lr)`로 바꾸는 것입니다. 코드에서 {missing}을(를) 호출하지 않았습니다.",
    ),
    "diagnosis.step-before-backward.title@exercise4": ("`optimizr.step()` runs before `loss.backward()`", "`optimizr.step()`이 `loss.backward()`보다 먼저 실행됩니다"),
    "diagnosis.device-mismatch.hint@exercise4": (
        "net = net.to(device=What.device, dtype=What.dtype)\ntorch.ones(X.shape[0], 1, device=X.device, dtype=X.dtype)",
        "net = net.to(device=What.device, dtype=What.dtype)\ntorch.ones(X.shape[0], 1, device=X.device, dtype=X.dtype)",
    ),
    # Exercise 3: mse_alpha is a formula, not a training loop.
    "diagnosis.wrong-learning-rate.title@mse_alpha": ("the MSE learning rate is off by a factor of n", "MSE 학습률이 n배만큼 어긋났습니다"),
    "diagnosis.wrong-learning-rate.why@mse_alpha": (
        "MSE = SSE / n, so the MSE gradient is n times smaller than the SSE gradient. To walk the same path, the MSE step needs a learning rate n times larger: {expected:.6g}, not {found:.6g}.",
        "MSE = SSE / n이므로 MSE의 미분값은 SSE의 미분값보다 n배 작습니다. 같은 경로로 가려면 MSE의 학습률이 n배 커야 합니다: {found:.6g}이(가) 아니라 {expected:.6g}입니다.",
    ),
    "diagnosis.wrong-learning-rate.fix@mse_alpha": ("Multiply `sse_alpha` by `n` instead of dividing.", "`sse_alpha`를 `n`으로 나누지 말고 `n`을 곱하세요."),
    "diagnosis.wrong-learning-rate.hint@mse_alpha": ("return sse_alpha * n   # the lecture: 0.001 (SSE) -> 0.1 (MSE) with n = 100", "return sse_alpha * n   # 강의: n = 100일 때 0.001 (SSE) -> 0.1 (MSE)"),
    # Exercise 1: gradient_step makes one update.
    "diagnosis.wrong-epochs.fix@exercise1": ("Do steps 1 to 4 exactly once.", "step1~step4를 정확히 한 번 수행하세요."),
    "diagnosis.wrong-epochs.hint@exercise1": ("# step1, step2, step3, step4: once, no loop", "# step1, step2, step3, step4: 반복 없이 한 번"),
    "diagnosis.history-misaligned.hint@exercise1": ("loss = torch.sum((y - X @ What) ** 2)   # the loss before the update", "loss = torch.sum((y - X @ What) ** 2)   # 업데이트 전의 손실"),
    # Exercise 5: loss_surface (w0, w1, x, y), critical_alpha and classify_alpha (X, alpha); no What, no training loop.
    "diagnosis.grad-not-cleared.title@exercise5": ("gradients accumulate: the gradient is never reset", "미분값이 누적됩니다: 미분값을 초기화하지 않았습니다"),
    "diagnosis.grad-not-cleared.why@exercise5": ("backward() adds each new gradient to the stored one; without a reset every update uses their sum.", "backward()는 새 미분값을 저장된 값에 더합니다. 초기화하지 않으면 업데이트마다 그 합을 씁니다."),
    "diagnosis.grad-not-cleared.hint@exercise5": ("# reset the gradient after each update", "# 매 업데이트 뒤에 미분값을 초기화"),
    "diagnosis.gradient-ascent.hint@exercise5": ("# the update subtracts: w - alpha * gradient", "# 업데이트는 뺍니다: w - alpha * 미분값"),
    "diagnosis.wrong-loss.hint@exercise5": ("# LOSS[i, j] = sum((y - w0[i] - w1[j]*x)**2)", "# LOSS[i, j] = sum((y - w0[i] - w1[j]*x)**2)"),
    "diagnosis.wrong-epochs.fix@exercise5": ("Loop exactly as many times as asked.", "요구한 횟수만큼만 반복하세요."),
    "diagnosis.wrong-epochs.hint@exercise5": ("# one loop pass per step asked for", "# 요구한 스텝마다 반복 한 번"),
    "diagnosis.history-misaligned.hint@exercise5": ("# one entry per step, recorded before the update", "# 스텝마다 하나씩, 업데이트 전에 기록"),
    "diagnosis.parameter-rebound.title@exercise5": ("a parameter was rebound to a new tensor instead of updated in place", "파라메터를 제자리에서 업데이트하지 않고 새 텐서로 바꿨습니다"),
    "diagnosis.parameter-rebound.why@exercise5": ("An assignment to an argument inside the function makes a new tensor: the caller's tensor never changes.", "함수 안에서 인자에 대입하면 새 텐서가 만들어집니다. 호출한 쪽의 텐서는 그대로입니다."),
    "diagnosis.parameter-rebound.hint@exercise5": ("# change the tensor's data, not the name: t.data = ...", "# 이름이 아니라 텐서의 data를 바꾸세요: t.data = ..."),
    "diagnosis.requires-cuda.hint@exercise5": ("torch.eye(2, device=X.device, dtype=X.dtype)   # not torch.eye(2).cuda()", "torch.eye(2, device=X.device, dtype=X.dtype)   # torch.eye(2).cuda() 대신"),
    "diagnosis.requires-cuda.hint@loss_surface": ("torch.zeros(len(w0), len(w1), device=x.device, dtype=x.dtype)   # not .cuda()", "torch.zeros(len(w0), len(w1), device=x.device, dtype=x.dtype)   # .cuda() 대신"),
    "diagnosis.device-mismatch.hint@loss_surface": ("w0.reshape(-1, 1, 1).to(x.device)\nx.detach().cpu().numpy()   # .cpu() before .numpy()", "w0.reshape(-1, 1, 1).to(x.device)\nx.detach().cpu().numpy()   # .numpy() 전에 .cpu()"),
    "diagnosis.dtype-changed.hint@loss_surface": ("torch.tensor(values, dtype=x.dtype, device=x.device)", "torch.tensor(values, dtype=x.dtype, device=x.device)"),
    "diagnosis.wrong-shape.fix@loss_surface": ("Check the shapes: x and y are (n, 1), w0 and w1 are 1-D, LOSS is (len(w0), len(w1)).", "크기를 확인하세요: x와 y는 (n, 1), w0와 w1은 1차원, LOSS는 (len(w0), len(w1))입니다."),
}

_FORMATTER = string.Formatter()


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in _FORMATTER.parse(text) if name}


def render(message: Union[Message, str], lang: str = "en", **params: Any) -> str:
    """The text of a catalogue entry in ``lang`` with its parameters filled in.

    An entry may have versions for one function (``key@train_net``) or one
    exercise (``key@exercise4``), so that a message names only what exists
    there; the parameters ``function`` and ``exercise`` select them (see
    ``resolve``).  Korean particles written as ``을(를)`` or ``(으)로`` are
    fitted to the word before them once the parameters are in.
    """
    if isinstance(message, Message):
        key, all_params = message.key, {**message.params, **params}
    else:
        key, all_params = message, params
    en, ko = CATALOGUE[resolve(key, all_params)]
    text = ko if lang == "ko" else en
    try:
        text = text.format_map(_Lenient(all_params))
    except (ValueError, TypeError):
        pass
    return fit_particles(text) if lang == "ko" else text


def resolve(key: str, params: Mapping[str, Any]) -> str:
    """The catalogue key that words ``key`` for the function and exercise in ``params``:
    ``key@<function>`` first, then ``key@<exercise>``, then ``key`` itself."""
    for scope in (params.get("function"), params.get("exercise")):
        if isinstance(scope, str) and f"{key}@{scope}" in CATALOGUE:
            return f"{key}@{scope}"
    return key


def has(key: str) -> bool:
    return key in CATALOGUE


class _Lenient(dict):  # type: ignore[type-arg]
    """Missing parameters render as '?' rather than crashing a report."""

    def __missing__(self, key: str) -> str:
        return "?"


def default_language(environ: Optional[Mapping[str, str]] = None) -> str:
    """'ko' when the locale is Korean, else 'en'."""
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = env.get(name)
        if value:
            return "ko" if value.lower().startswith("ko") else "en"
    return "en"
