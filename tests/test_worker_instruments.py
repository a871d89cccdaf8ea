"""The worker's instruments, each on its own (red team, round 2): what they refuse, what they see.

End to end, the attacks in tests/adversarial/forged/ meet several of these at
once; each test here takes one away from the others, so that it fails when
that one is gone.
"""
from __future__ import annotations

import subprocess
import sys

from grader.checks import source
from grader.checks.structure import _step_follows_gradient

GUARDED = r"""
import gc, marshal, os, sys, threading, _thread
from grader.worker import guard
guard.watch_the_submission()
found = {}
try:
    gc.get_objects()
    found["gc"] = "allowed"
except PermissionError:
    found["gc"] = "refused"
try:
    getattr(gc, "get_" + "referrers")(found)
    found["referrers"] = "allowed"
except PermissionError:
    found["referrers"] = "refused"
try:
    marshal.loads(marshal.dumps(1))
    found["marshal"] = "allowed"
except PermissionError:
    found["marshal"] = "refused"
fake = os.path.join(os.path.dirname(os.__file__), "_made_at_run_time.py")
exec(compile("x = 1", fake, "exec"), {})
found["compiled"] = fake in guard.CODE_MADE_AT_RUN_TIME
def f():
    pass
relabelled = f.__code__.replace(co_filename="/usr/lib/python3/relabelled.py")
found["relabelled"] = "/usr/lib/python3/relabelled.py" in guard.CODE_MADE_AT_RUN_TIME
import json.tool  # a library loaded by import is not code made at run time
found["imported"] = any("json" in name for name in guard.CODE_MADE_AT_RUN_TIME)
seen = []
def hook(frame, event, arg):
    seen.append(frame.f_code.co_name)
    return None
threading.settrace(hook)
def in_raw_thread(done):
    done.release()
done = _thread.allocate_lock()
done.acquire()
_thread.start_new_thread(in_raw_thread, (done,))
done.acquire()
found["raw thread traced"] = "in_raw_thread" in seen
print(found)
"""


def test_the_worker_refuses_the_gc_s_object_lists_and_marshal_and_notes_code_made_at_run_time() -> None:
    done = subprocess.run([sys.executable, "-c", GUARDED], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    found = eval(done.stdout.strip().splitlines()[-1])
    assert found == {
        "gc": "refused", "referrers": "refused", "marshal": "refused", "compiled": True,
        "relabelled": True, "imported": False, "raw thread traced": True,
    }


ASSIGNED = '''
import torch

def _make():
    def surface(w0, w1, x, y):
        out = torch.zeros(len(w0), len(w1))
        for i in range(len(w0)):
            out[i] = ((y - w0[i] - w1.reshape(-1, 1) * x) ** 2).sum(dim=1)
        return out
    return surface

loss_surface = _make()
'''

ALIASED = '''
import torch
each = map

def loss_surface(w0, w1, x, y):
    rows = each(lambda a: ((y - a - w1.reshape(-1, 1) * x) ** 2).sum(dim=1), w0)
    return torch.stack(list(rows))
'''

VECTORIZED_ALIAS = '''
import torch

def _surface(w0, w1, x, y):
    r = y.reshape(1, 1, -1) - w0.reshape(-1, 1, 1) - w1.reshape(1, -1, 1) * x.reshape(1, 1, -1)
    return (r ** 2).sum(dim=2)

loss_surface = _surface
for _ in range(3):
    print("module-level code is not the function")
'''


def test_a_function_bound_by_assignment_is_read_through_its_binding() -> None:
    assert source.python_loops(ASSIGNED, "loss_surface") == [7]
    assert source.python_loops(VECTORIZED_ALIAS, "loss_surface") == []


def test_map_under_another_name_is_still_a_loop() -> None:
    assert source.python_loops(ALIASED, "loss_surface") == [6]
    # functools under another name (red team, round 3)
    reduced = "import functools as ft\n\ndef loss_surface(w0, w1, x, y):\n    return ft.reduce(lambda acc, a: acc + a, w0, 0)\n"
    assert source.python_loops(reduced, "loss_surface") == [4]
    # map fetched by name (red team, round 4)
    fetched = "import builtins\neach = getattr(builtins, 'map')\n\ndef loss_surface(w0, w1, x, y):\n    return list(each(abs, w0))\n"
    assert source.python_loops(fetched, "loss_surface") == [5]


def test_computed_attribute_names_on_introspective_modules_are_tampering() -> None:
    finding = source.tampering("import gc as g\nfind = getattr(g, 'get_' + 'objects')\n")
    assert finding is not None and finding.line == 2
    assert source.tampering("import _thread\n") is not None
    # a computed name on anything else is ordinary code
    assert source.tampering("import torch\nloss = getattr(torch.nn, 'MSE' + 'Loss')()\n") is None


def test_a_step_moves_the_parameter_as_the_optimizer_does() -> None:
    before, grad, lr = [1.0, -2.0], [0.5, -4.0], 0.1
    after = [b - lr * g for b, g in zip(before, grad)]
    plain = {"closure": False, "hooks": False, "grad_from_loss": True, "grad": grad, "sgd_lr": lr}
    assert _step_follows_gradient(plain, before, after)
    # code of the caller's inside step(): a closure, or a move that is not -lr * grad
    assert not _step_follows_gradient({**plain, "closure": True}, before, after)
    assert not _step_follows_gradient({**plain, "hooks": True}, before, after)
    # a gradient the loss's backward() did not leave (written by hand into .grad)
    assert not _step_follows_gradient({**plain, "grad_from_loss": False}, before, after)
    assert not _step_follows_gradient(plain, before, [0.9, -1.0])
    # no gradient, no move, whatever the optimizer
    assert not _step_follows_gradient({**plain, "grad": [None, None], "sgd_lr": None}, before, after)
    assert _step_follows_gradient({**plain, "grad": [None, None], "sgd_lr": None}, before, before)
    # another optimizer's rule is not checked number by number, only where a gradient exists
    assert _step_follows_gradient({**plain, "sgd_lr": None}, before, [0.0, 0.0])
    # a report without the gradients proves nothing
    assert not _step_follows_gradient({"closure": False, "hooks": False, "grad_from_loss": True, "sgd_lr": lr}, before, after)
