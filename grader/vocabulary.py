"""The closed vocabularies every stage shares: diagnosis codes, check kinds, argument roles, device modes.

Each is a ``StrEnum``: its members are the strings that appear in reports,
JSON and pack files (``Code.GRAD_NOT_CLEARED == "grad-not-cleared"``), so a
value read from a file is checked once, where it is read (``Code(text)``
raises ``ValueError`` for a code that does not exist), and everywhere else
a typo is a type error instead of a silently different string.
"""
from __future__ import annotations

from enum import StrEnum


class Code(StrEnum):
    """A diagnosis: what a check found wrong (or why a submission could not be graded)."""

    # -- mistakes in the numbers
    GRAD_NOT_CLEARED = "grad-not-cleared"
    GRADIENT_ASCENT = "gradient-ascent"
    WRONG_EPOCHS = "wrong-epochs"
    WRONG_LEARNING_RATE = "wrong-learning-rate"
    WRONG_LOSS = "wrong-loss"
    HISTORY_MISALIGNED = "history-misaligned"
    HISTORY_ALIASED = "history-aliased"
    PARAMETER_REBOUND = "parameter-rebound"
    STEP_BEFORE_BACKWARD = "step-before-backward"
    ZERO_GRAD_BEFORE_STEP = "zero-grad-before-step"
    STEPS_SWAPPED = "steps-swapped"
    BROADCAST_SHAPE = "broadcast-shape"
    FORWARD_OUTSIDE_LOOP = "forward-outside-loop"
    FORWARD_IN_NO_GRAD = "forward-in-no-grad"
    INPLACE_ON_LEAF = "inplace-on-leaf"
    USES_GLOBAL = "uses-global"
    MUTABLE_DEFAULT = "mutable-default"
    CONSTANT_FACTOR = "constant-factor"
    SIGN_FLIPPED = "sign-flipped"
    WRONG_OPERATOR = "wrong-operator"
    TRANSPOSED = "transposed"
    WRONG_BOUNDARY = "wrong-boundary"
    HARDCODED_VALUE = "hardcoded-value"
    PARAMETERS_SWAPPED = "parameters-swapped"
    WRONG_CLASSIFICATION = "wrong-classification"
    WRONG_VALUE = "wrong-value"
    # -- structure
    WEIGHT_NOT_TRANSPOSED = "weight-not-transposed"
    BIAS_ENABLED = "bias-enabled"
    MISSING_PARAMETER = "missing-parameter"
    WRONG_STRUCTURE = "wrong-structure"
    NOT_USING_TORCH_API = "not-using-torch-api"
    PYTHON_LOOP = "python-loop"
    INPUT_MUTATED = "input-mutated"
    WRONG_SHAPE = "wrong-shape"
    WRONG_TYPE = "wrong-type"
    RESULT_TOO_LARGE = "result-too-large"
    NOT_ATTEMPTED = "not-attempted"
    TAMPERING = "tampering"
    IMPORTS_GRADER = "imports-grader"
    # -- devices
    DEVICE_MISMATCH = "device-mismatch"
    REQUIRES_CUDA = "requires-cuda"
    DTYPE_CHANGED = "dtype-changed"
    # -- the file
    NOT_IMPLEMENTED = "not-implemented"
    MISSING_FUNCTION = "missing-function"
    SYNTAX_ERROR = "syntax-error"
    RUNTIME_ERROR = "runtime-error"
    INVALID_NOTEBOOK = "invalid-notebook"
    TIMEOUT = "timeout"
    MEMORY_LIMIT = "memory-limit"
    CRASHED = "crashed"
    GRADER_ERROR = "grader-error"
    TOO_LARGE = "too-large"


class CheckKind(StrEnum):
    """What a check asks of one function; a pack gives each kind its points."""

    LECTURE = "lecture"  # the values of the lecture's call
    GENERATED = "generated"  # the values on generated data (and the lecture's divergent rates)
    IN_PLACE = "in-place"  # the caller's parameter holds the new values
    INPUTS_UNCHANGED = "inputs-unchanged"  # the data arguments are as they were
    GRAD_CLEARED = "grad-cleared"  # the parameter's gradient is None or zero afterwards
    DEVICE = "device"  # runs on a (real or emulated) GPU, keeps float64
    API = "api"  # the optimizer and loss the pack requires, used on the parameter
    NO_LOOP = "no-loop"  # computed without a Python loop
    EXTRA = "extra"  # a pack's own check (often hidden), on cases of its own


class Role(StrEnum):
    """What an argument of a graded function is for."""

    DATA = "data"  # only read: must be unchanged after the call
    PARAMETER = "parameter"  # trained in place (a tensor with requires_grad, or an nn.Module)
    LEARNING_RATE = "learning-rate"
    EPOCHS = "epochs"  # how many updates: histories are as long as it says
    HYPERPARAMETER = "hyperparameter"  # any other setting


class DeviceMode(StrEnum):
    """Where a worker's calls run."""

    CPU = "cpu"
    VIRTUAL_CUDA = "virtual-cuda"  # an emulated cuda device, on every machine
    CUDA = "cuda"  # a real GPU
    OFF = "off"  # no device checks at all


# Diagnoses of a submission as a whole (it could not be graded check by check),
# as opposed to a mistake found by one check.
SUBMISSION_CODES = frozenset(
    {Code.IMPORTS_GRADER, Code.SYNTAX_ERROR, Code.INVALID_NOTEBOOK, Code.TIMEOUT, Code.MEMORY_LIMIT, Code.CRASHED, Code.GRADER_ERROR, Code.TOO_LARGE}
)
