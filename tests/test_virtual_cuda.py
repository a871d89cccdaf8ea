"""The emulated cuda device (grader.worker.virtual_cuda) and the device corpus (tests/device).

Everything here runs on a CPU-only machine: that is the point of the emulation.
"""
from __future__ import annotations

import copy
import importlib.util
import itertools
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Iterator, Optional

import numpy as np
import pytest
import torch

from conftest import expectation
from grader.worker import runtime as worker
from conftest import reference_module

ref1, ref2, ref3, ref4 = (reference_module(f"exercise{i}") for i in (1, 2, 3, 4))
from grader.worker.virtual_cuda import (
    CUDA,
    DEVICE_MISMATCH,
    DIAGNOSIS,
    NUMPY_ON_CUDA,
    REQUIRES_CUDA,
    VirtualCuda,
    classify_error,
    classify_message,
    device_of,
    place,
    tag_gradients,
)

MISMATCH = "Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu!"
NUMPY = "can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() to copy the tensor to host memory first."
F64 = torch.float64
PARAMETER_NEW = vars(torch.nn.Parameter)["__new__"].__func__

# float(loss) in a corpus file: PyTorch's own warning, the same with or without the emulation.
pytestmark = pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad=True to a scalar")


def cuda(t: torch.Tensor) -> torch.Tensor:
    return place(t, "cuda")


def real_device(t: torch.Tensor) -> torch.device:
    with torch._C.DisableTorchFunction():
        return t.device


# --------------------------------------------------------------------------
# factories


FACTORIES: list[tuple[str, Callable[..., torch.Tensor]]] = [
    ("tensor", lambda **kw: torch.tensor([[-5.0], [10.0]], **kw)),
    ("as_tensor", lambda **kw: torch.as_tensor([1.0, 2.0], **kw)),
    ("zeros", lambda **kw: torch.zeros(3, 1, **kw)),
    ("ones", lambda **kw: torch.ones(3, 1, **kw)),
    ("empty", lambda **kw: torch.empty(3, **kw)),
    ("full", lambda **kw: torch.full((2, 2), 7.0, **kw)),
    ("randn", lambda **kw: torch.randn(4, **kw)),
    ("rand", lambda **kw: torch.rand(4, **kw)),
    ("arange", lambda **kw: torch.arange(5, **kw)),
    ("linspace", lambda **kw: torch.linspace(0, 1, 5, **kw)),
    ("eye", lambda **kw: torch.eye(2, **kw)),
]


@pytest.mark.parametrize("name,factory", FACTORIES, ids=[name for name, _ in FACTORIES])
def test_factories_take_the_device_they_are_given(name: str, factory: Callable[..., torch.Tensor]) -> None:
    with VirtualCuda():
        torch.manual_seed(0)
        on_cuda = factory(device="cuda")
        torch.manual_seed(0)
        by_object = factory(device=torch.device("cuda", 0))
        torch.manual_seed(0)
        on_cpu = factory()
        assert on_cuda.device == CUDA and on_cuda.is_cuda and on_cuda.get_device() == 0
        assert device_of(by_object) == CUDA
        assert on_cpu.device.type == "cpu" and not on_cpu.is_cuda and device_of(on_cpu) is None
    assert real_device(on_cuda).type == "cpu"
    if name != "empty":
        assert torch.equal(on_cuda, on_cpu)  # same generator, same numbers


@pytest.mark.filterwarnings("ignore:To copy construct from a tensor")
def test_like_new_stack_and_cat_follow_their_inputs() -> None:
    with VirtualCuda():
        x = cuda(torch.ones(2, 1, dtype=F64))
        for made in [
            torch.zeros_like(x),
            torch.ones_like(x),
            torch.randn_like(x),
            torch.full_like(x, 3.0),
            torch.empty_like(x),
            x.new_ones(3),
            x.new_zeros(3),
            x.new_full((2,), 1.0),
            x.new_tensor([1.0, 2.0]),
            torch.stack([x, x]),
            torch.cat([x, x], dim=1),
            x.T,
            x[0],
            x.clone(),
            x.detach(),
            x.reshape(-1),
            copy.deepcopy(x),
        ]:
            assert device_of(made) == CUDA, made
        assert device_of(torch.zeros_like(x, device="cpu")) is None
        assert device_of(torch.tensor([1.0, 2.0])) is None
        assert device_of(torch.tensor(x)) == CUDA  # a tensor passes on its device
        assert device_of(torch.as_tensor(x, device="cpu")) is None
        assert device_of(x) == CUDA
        rows = list(torch.ones(2, 2, device="cuda"))
        assert all(device_of(row) == CUDA for row in rows)


def test_device_kwarg_built_from_an_input_picks_up_the_virtual_device() -> None:
    with VirtualCuda():
        X = cuda(torch.randn(4, 1, dtype=F64))
        ones = torch.ones(X.shape[0], 1, dtype=X.dtype, device=X.device)
        design = torch.cat([ones, X], dim=1)
        assert device_of(design) == CUDA and design.dtype == F64


# --------------------------------------------------------------------------
# moving tensors


TO_FORMS: list[tuple[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]]] = [
    ("string", lambda t, other: t.to("cuda")),
    ("string-index", lambda t, other: t.to("cuda:0")),
    ("device", lambda t, other: t.to(torch.device("cuda"))),
    ("int", lambda t, other: t.to(0)),
    ("tensor", lambda t, other: t.to(other)),
    ("device-dtype", lambda t, other: t.to("cuda", F64)),
    ("kwargs", lambda t, other: t.to(device="cuda", dtype=F64)),
    ("kwarg-device", lambda t, other: t.to(device=other.device)),
    ("cuda", lambda t, other: t.cuda()),
    ("cuda-index", lambda t, other: t.cuda(0)),
    ("type_as", lambda t, other: t.type_as(other)),
]


@pytest.mark.parametrize("form", [f for _, f in TO_FORMS], ids=[name for name, _ in TO_FORMS])
def test_to_forms_move_the_tag(form: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> None:
    with VirtualCuda():
        t = torch.arange(3, dtype=F64)
        other = cuda(torch.zeros(1, dtype=F64))
        moved = form(t, other)
        assert moved is not t  # a move between devices copies, as in PyTorch
        assert device_of(moved) == CUDA and moved.dtype == F64
        assert device_of(t) is None  # the source stays where it was
        assert torch.equal(moved.cpu(), t)


def test_to_same_device_dtype_only_and_back_to_cpu() -> None:
    with VirtualCuda():
        t = cuda(torch.arange(3, dtype=F64))
        assert t.to("cuda") is t and t.cuda() is t and t.to(t) is t
        as_float = t.to(torch.float32)
        assert device_of(as_float) == CUDA and as_float.dtype == torch.float32
        assert device_of(t.double()) == CUDA and device_of(t.float()) == CUDA
        for back in (t.cpu(), t.to("cpu"), t.to(torch.device("cpu")), t.to(device="cpu", dtype=F64)):
            assert back is not t and device_of(back) is None and back.device.type == "cpu"
            assert torch.equal(back, t.cpu())
        plain = torch.ones(2)
        assert plain.cpu() is plain


def test_to_cuda_is_differentiable_like_a_real_copy() -> None:
    with VirtualCuda():
        w = torch.tensor([1.0, 2.0], dtype=F64, requires_grad=True)
        moved = w.to("cuda")
        assert not moved.is_leaf and moved.grad_fn is not None
        (moved * 3).sum().backward()
        assert w.grad is not None and device_of(w.grad) is None
        assert w.grad.tolist() == [3.0, 3.0]


MODULE_FORMS: list[tuple[str, Callable[[torch.nn.Module, torch.Tensor], torch.nn.Module]]] = [
    ("string", lambda net, X: net.to("cuda")),
    ("device", lambda net, X: net.to(torch.device("cuda:0"))),
    ("int", lambda net, X: net.to(0)),
    ("tensor", lambda net, X: net.to(X)),
    ("device-dtype", lambda net, X: net.to("cuda", F64)),
    ("kwargs", lambda net, X: net.to(device=X.device, dtype=X.dtype)),
    ("cuda", lambda net, X: net.cuda().double()),
]


@pytest.mark.parametrize("form", [f for _, f in MODULE_FORMS], ids=[name for name, _ in MODULE_FORMS])
def test_module_to_forms_move_parameters_and_buffers(
    form: Callable[[torch.nn.Module, torch.Tensor], torch.nn.Module],
) -> None:
    with VirtualCuda():
        X = cuda(torch.randn(5, 2, dtype=F64))
        net = torch.nn.Sequential(torch.nn.Linear(2, 3, dtype=F64), torch.nn.BatchNorm1d(3, dtype=F64))
        weight = net[0].weight
        net[0].weight.grad = torch.ones(3, 2, dtype=F64)
        assert form(net, X) is net
        assert net[0].weight is weight  # moved in place, as Module._apply does with .data =
        assert isinstance(net[0].weight, torch.nn.Parameter) and net[0].weight.requires_grad
        tensors = [*net.parameters(), *net.buffers(), net[0].weight.grad]
        assert all(device_of(t) == CUDA for t in tensors)
        assert all(p.dtype == F64 for p in net.parameters())
        assert device_of(net(X)) == CUDA
        net.cpu()
        assert all(device_of(t) is None for t in [*net.parameters(), *net.buffers(), net[0].weight.grad])


def test_parameter_and_data_assignment_keep_the_tag() -> None:
    with VirtualCuda():
        What = cuda(torch.tensor([[-5.0], [10.0]], dtype=F64, requires_grad=True))
        net = torch.nn.Linear(2, 1, bias=False)
        net.weight.data = What.detach().T.clone()  # the reference's make_net
        assert device_of(net.weight) == CUDA and net.weight.dtype == F64
        other = torch.nn.Linear(2, 1, bias=False)
        other.weight = torch.nn.Parameter(What.detach().T.clone())
        assert device_of(other.weight) == CUDA and isinstance(other.weight, torch.nn.Parameter)
        net.weight.data = torch.zeros(1, 2, dtype=F64)  # .data = really moves, in PyTorch too
        assert device_of(net.weight) is None
    assert vars(torch.nn.Parameter)["__new__"].__func__ is PARAMETER_NEW


# --------------------------------------------------------------------------
# mixing devices


def test_mixing_raises_pytorchs_error() -> None:
    with VirtualCuda():
        X = cuda(torch.randn(4, 2, dtype=F64))
        y = cuda(torch.randn(4, 1, dtype=F64))
        W_cpu = torch.randn(2, 1, dtype=F64)
        attempts: list[Callable[[], Any]] = [
            lambda: X @ W_cpu,
            lambda: W_cpu.T @ X.T,
            lambda: torch.cat([torch.ones(4, 1, dtype=F64), X], 1),
            lambda: torch.stack([torch.tensor(1.0), cuda(torch.tensor(2.0))]),
            lambda: torch.nn.Linear(2, 1, bias=False, dtype=F64)(X),
            lambda: torch.nn.MSELoss()(y, torch.zeros(4, 1, dtype=F64)),
            lambda: y - torch.zeros(4, 1, dtype=F64),
            lambda: torch.zeros(4, 1, dtype=F64).add_(y),
            lambda: cuda(torch.tensor(2.0, dtype=F64)) * torch.ones(3, dtype=F64),
            lambda: torch.sum((torch.zeros(4, 1, dtype=F64) - y) ** 2),
        ]
        for attempt in attempts:
            with pytest.raises(RuntimeError) as caught:
                attempt()
            assert str(caught.value) == MISMATCH
            assert classify_error(caught.value) == DEVICE_MISMATCH


def test_zero_dim_cpu_tensors_mix_like_in_pytorch() -> None:
    with VirtualCuda():
        g = cuda(torch.randn(2, 1, dtype=F64))
        lr = torch.tensor(0.1)  # float32, CPU, zero dimensions
        step = lr * g
        assert device_of(step) == CUDA
        assert step.dtype == F64  # a 0-dim tensor does not promote a float64 tensor
        assert device_of(g + torch.tensor(1.0, dtype=F64)) == CUDA
        assert device_of(torch.tensor(3.0) * cuda(torch.tensor(2.0))) == CUDA
        assert device_of(torch.tensor(3.0) * torch.tensor(2.0)) is None


def test_float32_learning_rate_tensors_do_not_change_dtype() -> None:
    # Why the dtype-changed corpus file goes through Python floats instead.
    with VirtualCuda():
        What = cuda(torch.tensor([[-5.0], [10.0]], dtype=F64, requires_grad=True))
        grad = cuda(torch.tensor([[1.0], [2.0]], dtype=F64))
        assert (What.data - torch.tensor(0.1) * grad).dtype == F64
        assert (What.data - torch.tensor(0.1, dtype=torch.float32, device="cuda") * grad).dtype == F64
        assert (What.data - torch.tensor([0.1], device="cuda") * grad).dtype == F64  # promotion goes up
        with pytest.raises(RuntimeError, match="same device"):
            What.data - torch.tensor([0.1]) * grad


def test_legacy_types_deepcopy_and_modules_built_on_cuda() -> None:
    with VirtualCuda():
        x = cuda(torch.ones(2, dtype=F64))
        assert device_of(x.type(torch.FloatTensor)) is None  # type: ignore[call-overload]  # a CPU type name moves to the CPU
        assert device_of(x.type(torch.float32)) == CUDA
        assert device_of(torch.ones(2).type("torch.cuda.DoubleTensor")) == CUDA
        net = torch.nn.Linear(2, 1, device="cuda", dtype=F64)
        assert device_of(net.weight) == CUDA and device_of(net.bias) == CUDA
        twin = copy.deepcopy(net)
        assert all(device_of(p) == CUDA for p in twin.parameters())
        assert f"{x}" == "tensor([1., 1.], device='cuda:0', dtype=torch.float64)"
        assert f"{x.sum():.1f}" == "2.0"


def test_indexing_and_copy_across_devices_are_allowed() -> None:
    with VirtualCuda():
        X = cuda(torch.arange(6.0).reshape(3, 2))
        picked = X[torch.tensor([0, 2])]
        assert device_of(picked) == CUDA and picked.tolist() == [[0.0, 1.0], [4.0, 5.0]]
        host = torch.zeros(3, 2)
        host.copy_(X)
        assert device_of(host) is None and torch.equal(host, X.cpu())
        history = torch.zeros(3)
        history[0] = X[1, 1]
        assert history[0].item() == 3.0


# --------------------------------------------------------------------------
# numpy, python numbers, printing, torch.cuda


@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword")
def test_numpy_on_cuda_raises_like_pytorch() -> None:
    with VirtualCuda():
        t = cuda(torch.ones(2, dtype=F64))
        for attempt in (lambda: t.numpy(), lambda: np.asarray(t), lambda: np.array(t * 2)):
            with pytest.raises(TypeError) as caught:
                attempt()
            assert str(caught.value) == NUMPY
            assert classify_error(caught.value) == NUMPY_ON_CUDA
            assert DIAGNOSIS[NUMPY_ON_CUDA] == "device-mismatch"
        assert t.cpu().numpy().tolist() == [1.0, 1.0]
        assert t.numpy(force=True).tolist() == [1.0, 1.0]
        assert t.sum().item() == 2.0 and float(t.sum()) == 2.0 and t.tolist() == [1.0, 1.0]
        assert torch.ones(2).numpy().tolist() == [1.0, 1.0]


def test_torch_cuda_answers_like_one_gpu_and_is_restored() -> None:
    before = torch.cuda.is_available
    with VirtualCuda():
        assert torch.cuda.is_available() and torch.cuda.device_count() == 1
        assert torch.cuda.current_device() == 0
        t = cuda(torch.ones(2, dtype=F64))
        assert t.device == torch.device("cuda:0") and t.device.type == "cuda" and not t.is_cpu
        assert t.type() == "torch.cuda.DoubleTensor"
        assert repr(t) == "tensor([1., 1.], device='cuda:0', dtype=torch.float64)"
        with pytest.raises(RuntimeError, match="invalid device ordinal") as caught:
            torch.ones(1, device="cuda:1")
        assert classify_error(caught.value) == REQUIRES_CUDA
    assert torch.cuda.is_available is before and not torch.cuda.is_available()
    assert real_device(t).type == "cpu" and device_of(t) == CUDA  # the tag outlives the emulation


def test_exit_restores_after_an_error_and_refuses_reentry() -> None:
    emulation = VirtualCuda()
    with pytest.raises(ValueError):
        with emulation:
            raise ValueError("student error")
    assert not torch.cuda.is_available()
    assert torch.ones(1).device.type == "cpu"
    with emulation:
        with pytest.raises(RuntimeError, match="already active"):
            emulation.__enter__()
    assert not torch.cuda.is_available()


# --------------------------------------------------------------------------
# autograd and optimisers


def test_autograd_leaf_updates_under_the_emulation() -> None:
    with VirtualCuda():
        X = cuda(torch.tensor([[1.0, 0.5], [1.0, -1.0], [1.0, 2.0]], dtype=F64))
        y = cuda(torch.tensor([[1.0], [0.0], [3.0]], dtype=F64))
        What = cuda(torch.tensor([[-5.0], [10.0]], dtype=F64, requires_grad=True))
        assert What.is_leaf and What.requires_grad
        loss = torch.sum((y - X @ What) ** 2)
        assert device_of(loss) == CUDA
        loss.backward()
        assert device_of(What.grad) == CUDA and What.grad.device == CUDA  # type: ignore[union-attr]
        What.data = What.data - 0.01 * What.grad  # type: ignore[operator]
        What.grad = None
        assert What.is_leaf and device_of(What) == CUDA
        torch.sum((y - X @ What) ** 2).backward()
        with torch.no_grad():
            What -= 0.01 * What.grad  # type: ignore[operator]
        What.grad.zero_()  # type: ignore[union-attr,attr-defined]
        assert device_of(What) == CUDA and device_of(What.grad) == CUDA
        grads = torch.autograd.grad(torch.sum(X @ What), What)
        assert device_of(grads[0]) == CUDA
        with pytest.raises(RuntimeError, match="assign a gradient") as caught:
            What.grad = torch.zeros(2, 1, dtype=F64)
        assert classify_error(caught.value) == DEVICE_MISMATCH


def _data(n: int = 12) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    x = torch.linspace(-1, 1, n, dtype=F64).reshape(-1, 1)
    y = 2.5 + 4.0 * x + 0.3 * torch.randn(n, 1, generator=generator, dtype=F64)
    return torch.cat([torch.ones(n, 1, dtype=F64), x], dim=1), y


X0, Y0 = _data()
W0 = torch.tensor([[-5.0], [10.0]], dtype=F64)
EPOCHS = 30


def _linear(weight: torch.Tensor) -> torch.nn.Linear:
    net = torch.nn.Linear(2, 1, bias=False).to(F64)
    with torch.no_grad():
        net.weight.copy_(weight.T)
    return net


def _reference_runs(device: Optional[str]) -> tuple[Any, ...]:
    def arg(t: torch.Tensor, requires_grad: bool = False) -> torch.Tensor:
        fresh = t.clone().requires_grad_(requires_grad)
        return place(fresh, device) if device else fresh

    What = arg(W0, True)
    history = ref2.train(arg(X0), arg(Y0), What, 0.01, EPOCHS)
    What_mse = arg(W0, True)
    mse = ref3.train_mse(arg(X0), arg(Y0), What_mse, 0.1, EPOCHS)
    closed = ref3.closed_form(arg(X0), arg(Y0))
    net = _linear(W0)
    if device:
        place(net, device)
    losses = ref4.train_net(arg(X0), arg(Y0), net, 0.1, EPOCHS)
    made = ref4.make_net(arg(W0))
    return history, What.detach().clone(), mse, closed, losses, net.weight.detach().clone(), made.weight.detach()


def test_reference_training_is_bit_identical_under_the_emulation() -> None:
    plain = _reference_runs(None)
    with VirtualCuda():
        emulated = _reference_runs("cuda")
    # the optimizer took the foreach path under the emulation (it sees cuda parameters)
    assert device_of(emulated[5]) == CUDA and device_of(emulated[6]) == CUDA
    for a, b in zip(plain, emulated):
        if isinstance(a, torch.Tensor):
            assert a.dtype == b.dtype and torch.equal(a, b)
        else:
            assert a == b


def test_sgd_on_a_virtual_cuda_net() -> None:
    with VirtualCuda():
        net = place(_linear(W0), "cuda")
        optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
        X, y = cuda(X0.clone()), cuda(Y0.clone())
        for _ in range(3):
            loss = torch.nn.MSELoss()(net(X), y)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
        assert net.weight.grad is None and device_of(net.weight) == CUDA
        buffer = optimizer.state[net.weight]["momentum_buffer"]
        assert device_of(buffer) == CUDA


@pytest.mark.slow
def test_first_optimizer_of_a_fresh_process_under_the_emulation() -> None:
    # torch.optim imports torch._dynamo on first use, and the worker may do that
    # inside the emulation; in this test process it has long been imported.
    from conftest import ROOT

    script = f"""
import sys, torch, runpy
from types import SimpleNamespace
from grader.worker.virtual_cuda import VirtualCuda, place, device_of
exercise4 = SimpleNamespace(**runpy.run_path({str(ROOT / "packs" / "exercise4" / "reference.py")!r}))
assert "torch._dynamo" not in sys.modules
with VirtualCuda():
    X = place(torch.tensor([[1.0, 0.0], [1.0, 1.0]], dtype=torch.float64), "cuda")
    y = place(torch.tensor([[1.0], [3.0]], dtype=torch.float64), "cuda")
    net = exercise4.make_net(place(torch.tensor([[0.0], [0.0]], dtype=torch.float64), "cuda"))
    losses = exercise4.train_net(X, y, net, 0.1, 3)
    assert device_of(net.weight) is not None and len(losses) == 3
assert not torch.cuda.is_available()
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "ok"


# --------------------------------------------------------------------------
# a machine without a GPU


def test_no_gpu_machine_refuses_cuda() -> None:
    with VirtualCuda(available=False):
        assert not torch.cuda.is_available() and torch.cuda.device_count() == 0
        t = torch.ones(2)
        attempts: list[Callable[[], Any]] = [
            lambda: t.cuda(),
            lambda: t.to("cuda"),
            lambda: t.to(0),
            lambda: torch.ones(2, device="cuda"),
            lambda: torch.tensor([1.0], device=torch.device("cuda")),
            lambda: torch.nn.Linear(2, 1).cuda(),
            lambda: torch.nn.Linear(2, 1).to("cuda"),
            lambda: torch.cuda.current_device(),
        ]
        for attempt in attempts:
            with pytest.raises(AssertionError) as caught:
                attempt()
            assert str(caught.value) == "Torch not compiled with CUDA enabled"
            assert classify_error(caught.value) == REQUIRES_CUDA
        assert (t @ t).item() == 2.0 and t.device.type == "cpu"


# --------------------------------------------------------------------------
# classification, place, the worker's encoder


def test_classify_follows_chains_and_real_messages() -> None:
    with VirtualCuda():
        try:
            try:
                cuda(torch.ones(2)) + torch.ones(2)
            except RuntimeError as inner:
                raise ValueError("my own error") from inner
        except ValueError as outer:
            assert classify_error(outer) == DEVICE_MISMATCH
    real_gpu = (
        "Expected all tensors to be on the same device, but got mat2 is on cpu, different from other "
        "tensors on cuda:0 (when checking argument in method wrapper_CUDA_mm)"
    )
    assert classify_error(RuntimeError(real_gpu)) == DEVICE_MISMATCH
    assert classify_message(real_gpu) == DEVICE_MISMATCH
    assert classify_message(NUMPY) == NUMPY_ON_CUDA
    assert classify_message("No CUDA GPUs are available") == REQUIRES_CUDA
    assert classify_message("Torch not compiled with CUDA enabled") == REQUIRES_CUDA
    assert classify_error(RuntimeError("mat1 and mat2 must have the same dtype")) is None
    assert classify_error(ZeroDivisionError()) is None


def test_place() -> None:
    What = torch.tensor([[1.0], [2.0]], dtype=F64, requires_grad=True)
    assert place(What, "cuda:0") is What and What.is_leaf and What.requires_grad
    assert device_of(What) == CUDA
    place(What, "cpu")
    assert device_of(What) is None
    net = torch.nn.Linear(2, 1)
    assert place(net, "cuda") is net and all(device_of(p) == CUDA for p in net.parameters())
    with pytest.raises(ValueError):
        place(torch.ones(1), "cuda:1")
    with pytest.raises(ValueError):
        place(torch.ones(1), "meta")
    assert device_of([1.0]) is None and device_of(None) is None


def test_gradients_read_after_the_emulation() -> None:
    What = cuda(torch.tensor([[1.0], [2.0]], dtype=F64, requires_grad=True))
    net = place(_linear(W0), "cuda")
    X = cuda(X0.clone())
    with VirtualCuda():
        (X @ What).sum().backward()  # nobody reads What.grad inside
        net(X).sum().backward()
    assert What.grad is not None and device_of(What.grad) is None
    tag_gradients(What)
    tag_gradients(net)
    assert device_of(What.grad) == CUDA and device_of(net.weight.grad) == CUDA
    tag_gradients(torch.ones(1))  # untagged tensors, missing gradients: nothing to do


def test_worker_encoder_reports_the_virtual_device() -> None:
    t = cuda(torch.tensor([[1.0], [2.0]], dtype=F64))
    assert worker.encode(t)["tensor"]["device"] == "cuda:0"
    with VirtualCuda():
        body = worker.encode(t)["tensor"]
        module = worker.encode(place(_linear(W0), "cuda"))["module"]
    assert body["device"] == "cuda:0" and body["data"] == [1.0, 2.0]
    assert module["params"]["weight"]["tensor"]["device"] == "cuda:0"
    assert worker.encode(torch.ones(1))["tensor"]["device"] == "cpu"


# --------------------------------------------------------------------------
# the device corpus: real submissions, each with `# expect: <code>` on line 1

CORPUS = sorted((Path(__file__).parent / "device").glob("*.py"))
_counter = itertools.count()


def _load(path: Path) -> ModuleType:
    """Import a submission under whatever emulation is active: module-level device choices must see it."""
    spec = importlib.util.spec_from_file_location(f"_device_corpus_{path.stem}_{next(_counter)}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _scenario(module: ModuleType, device: Optional[str]) -> list[Any]:
    """Call the submission's functions the way the grader does, on fresh inputs; return what came out.

    Mutated arguments (What, the grader's net) are returned too: their device
    and dtype after the call count as much as the return value's.
    """

    def arg(t: torch.Tensor, requires_grad: bool = False) -> torch.Tensor:
        fresh = t.clone().requires_grad_(requires_grad)
        return place(fresh, device) if device else fresh

    out: list[Any] = []
    n = X0.shape[0]
    if hasattr(module, "gradient_step"):
        out.append(module.predict(arg(X0), arg(W0)))
        out.append(module.sse_loss(arg(X0 @ W0), arg(Y0)))
        What = arg(W0, True)
        out += [module.gradient_step(arg(X0), arg(Y0), What, 0.01), What]
    if hasattr(module, "train"):
        What = arg(W0, True)
        out += [module.train(arg(X0), arg(Y0), What, 0.01, EPOCHS), What]
    if hasattr(module, "train_mse"):
        out.append(module.mse_loss(arg(X0 @ W0), arg(Y0)))
        What = arg(W0, True)
        out += [module.train_mse(arg(X0), arg(Y0), What, 0.1, EPOCHS), What]
        out.append(module.mse_alpha(0.01, n))
        out.append(module.closed_form(arg(X0), arg(Y0)))
    if hasattr(module, "make_net"):
        out.append(module.make_net(arg(W0)))
        net = _linear(W0)
        if device:
            place(net, device)
        out += [module.train_net(arg(X0), arg(Y0), net, 0.1, EPOCHS), net]
        # the student's own pipeline, as in the notebook
        out.append(module.train_net(arg(X0), arg(Y0), module.make_net(arg(W0)), 0.1, EPOCHS))
    return out


def _tensors(obj: Any) -> Iterator[torch.Tensor]:
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, torch.nn.Module):
        yield from obj.parameters()
    elif isinstance(obj, (list, tuple)):
        for item in obj:
            yield from _tensors(item)


def _output_problem(outputs: list[Any], device: Optional[torch.device]) -> Optional[str]:
    """What the grader sees without an exception: results off the inputs' device, or not float64."""
    tensors = list(_tensors(outputs))
    if any(device_of(t) != device for t in tensors):
        return "device-mismatch"
    if any(t.dtype != F64 for t in tensors):
        return "dtype-changed"
    return None


def diagnose(path: Path) -> str:
    """The corpus code of a submission, from two emulated runs (the procedure the grader should follow).

    1. On an emulated GPU with every input on cuda: an emulation error means
       device-mismatch (numpy-on-cuda included); so does a result that is not
       on cuda.
    2. On an emulated machine without a GPU, inputs on the CPU: an emulation
       error means requires-cuda (hard-coded .cuda() works on any GPU, so only
       this run sees it).
    3. A result that is not float64 in either run means dtype-changed.
    """
    with VirtualCuda():
        try:
            outputs = _scenario(_load(path), "cuda")
        except Exception as exc:
            kind = classify_error(exc)
            if kind is None:
                raise
            return DIAGNOSIS[kind]
    problem = _output_problem(outputs, CUDA)
    if problem == "device-mismatch":
        return problem
    with VirtualCuda(available=False):
        try:
            outputs = _scenario(_load(path), None)
        except Exception as exc:
            kind = classify_error(exc)
            if kind is None:
                raise
            return DIAGNOSIS[kind]
    return problem or _output_problem(outputs, None) or "full-marks"


def test_the_corpus_covers_every_code() -> None:
    codes = [expectation(path) for path in CORPUS]
    assert {"full-marks", "device-mismatch", "requires-cuda", "dtype-changed"} <= set(codes)
    assert codes.count("full-marks") >= 4


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_corpus_diagnosis(path: Path) -> None:
    assert diagnose(path) == expectation(path)


@pytest.mark.parametrize(
    "path",
    [p for p in CORPUS if expectation(p) != "requires-cuda"],
    ids=[p.stem for p in CORPUS if expectation(p) != "requires-cuda"],
)
def test_corpus_device_bugs_are_invisible_without_the_emulation(path: Path) -> None:
    outputs = _scenario(_load(path), None)
    assert _output_problem(outputs, None) in (None, "dtype-changed")


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_real_cpu_build_errors_classify_like_the_emulation() -> None:
    (path,) = [p for p in CORPUS if p.stem == "ex3_hardcoded_cuda"]
    with pytest.raises(AssertionError) as caught:
        _scenario(_load(path), None)
    assert classify_error(caught.value) == REQUIRES_CUDA


@pytest.mark.parametrize(
    "path",
    [p for p in CORPUS if expectation(p) == "full-marks"],
    ids=[p.stem for p in CORPUS if expectation(p) == "full-marks"],
)
def test_corpus_full_marks_are_bit_identical_and_match_the_reference(path: Path) -> None:
    plain = _scenario(_load(path), None)
    with VirtualCuda():
        emulated = _scenario(_load(path), "cuda")
    for a, b in zip(_flatten(plain), _flatten(emulated), strict=True):
        assert a == b if not isinstance(a, torch.Tensor) else torch.equal(a, b)
    module = _load(path)
    reference = ref1 if hasattr(module, "gradient_step") else ref2 if hasattr(module, "train") else ref3
    if hasattr(module, "make_net"):
        reference = ref4
    expected = _flatten(_scenario(reference, None))
    for a, b in zip(_flatten(plain), expected, strict=True):
        if isinstance(a, torch.Tensor):
            assert torch.allclose(a, b, rtol=1e-9, atol=1e-9)
        else:
            assert a == pytest.approx(b, rel=1e-9, abs=1e-9)


def _flatten(obj: Any) -> list[Any]:
    if isinstance(obj, torch.nn.Module):
        return [p.detach() for p in obj.parameters()]
    if isinstance(obj, torch.Tensor):
        return [obj.detach()]
    if isinstance(obj, (list, tuple)):
        return [leaf for item in obj for leaf in _flatten(item)]
    return [obj]
