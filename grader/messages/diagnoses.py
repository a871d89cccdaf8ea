"""The catalogue's explanations of each diagnosis code (title, why, fix, hint; English and Korean side by side).

Keys ``diagnosis.<code>.<part>``, with ``@<function>`` or ``@<exercise>`` versions that
``grader.messages.resolve`` looks up first.
"""
from __future__ import annotations

DIAGNOSES: dict[str, tuple[str, str]] = {
    # ------------------------------------------------------------------
    # diagnoses: <code>.title / .why / .fix (and .hint where a code line helps)
    "diagnosis.grad-not-cleared.title": (
        "gradients accumulate: the gradient is never reset",
        "미분값이 누적됩니다: 미분값을 초기화하지 않았습니다",
    ),
    "diagnosis.grad-not-cleared.why": (
        "`backward()` adds each new gradient to the one already stored. Without a reset, epoch {epoch} updates with the sum of all gradients so far, so the steps grow and the path overshoots.",
        "`backward()`는 새 미분값을 이미 저장된 값에 더합니다. 초기화하지 않으면 {epoch}번째 에폭에서 지금까지의 미분값을 모두 더한 값으로 업데이트하므로 업데이트 폭이 점점 커집니다.",
    ),
    "diagnosis.grad-not-cleared.why-step": (
        "After `{function}` returns, `{parameter}` still holds this step's gradient. `backward()` adds to it, so the next call's update would use the sum of two gradients.",
        "`{function}`이(가) 끝난 뒤에도 `{parameter}`에 이번 스텝의 미분값이 남아 있습니다. `backward()`는 미분값을 더하므로 다음 호출의 업데이트는 두 미분값의 합을 쓰게 됩니다.",
    ),
    "diagnosis.grad-not-cleared.fix": (
        "Clear the gradient after each update.",
        "매 업데이트 뒤에 미분값을 초기화하세요.",
    ),
    "diagnosis.gradient-ascent.title": (
        "the update goes uphill: the gradient is added instead of subtracted",
        "업데이트 방향이 반대입니다: 미분값을 빼야 하는데 더했습니다",
    ),
    "diagnosis.gradient-ascent.why": (
        "Gradient descent moves against the gradient, because the gradient points to where the loss grows. Adding it makes the loss grow every epoch.",
        "미분값(기울기)은 손실이 커지는 방향을 가리키므로 경사하강법은 그 반대 방향으로 갑니다. 더하면 에폭마다 손실이 커집니다.",
    ),
    "diagnosis.gradient-ascent.fix": (
        "Subtract the learning rate times the gradient.",
        "학습률 × 미분값을 빼세요.",
    ),
    "diagnosis.wrong-epochs.title": (
        "a different number of updates was made",
        "업데이트(에폭) 횟수가 다릅니다",
    ),
    "diagnosis.wrong-epochs.why": (
        "`{name}`={epochs} asks for exactly {epochs} updates, but your code made {found}.",
        "`{name}`={epochs}이면 업데이트를 정확히 {epochs}번 해야 하는데, 코드는 {found}번 했습니다.",
    ),
    "diagnosis.wrong-epochs.fix": (
        "Loop exactly as many times as the argument says.",
        "인자가 말하는 횟수만큼 정확히 반복하세요.",
    ),
    "diagnosis.wrong-learning-rate.title": (
        "the step size does not match the learning rate `{name}`",
        "업데이트 폭이 학습률 `{name}`과(와) 맞지 않습니다",
    ),
    "diagnosis.wrong-learning-rate.why": (
        "With {name}={expected:.6g} each update should be {name} × gradient, but your updates correspond to a learning rate of {found:.6g}. A number written in the code instead of the argument, or a factor on it, does this.",
        "{name}={expected:.6g}이면 업데이트 폭은 {name} × 미분값이어야 하는데, 업데이트가 학습률 {found:.6g}에 해당합니다. 인자 대신 숫자를 직접 쓰거나 인자에 어떤 배수를 곱하면 이렇게 됩니다.",
    ),
    "diagnosis.wrong-learning-rate.fix": (
        "Use the `{name}` argument, as it is, in the update.",
        "업데이트에서 인자 `{name}`을(를) 그대로 사용하세요.",
    ),
    "diagnosis.wrong-loss.title": (
        "the loss is not the one asked for",
        "손실함수가 요구한 것과 다릅니다",
    ),
    "diagnosis.wrong-loss.why": (
        "The loss decides the gradient, so a different loss moves the parameters along a different path.",
        "손실이 미분값을 결정하므로 손실이 다르면 파라메터가 다른 경로로 업데이트됩니다.",
    ),
    "diagnosis.wrong-loss.fix": (
        "Compute the loss exactly as the docstring asks.",
        "docstring이 요구하는 손실을 그대로 계산하세요.",
    ),
    "diagnosis.wrong-loss.hint": (
        "{hint_code}",
        "{hint_code}",
    ),
    "diagnosis.history-misaligned.title": (
        "a history is out of step with the epochs",
        "기록(history)이 에폭과 어긋나 있습니다",
    ),
    "diagnosis.history-misaligned.why": (
        "{detail}",
        "{detail}",
    ),
    "diagnosis.history-misaligned.fix": (
        "Record each value once per epoch, where the docstring says: a loss before its update, a parameter after it.",
        "에폭마다 한 번, docstring이 말하는 곳에서 기록하세요: 손실은 업데이트 전에, 파라메터는 업데이트 뒤에.",
    ),
    "diagnosis.parameter-rebound.title": (
        "`{parameter}` was replaced by a new object instead of updated in place",
        "`{parameter}`을(를) 제자리에서 업데이트하지 않고 새 객체로 바꿨습니다",
    ),
    "diagnosis.parameter-rebound.why": (
        "After the call the caller's `{parameter}` still holds its first values: the function trained something else (a new tensor or module bound to the name, or a copy), so the object it was given never changed.",
        "호출이 끝나도 호출한 쪽의 `{parameter}`은(는) 처음 값 그대로입니다: 함수가 다른 것(이름에 새로 대입한 텐서나 모듈, 또는 복사본)을 학습해서, 넘겨받은 객체는 바뀌지 않았습니다.",
    ),
    "diagnosis.parameter-rebound.fix": (
        "Update the object you were given, in place.",
        "넘겨받은 객체를 제자리에서 업데이트하세요.",
    ),
    "diagnosis.weight-not-transposed.title": (
        "a weight is not transposed",
        "weight를 전치(.T)하지 않았습니다",
    ),
    "diagnosis.weight-not-transposed.why": (
        "`{name}` has shape {found}; the module stores it as {expected}, the transpose.",
        "`{name}`의 크기가 {found}입니다. 이 모듈은 그 전치인 {expected} 크기로 저장합니다.",
    ),
    "diagnosis.weight-not-transposed.fix": (
        "Did you forget `.T`?",
        "`.T`를 빠뜨리지 않았나요?",
    ),
    "diagnosis.bias-enabled.title": (
        "the module has a bias it should not have",
        "모듈에 없어야 할 bias가 있습니다",
    ),
    "diagnosis.bias-enabled.why": (
        "Yours has a parameter `{name}` that the contract's module does not: a layer adds a bias unless it is built with `bias=False`.",
        "요구한 모듈에는 없는 `{name}` 파라메터가 있습니다: 층은 `bias=False`로 만들지 않으면 bias를 추가합니다.",
    ),
    "diagnosis.bias-enabled.fix": (
        "Create the layer with bias=False.",
        "bias=False로 만드세요.",
    ),
    "diagnosis.not-using-torch-api.title": (
        "the required PyTorch API is not used: {missing}",
        "요구한 파이토치 API를 쓰지 않았습니다: {missing}",
    ),
    "diagnosis.not-using-torch-api.why": (
        "This exercise asks for {missing}, used on what the function trains; the run did not show it being used that way. {detail}",
        "이 연습은 학습하는 대상에 {missing}을(를) 쓰도록 요구합니다. 실행해 보니 그렇게 쓰이지 않았습니다. {detail}",
    ),
    "diagnosis.not-using-torch-api.fix": (
        "Use the classes the docstring names, on the argument you were given.",
        "docstring이 말하는 클래스를 넘겨받은 인자에 사용하세요.",
    ),
    "diagnosis.step-before-backward.title": (
        "the update runs before `backward()`",
        "업데이트가 `backward()`보다 먼저 실행됩니다",
    ),
    "diagnosis.step-before-backward.why": (
        "The update uses the gradient that is there now. Before `backward()` it is the previous epoch's gradient (or none at all), so every update lags one epoch behind.",
        "업데이트는 지금 들어 있는 미분값을 씁니다. `backward()` 전이면 이전 에폭의 미분값(또는 없음)이므로 업데이트가 한 에폭씩 늦어집니다.",
    ),
    "diagnosis.step-before-backward.fix": (
        "Keep the order: prediction, loss, backward, update, reset.",
        "순서를 지키세요: 예측, 손실, backward, 업데이트, 초기화.",
    ),
    "diagnosis.zero-grad-before-step.title": (
        "the gradient is cleared before the update",
        "업데이트 전에 미분값을 지웠습니다",
    ),
    "diagnosis.zero-grad-before-step.why": (
        "Clearing the gradient between `backward()` and the update throws it away, so the update has nothing to apply and the parameters never move.",
        "`backward()`와 업데이트 사이에 미분값을 지우면 미분값이 사라져서 업데이트할 것이 없고 파라메터가 바뀌지 않습니다.",
    ),
    "diagnosis.zero-grad-before-step.fix": (
        "Clear the gradient after the update.",
        "미분값은 업데이트 뒤에 지우세요.",
    ),
    "diagnosis.input-mutated.title": (
        "the inputs `{names}` were changed",
        "입력 `{names}`이(가) 바뀌었습니다",
    ),
    "diagnosis.input-mutated.why": (
        "Your function modified {names} in place, so the caller's data is no longer what it was. Only what the function trains should change.",
        "함수가 {names}을(를) 제자리에서 바꿨습니다. 호출한 쪽의 데이터가 달라집니다. 바뀌어야 하는 것은 함수가 학습하는 대상뿐입니다.",
    ),
    "diagnosis.input-mutated.fix": (
        "Compute new tensors instead of writing into the inputs (avoid `x[...] = `, `+=`, `.add_()` on them).",
        "입력에 직접 쓰지 말고 새 텐서를 만드세요 (입력에 `x[...] = `, `+=`, `.add_()` 금지).",
    ),
    "diagnosis.wrong-shape.title": ("`{function}` returned the wrong shape: {found}, expected {expected}", "`{function}`의 반환값 크기가 맞지 않습니다: {found}, {expected}이어야 합니다"),
    "diagnosis.wrong-shape.why": ("{detail}", "{detail_ko}"),
    "diagnosis.wrong-shape.fix": (
        "Check the shapes the docstring gives, and the shape of each step.",
        "docstring이 말하는 크기와 각 단계의 크기를 확인하세요.",
    ),
    "diagnosis.wrong-type.title": ("`{function}` returned {found}, expected {expected}", "`{function}`이(가) {found}을(를) 반환했습니다. {expected}이어야 합니다"),
    "diagnosis.wrong-type.why": ("{detail}", "{detail_ko}"),
    "diagnosis.wrong-type.fix": ("Return the value the docstring asks for.", "docstring이 요구하는 값을 반환하세요."),
    "diagnosis.wrong-value.title": ("`{function}` gives a different value", "`{function}`의 값이 다릅니다"),
    "diagnosis.wrong-value.why": (
        "{what}: yours is {found}, the reference is {expected}. No common mistake explains the difference. {advice}",
        "{what}: 내 값은 {found}, 정답은 {expected}입니다. 흔한 실수로는 설명되지 않습니다. {advice}",
    ),
    "diagnosis.wrong-value.fix": (
        "Run the minimal example below and compare each step with the docstring.",
        "아래의 최소 예제를 실행해 각 단계를 docstring과 비교해 보세요.",
    ),
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
    "diagnosis.wrong-classification.title": (
        "`{function}` gives another answer: {found}, expected {expected}",
        "`{function}`의 답이 다릅니다: {found}, {expected}이어야 합니다",
    ),
    "diagnosis.wrong-classification.why": (
        "Your answer for this case differs from the reference's.",
        "이 경우에 대한 답이 정답과 다릅니다.",
    ),
    "diagnosis.wrong-classification.fix": (
        "Check the boundaries between the answers, and which side each boundary belongs to.",
        "답을 가르는 경계와, 경계값이 어느 쪽에 속하는지 확인하세요.",
    ),
    "diagnosis.python-loop.title": (
        "`{function}` loops in Python",
        "`{function}`이(가) 파이썬 for 문을 사용합니다",
    ),
    "diagnosis.python-loop.why": (
        "It ran {lines} lines of Python for one call (a loop at line {line}): broadcasting computes the whole result in one expression, without a Python loop.",
        "한 번 호출에 파이썬 코드를 {lines}줄 실행했습니다 ({line}번째 줄의 반복문): 브로드캐스팅으로 파이썬 반복문 없이 한 번에 계산할 수 있습니다.",
    ),
    "diagnosis.python-loop.fix": (
        "Give the inputs shapes that broadcast against each other, and reduce over the last axis.",
        "입력들이 서로 브로드캐스팅되도록 크기를 바꾸고 마지막 축으로 합하세요.",
    ),
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
        "torch.ones(x.shape[0], 1, device=x.device, dtype=x.dtype)   # follows an input x\nx.detach().cpu().numpy()   # .cpu() before .numpy()",
        "torch.ones(x.shape[0], 1, device=x.device, dtype=x.dtype)   # 입력 x를 따름\nx.detach().cpu().numpy()   # .numpy() 전에 .cpu()",
    ),
    "diagnosis.requires-cuda.title": ("the code needs a GPU: it uses cuda unconditionally", "GPU가 있어야만 실행됩니다: cuda를 무조건 사용합니다"),
    "diagnosis.requires-cuda.why": (
        "On a machine without a GPU (most laptops, graders and CI runners) this fails: {message} {where}",
        "GPU가 없는 컴퓨터(대부분의 노트북, 채점기, CI)에서는 실패합니다: {message} {where}",
    ),
    "diagnosis.requires-cuda.fix": ("Follow the inputs' device instead of naming cuda.", "cuda를 직접 쓰지 말고 입력의 장치를 따르세요."),
    "diagnosis.requires-cuda.hint": (
        "t.to(x.device)   # not t.cuda(): follow an input x",
        "t.to(x.device)   # t.cuda() 대신: 입력 x를 따르기",
    ),
    "diagnosis.dtype-changed.title": (
        "the dtype changed: {expected} inputs gave {found}",
        "dtype이 바뀌었습니다: {expected} 입력에서 {found}이(가) 나왔습니다",
    ),
    "diagnosis.dtype-changed.why": (
        "{where} is {found} although every input was {expected}.",
        "입력이 모두 {expected}인데 {where}이(가) {found}입니다.",
    ),
    "diagnosis.dtype-changed.why-precision": (
        "{where} agrees with the float64 reference only to float32's precision (relative difference {error}): part of the computation ran in float32, although every input was float64.",
        "{where}이(가) float64 기준값과 float32 정밀도로만 일치합니다 (상대 차이 {error}): 입력이 모두 float64인데 계산의 일부가 float32로 수행되었습니다.",
    ),
    "diagnosis.dtype-changed.fix": (
        "Keep the inputs' dtype: no `.float()` or `.double()` on them, and new tensors made with `dtype=x.dtype`.",
        "입력의 dtype을 유지하세요: 입력에 `.float()`나 `.double()`을 쓰지 말고, 새 텐서는 `dtype=x.dtype`으로 만드세요.",
    ),
    "diagnosis.dtype-changed.hint": (
        "torch.tensor(values, dtype=x.dtype, device=x.device)   # x: an input",
        "torch.tensor(values, dtype=x.dtype, device=x.device)   # x: 입력",
    ),
    "diagnosis.invalid-notebook.title": ("the notebook cannot be read", "노트북 파일을 읽을 수 없습니다"),
    "diagnosis.invalid-notebook.why": ("{detail}", "{detail}"),
    "diagnosis.invalid-notebook.fix": ("Open it in Jupyter, save it again (File → Save), and resubmit the .ipynb file.", "Jupyter에서 열어 다시 저장(File → Save)한 뒤 .ipynb 파일을 다시 제출하세요."),
    # too-large: over a cap on what the grader reads (grader.intake.reading.Caps); nothing was run
    "diagnosis.too-large.title": ("the submission is too large to grade", "제출물이 너무 커서 채점할 수 없습니다"),
    "diagnosis.too-large.why": (
        "Its Python code is {found}; the grader reads at most {limit} (a solution to an exercise takes a few KiB). Nothing was run.",
        "Python 코드가 {found}입니다. 채점기는 {limit}까지만 읽습니다 (과제의 풀이는 몇 KiB면 충분합니다). 아무것도 실행하지 않았습니다.",
    ),
    "diagnosis.too-large.why-notebook": (
        "The notebook file is {found}; the grader reads at most {limit}. Most of it is outputs (figures, animations, printed values), which the grader does not need. Nothing was run.",
        "노트북 파일이 {found}입니다. 채점기는 {limit}까지만 읽습니다. 대부분은 채점에 필요 없는 출력(그림, 애니메이션, 출력된 값)입니다. 아무것도 실행하지 않았습니다.",
    ),
    "diagnosis.too-large.why-items": (
        "The notebook's JSON holds more than {limit} items; the grader reads at most that many. Most of them are outputs (printed lines, the data of plots), which the grader does not need. Nothing was run.",
        "노트북의 JSON에 항목이 {limit}개보다 많습니다. 채점기는 {limit}개까지만 읽습니다. 대부분은 채점에 필요 없는 출력(출력된 줄, 그래프의 데이터)입니다. 아무것도 실행하지 않았습니다.",
    ),
    "diagnosis.too-large.why-cells": (
        "The notebook has {found} cells; the grader reads at most {limit}. Nothing was run.",
        "노트북에 셀이 {found}개 있습니다. 채점기는 {limit}개까지만 읽습니다. 아무것도 실행하지 않았습니다.",
    ),
    "diagnosis.too-large.why-nesting": (
        "An expression nests brackets or operators too deeply (hundreds of levels) for Python's parser, so the grader cannot read the code. Nothing was run. Split the expression with intermediate variables.",
        "어떤 식이 괄호나 연산자를 너무 깊이(수백 단계) 중첩해서 Python의 파서가 읽을 수 없으므로 채점기가 코드를 읽을 수 없습니다. 아무것도 실행하지 않았습니다. 식을 중간 변수로 나누어 쓰세요.",
    ),
    "diagnosis.too-large.why-magics": (
        "A notebook cell holds so much code and so many IPython commands (lines starting with % or !) that the grader cannot read it in time. Nothing was run. Put the commands in cells of their own.",
        "노트북 셀 하나에 코드와 IPython 명령(% 또는 !로 시작하는 줄)이 너무 많아서 채점기가 제시간에 읽을 수 없습니다. 아무것도 실행하지 않았습니다. 명령은 별도의 셀에 두세요.",
    ),
    "diagnosis.too-large.fix": (
        "Submit only your functions and the code they need. In a notebook, clear the outputs before saving (Edit → Clear All Outputs): the grader runs the cells itself. If the file really must be this large, ask your instructor.",
        "함수와 함수에 필요한 코드만 제출하세요. 노트북은 저장하기 전에 출력을 지우세요 (Edit → Clear All Outputs): 채점기가 셀을 직접 실행합니다. 파일이 정말 이만큼 커야 한다면 담당 교수자에게 문의하세요.",
    ),
    # ------------------------------------------------------------------
    # diagnoses added for issue 10 (non-attempts, named mistakes, tampering)
    "diagnosis.not-attempted.title": ("`{function}` does not do its job yet: no points for it", "`{function}`이(가) 아직 할 일을 하지 않습니다: 이 함수는 0점입니다"),
    "diagnosis.not-attempted.why": ("{detail} Its other checks (in place, inputs unchanged, GPU, ...) only count when the function really does its job.", "{detail} 다른 검사(제자리 업데이트, 입력 보존, GPU 등)는 함수가 실제로 할 일을 할 때만 점수가 됩니다."),
    "diagnosis.not-attempted.fix": ("Write the function's code, following the lecture's steps and the docstring.", "강의의 단계와 docstring을 따라 함수의 코드를 작성하세요."),
    "diagnosis.broadcast-shape.title": ("two shapes broadcast into a matrix", "두 크기가 브로드캐스팅되어 행렬이 됩니다"),
    "diagnosis.broadcast-shape.why": ("Two tensors of shapes ({n},) and ({n}, 1) were combined entry by entry: broadcasting pairs every entry of one with every entry of the other, a ({n}, {n}) matrix, so the result is wrong without any error.", "크기 ({n},)와 ({n}, 1)인 두 텐서를 원소별로 계산했습니다: 브로드캐스팅이 한쪽의 모든 원소를 다른 쪽의 모든 원소와 짝지어 ({n}, {n}) 행렬을 만들므로, 오류 없이 결과가 틀립니다."),
    "diagnosis.broadcast-shape.fix": ("Give both tensors the same shape before combining them.", "계산하기 전에 두 텐서를 같은 크기로 맞추세요."),
    "diagnosis.forward-outside-loop.title": ("the prediction and the loss are computed once, before the loop", "예측과 손실을 루프 전에 한 번만 계산했습니다"),
    "diagnosis.forward-outside-loop.why": ("The prediction and the loss are computed before the loop, so every epoch reuses the first epoch's loss: its graph is freed after the first backward pass, and keeping the graph alive would only repeat the first gradient. Keeping the graph is not the fix.", "예측과 손실을 루프 전에 계산해서 모든 에폭이 첫 에폭의 손실을 다시 씁니다: 그 그래프는 첫 역전파 뒤에 해제되고, 그래프를 남겨 두어도 첫 기울기만 되풀이됩니다. 그래프를 남기는 것은 해결책이 아닙니다."),
    "diagnosis.forward-outside-loop.fix": ("Compute the prediction and the loss again in every epoch, inside the loop.", "예측과 손실을 루프 안에서 에폭마다 새로 계산하세요."),
    "diagnosis.history-aliased.title": ("every history entry is the final value", "기록의 모든 항목이 마지막 값입니다"),
    "diagnosis.history-aliased.why": ("Every entry of the history equals the final value: each epoch appended the same tensor (or a view of it), which the in-place update then kept changing.", "기록의 모든 항목이 마지막 값과 같습니다: 에폭마다 같은 텐서(또는 그 뷰)를 추가했고, 제자리 업데이트가 그 텐서를 계속 바꾸었습니다."),
    "diagnosis.history-aliased.fix": ("Append a copy of the values, not the tensor itself.", "텐서 자체가 아니라 값의 복사본을 추가하세요."),
    "diagnosis.uses-global.title": ("`{function}` reads the global `{name}` instead of its argument", "`{function}`이(가) 인자 대신 전역 변수 `{name}`을(를) 읽습니다"),
    "diagnosis.uses-global.why": (
        "Line {line} uses `{name}`, which your function does not receive: it is the `{name}` defined outside it (at the top of the file or in an earlier cell). It works on that data only; called with other data, the result is wrong.",
        "{line}번째 줄이 함수가 받지 않은 `{name}`을(를) 씁니다: 함수 밖(파일 위쪽이나 앞의 셀)에서 정의한 `{name}`입니다. 그 데이터에서만 맞고, 다른 데이터로 호출하면 결과가 틀립니다.",
    ),
    "diagnosis.uses-global.fix": ("Use only the function's parameters ({parameters}) inside it.", "함수 안에서는 함수의 인자({parameters})만 사용하세요."),
    "diagnosis.inplace-on-leaf.title": ("an in-place update of a parameter while autograd records it", "autograd가 기록하는 중에 파라미터를 제자리에서 업데이트했습니다"),
    "diagnosis.inplace-on-leaf.why": ('The parameter requires grad, so PyTorch refuses to update it in place ("a leaf Variable that requires grad is being used in an in-place operation"): the update itself would be recorded as part of the graph.', '파라미터가 기울기를 요구하므로 PyTorch는 제자리 업데이트를 거부합니다("a leaf Variable that requires grad is being used in an in-place operation"): 업데이트 자체가 그래프의 일부로 기록되기 때문입니다.'),
    "diagnosis.inplace-on-leaf.fix": ("Update the data as the lecture does, or do the update under torch.no_grad().", "강의처럼 data를 업데이트하거나 torch.no_grad() 안에서 업데이트하세요."),
    "diagnosis.parameter-rebound.at": (
        "Here it is line {line}: `{code}`. (Written inside `torch.no_grad()`, the new tensor does not even require grad, and the next `backward()` raises \"element 0 of tensors does not require grad\" on a line that is not the mistake.)",
        "여기서는 {line}번째 줄 `{code}`입니다. (`torch.no_grad()` 안에서 쓰면 새 텐서는 미분도 필요 없는 텐서가 되어, 다음 `backward()`가 실수가 아닌 줄에서 \"element 0 of tensors does not require grad\" 오류를 냅니다.)",
    ),
    # issue-10 codes worded for the exercises whose names differ (key@exerciseN, see resolve)
    "diagnosis.tampering.title": ("the submission tampers with the grader's instruments: 0 points", "제출물이 채점기의 측정 도구를 건드립니다: 0점"),
    "diagnosis.tampering.why": (
        "{detail} The grader observes your functions while they run; code that turns off or edits that observation is not graded.",
        "{detail} 채점기는 함수가 실행되는 동안 관찰합니다. 그 관찰을 끄거나 바꾸는 코드는 채점하지 않습니다.",
    ),
    "diagnosis.tampering.fix": ("Remove that code; write the exercise with the lecture's tools only.", "그 코드를 지우고 강의의 도구만으로 연습을 작성하세요."),
    "diagnosis.disagree.note": ("The lecture's data points to `{first}`, this case to `{second}`: the two cases tell the mistakes apart differently.", "강의 데이터에서는 `{first}`, 이 사례에서는 `{second}`로 보입니다: 두 사례가 실수를 다르게 구별합니다."),
    # (An exercise words these for itself in its pack: [messages] in pack.toml.)

    # ------------------------------------------------------------------
    # diagnoses found by mechanism (issue 16): relations, variants of the reference, the source
    "diagnosis.constant-factor.title": ("`{function}` is off by an exact factor: {factor}", "`{function}`의 값이 정확히 {factor}배 어긋납니다"),
    "diagnosis.constant-factor.why": ("Every value is exactly {factor} times the reference's: the computation is right up to one factor.", "모든 값이 정확히 정답의 {factor}배입니다: 한 가지 배수를 빼면 계산은 맞습니다."),
    "diagnosis.constant-factor.fix": ("Find the place that scales the result: a sum where a mean is asked for (or the reverse), a 2 or 1/2, n where 1/n belongs.", "결과에 배수를 곱하는 곳을 찾으세요: 평균 대신 합(또는 그 반대), 2나 1/2, 1/n 대신 n."),
    "diagnosis.wrong-operator.title": ("`{function}` multiplies where it should divide, or the reverse", "`{function}`에서 나눠야 할 곳에 곱했거나 그 반대입니다"),
    "diagnosis.wrong-operator.why": ("Your values match the reference's with one `*` and `/` exchanged.", "`*`와 `/` 하나를 바꾼 정답과 값이 일치합니다."),
    "diagnosis.wrong-operator.fix": ("Check each `*` and `/` in the line shown.", "보여 준 줄의 `*`와 `/`를 하나씩 확인하세요."),
    "diagnosis.sign-flipped.title": ("a sign is flipped in `{function}`", "`{function}`에서 부호가 반대입니다"),
    "diagnosis.sign-flipped.why": ("Your values match the reference's with one `+` and `-` exchanged.", "`+`와 `-` 하나를 바꾼 정답과 값이 일치합니다."),
    "diagnosis.sign-flipped.fix": ("Check the sign of each term in the line shown.", "보여 준 줄의 각 항의 부호를 확인하세요."),
    "diagnosis.steps-swapped.title": ("two steps of `{function}` run in the wrong order", "`{function}`의 두 단계 순서가 바뀌었습니다"),
    "diagnosis.steps-swapped.why": ("Your values match the reference's with two neighbouring statements exchanged.", "이웃한 두 문장의 순서를 바꾼 정답과 값이 일치합니다."),
    "diagnosis.steps-swapped.fix": ("Put the steps back in the order the docstring gives.", "docstring이 말하는 순서로 단계를 되돌리세요."),
    "diagnosis.transposed.title": ("a tensor in `{function}` is transposed where it should not be, or the reverse", "`{function}`에서 전치(.T)가 필요 없는 곳에 했거나 필요한 곳에 하지 않았습니다"),
    "diagnosis.transposed.why": ("Your values match the reference's with one `.T` added or left out.", "`.T` 하나를 더하거나 뺀 정답과 값이 일치합니다."),
    "diagnosis.transposed.fix": ("Check the shapes on both sides of the line shown, and where `.T` belongs.", "보여 준 줄 양쪽의 크기와 `.T`가 있어야 할 곳을 확인하세요."),
    "diagnosis.wrong-boundary.title": ("`{function}` puts a boundary value on the wrong side", "`{function}`이(가) 경계값을 다른 쪽으로 분류합니다"),
    "diagnosis.wrong-boundary.why": ("Your answers match the reference's with one comparison's boundary moved: `<` for `<=`, or `>` for `>=`. The two disagree exactly at the boundary.", "비교 하나의 경계를 옮긴 정답과 답이 일치합니다: `<=` 대신 `<`, 또는 `>=` 대신 `>`. 두 비교는 경계값에서만 다릅니다."),
    "diagnosis.wrong-boundary.fix": ("Check which side of each comparison includes the boundary itself.", "각 비교에서 경계값 자체가 어느 쪽에 속하는지 확인하세요."),
    "diagnosis.hardcoded-value.title": ("`{function}` ignores its argument `{name}`", "`{function}`이(가) 인자 `{name}`을(를) 쓰지 않습니다"),
    "diagnosis.hardcoded-value.why": ("Your values match the reference's with `{name}` fixed to the lecture's value: a number written in the code instead of the argument.", "`{name}`을(를) 강의의 값으로 고정한 정답과 값이 일치합니다: 인자 대신 숫자를 코드에 직접 썼습니다."),
    "diagnosis.hardcoded-value.fix": ("Use the argument `{name}` instead of a number.", "숫자 대신 인자 `{name}`을(를) 쓰세요."),
    "diagnosis.parameters-swapped.title": ("`{first}` and `{second}` are swapped", "`{first}`과(와) `{second}`이(가) 서로 바뀌었습니다"),
    "diagnosis.parameters-swapped.why": ("Your `{first}` holds the value `{second}` should have, and the other way round.", "`{first}`에 `{second}`의 값이, `{second}`에 `{first}`의 값이 들어 있습니다."),
    "diagnosis.parameters-swapped.fix": ("Give each argument to its own parameter, in the order the docstring gives.", "docstring이 말하는 순서대로 각 인자를 제 파라메터에 넣으세요."),
    "diagnosis.missing-parameter.title": ("the module has no `{name}`", "모듈에 `{name}`이(가) 없습니다"),
    "diagnosis.missing-parameter.why": ("The module the contract asks for has a parameter `{name}`; yours does not.", "요구한 모듈에는 `{name}` 파라메터가 있는데, 만든 모듈에는 없습니다."),
    "diagnosis.missing-parameter.fix": ("Build the module exactly as the docstring says (layers, bias).", "docstring이 말하는 대로 모듈을 만드세요 (층, bias)."),
    "diagnosis.mutable-default.title": ("`{function}` keeps results between calls: a list as a default argument", "`{function}`이(가) 호출 사이에 결과를 이어 씁니다: 기본 인자로 쓴 리스트"),
    "diagnosis.mutable-default.why": (
        "Line {line} (`{code}`) makes one list when the function is defined, not one per call: every call appends to the same list, so the first call is right and every later one carries the earlier results.",
        "{line}번째 줄(`{code}`)은 함수를 정의할 때 리스트를 한 번만 만듭니다. 호출할 때마다 같은 리스트에 추가하므로 첫 호출은 맞고, 그다음 호출부터는 앞선 결과가 남아 있습니다.",
    ),
    "diagnosis.mutable-default.fix": ("Make a new list inside the function (use None as the default if the argument must stay).", "함수 안에서 새 리스트를 만드세요 (인자를 남겨야 한다면 기본값은 None으로)."),
    "diagnosis.mutable-default.hint": ("if {name} is None:   # with {name}=None as the default\n    {name} = []", "if {name} is None:   # 기본값은 {name}=None\n    {name} = []"),
    "diagnosis.forward-in-no-grad.title": ("the forward pass runs inside `torch.no_grad()`", "순전파(예측과 손실)를 `torch.no_grad()` 안에서 계산했습니다"),
    "diagnosis.forward-in-no-grad.why": (
        "Under `torch.no_grad()` nothing is recorded, so the loss has no graph and `backward()` fails (\"element 0 of tensors does not require grad\"). Only the update belongs inside `no_grad`.",
        "`torch.no_grad()` 안에서는 아무것도 기록되지 않으므로 손실에 그래프가 없고 `backward()`가 실패합니다 (\"element 0 of tensors does not require grad\"). `no_grad` 안에는 업데이트만 넣어야 합니다.",
    ),
    "diagnosis.forward-in-no-grad.fix": ("Compute the prediction and the loss outside `torch.no_grad()`; keep only the update inside it.", "예측과 손실은 `torch.no_grad()` 밖에서 계산하고, 그 안에는 업데이트만 두세요."),
    # explanations a check adds to a diagnosis, pointing at a line of the student's code
    "diagnosis.dtype-changed.at": ("Line {line} (`{code}`) sets a dtype of its own.", "{line}번째 줄(`{code}`)이 dtype을 직접 정합니다."),
    "diagnosis.wrong-type.converted": ("Line {line} (`{code}`) turns a tensor into Python numbers (`.item()`, `.tolist()`, `.numpy()`): return the tensor itself.", "{line}번째 줄(`{code}`)이 텐서를 파이썬 숫자로 바꿉니다 (`.item()`, `.tolist()`, `.numpy()`): 텐서를 그대로 반환하세요."),
    "diagnosis.forward-in-no-grad.at": ("Line {line} (`{code}`) computes with the parameter inside `torch.no_grad()`.", "{line}번째 줄(`{code}`)이 `torch.no_grad()` 안에서 파라메터로 계산합니다."),
    "diagnosis.not-using-torch-api.other": ("Line {line} (`{code}`) builds {other}; the exercise asks for {wanted}.", "{line}번째 줄(`{code}`)이 {other}을(를) 만드는데, 이 연습은 {wanted}을(를) 요구합니다."),
    "diagnosis.uses-global.later": ("A later cell binds `{name}` again (line {later}: `{code}`), and your function reads the value it has now.", "뒤의 셀이 `{name}`에 다시 대입하고 (줄 {later}: `{code}`), 함수는 지금의 그 값을 읽습니다."),
    "diagnosis.wrong-learning-rate.varies": ("The learning rate changes during training: from epoch {epoch} on your updates use another one ({rates}). The argument `{name}` is the rate for every epoch.", "학습 도중 학습률이 바뀝니다: {epoch}번째 에폭부터 다른 학습률({rates})로 업데이트합니다. 인자 `{name}`은(는) 모든 에폭의 학습률입니다."),
    "diagnosis.wrong-structure.title": ("`{function}` builds a module of other layers: {found}", "`{function}`이(가) 다른 층으로 된 모듈을 만듭니다: {found}"),
    "diagnosis.wrong-structure.why": ("The contract asks for {expected}; yours is {found}. A layer without parameters (an activation such as Sigmoid) changes every output even though no weight shows it.", "요구한 것은 {expected}인데, 만든 모듈은 {found}입니다. 파라메터가 없는 층(Sigmoid 같은 활성화 함수)도 모든 출력을 바꿉니다."),
    "diagnosis.wrong-structure.fix": ("Build the module with exactly the layers the docstring lists, in that order.", "docstring이 말하는 층을 그 순서대로 넣어 모듈을 만드세요."),
    "diagnosis.wrong-value.optimizer-options": ("Line {line} (`{code}`) gives the optimizer options the exercise's does not have ({options}): they change every step.", "{line}번째 줄(`{code}`)이 옵티마이저에 이 연습에는 없는 옵션({options})을 줍니다: 모든 업데이트가 달라집니다."),
}
