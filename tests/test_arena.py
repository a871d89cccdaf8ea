"""The arena: the grader places a call's tensors in shared memory and reads them back itself.

The worker side (grader.worker.arena) is played here in the test process: it
maps the file, builds the views, updates them and writes back, as a worker
does.  What the grader reads must come from the file, whatever the reply says.
"""
from pathlib import Path
from typing import Any, Iterator

import pytest
import torch

from grader.execution.arena import ArenaFile
from grader.worker import arena as worker_arena
from grader.worker.protocol import ModuleValue, TensorValue


@pytest.fixture()
def shared(tmp_path: Path) -> Iterator[ArenaFile]:
    placed = ArenaFile(str(tmp_path))
    worker_arena.open_arena(str(tmp_path / "exercise2.py"))
    yield placed
    placed.close()
    # the worker's map is per process; this test plays both sides
    worker_arena._MAP, worker_arena._SIZE, worker_arena._PATH = None, 0, None  # noqa: SLF001


def _tensor(values: list[list[float]], dtype: str = "float64", requires_grad: bool = False) -> dict[str, Any]:
    return {"tensor": {"data": values, "dtype": dtype, "requires_grad": requires_grad}}


def test_an_update_in_place_is_read_back_without_the_worker_saying_so(shared: ArenaFile) -> None:
    args, placed = shared.place([_tensor([[1.0], [2.0]]), _tensor([[-5.0], [10.0]], requires_grad=True), 0.1])
    worker_arena.ensure(shared.size)
    assert "data" not in args[1]["tensor"], "the request carries offsets, not values"
    What = worker_arena.view(args[1]["tensor"])
    What -= 1.5  # the student's `with torch.no_grad(): What -= ...`
    claimed = ({"value": None}, {"value": TensorValue((2, 1), "float64", (99.0, 99.0), "cpu", True)}, None)
    after = shared.observe(placed, claimed)
    assert after[1]["value"].data == (-6.5, 8.5)  # the memory, not the claim of 99
    assert after[0]["value"].data == (1.0, 2.0)
    assert after[2] is None


def test_a_rebinding_leaves_the_arena_as_it_was(shared: ArenaFile) -> None:
    args, placed = shared.place([_tensor([[-5.0], [10.0]], requires_grad=True)])
    worker_arena.ensure(shared.size)
    What = worker_arena.view(args[0]["tensor"]).requires_grad_(True)
    What = What.detach() - 1.0  # a new tensor: the caller's What is untouched  # noqa: F841
    after = shared.observe(placed, ({"value": TensorValue((2, 1), "float64", (-6.0, 9.0), "cpu", True)},))
    assert after[0]["value"].data == (-5.0, 10.0)


def test_data_given_new_memory_is_written_back_with_its_gradient(shared: ArenaFile) -> None:
    args, placed = shared.place([_tensor([[-5.0], [10.0]], requires_grad=True)])
    worker_arena.ensure(shared.size)
    What = worker_arena.view(args[0]["tensor"]).requires_grad_(True)
    (What**2).sum().backward()
    What.data = What.data - 0.5 * What.grad  # new memory: only the write-back puts it in the arena
    worker_arena.write_back(args[0]["tensor"], What, What.grad)
    after = shared.observe(placed, ({},))
    assert after[0]["value"].data == (0.0, 0.0)
    assert after[0]["grad"].data == (-10.0, 20.0)


def test_a_net_s_parameters_live_in_the_arena(shared: ArenaFile) -> None:
    net = torch.nn.Linear(2, 1, bias=False).double()
    spec = {"module": {"type": "Linear", "state": {"weight": _tensor([[-5.0, 10.0]], requires_grad=True)}}}
    args, placed = shared.place([spec])
    worker_arena.ensure(shared.size)
    weight = worker_arena.view(args[0]["module"]["state"]["weight"]["tensor"])
    net.weight.data = weight
    torch.optim.SGD(net.parameters(), lr=1.0).zero_grad()
    with torch.no_grad():
        net.weight += 1.0  # what optimizer.step() does: in place
    after = shared.observe(placed, ({"value": ModuleValue("Linear", {}, 2, 1, ())},))
    assert after[0]["value"].params["weight"].data == (-4.0, 11.0)


def test_a_truncated_arena_reads_as_the_arguments_were_given(shared: ArenaFile, tmp_path: Path) -> None:
    args, placed = shared.place([_tensor([[-5.0], [10.0]])])
    worker_arena.ensure(shared.size)
    with open(tmp_path / worker_arena.ARENA, "r+b") as handle:
        handle.truncate(0)
    after = shared.observe(placed, ({},))
    assert after[0]["value"].data == (-5.0, 10.0)


def test_the_worker_keeps_no_descriptor_of_the_arena(shared: ArenaFile, tmp_path: Path) -> None:
    """A submission that writes to every descriptor it has (tests/adversarial/fill_channel.py) cannot reach the arena by accident."""
    import os

    shared.place([_tensor([[-5.0], [10.0]])])
    worker_arena.ensure(shared.size)
    arena_path = os.path.realpath(tmp_path / worker_arena.ARENA)
    held = [os.path.realpath(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd") if int(fd) != shared.fd]
    assert arena_path not in held
