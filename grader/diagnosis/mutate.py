"""Variants of a reference solution, derived by mutation operators: the mistakes a pack never had to list.

Each operator changes one place of the reference function (or of a
reference helper it calls) the way students get it wrong: a constant
factor, a flipped sign, sum for mean, an epoch range off by one, a
transpose, a comparison's boundary, a gradient reset left out, two steps
swapped, a setting hard-coded.  A :class:`Variant` keeps the line as the
reference wrote it and as the variant changed it, so that a diagnosis can
say in source terms what the student's code behaves like.  The variants
run in the grader (``grader.diagnosis.variants``), never in a worker.
"""
from __future__ import annotations

import ast
import copy
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Callable, Iterator, Optional, Sequence

from grader.vocabulary import Code, Role


class Operator(StrEnum):
    FACTOR = "factor"
    SIGN = "sign"
    REDUCTION = "reduction"
    POWER = "power"
    RANGE = "range"
    TRANSPOSE = "transpose"
    COMPARE = "compare"
    DROP_RESET = "drop-reset"
    SWAP = "swap"
    HOIST = "hoist"
    RECOMPUTE = "recompute"
    ARITHMETIC = "arithmetic"
    HARDCODE = "hardcode"
    MISCONCEPTION = "misconception"


@dataclass(frozen=True)
class Site:
    """Where a variant differs from the reference: the statement and the part of it that changed."""

    line: str  # the reference's statement, as written
    changed: str  # that statement in the variant
    before: str = ""  # the changed part, as the reference has it
    after: str = ""  # and as the variant has it
    lineno: int = 0


@dataclass(frozen=True)
class Variant:
    id: str
    function: str  # the graded function
    operator: Operator
    code: Code
    target: str  # the function whose definition changed (the graded one, or a helper it calls)
    source: str  # the changed definition of ``target``
    site: Site
    params: tuple[tuple[str, Any], ...] = ()
    factor: Optional[str] = None  # an expression in __n__ (the number of rows), evaluated per call
    role_value: Optional[str] = None  # for HARDCODE: the argument whose lecture value is written in


@dataclass(frozen=True)
class Roles:
    """What the mutation operators need to know of the graded function's arguments."""

    parameter: tuple[str, ...] = ()
    learning_rate: tuple[str, ...] = ()
    epochs: tuple[str, ...] = ()
    hyperparameter: tuple[str, ...] = ()


FACTORS = ("2", "0.5", "__n__", "1 / __n__")
FACTOR_WORDS = {"2": "2", "0.5": "1/2", "__n__": "n", "1 / __n__": "1/n"}
FACTOR_DISPLAY = {"2": "* 2", "0.5": "/ 2", "__n__": "* n", "1 / __n__": "/ n"}
RESETS = ("zero_grad", "zero_")


def derive(reference_text: str, function: str, roles: Roles, helpers: Sequence[str] = ()) -> list[Variant]:
    """Every variant of ``function`` (and of the reference ``helpers`` it calls) that the operators make."""
    tree = ast.parse(reference_text)
    definitions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    if function not in definitions:
        return []
    found: list[Variant] = []
    found += _variants_of(reference_text, definitions[function], function, roles, own=True)
    called = {n.func.id for n in ast.walk(definitions[function]) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    for name in sorted(called & set(definitions) & set(helpers)):
        if name != function:
            found += _variants_of(reference_text, definitions[name], function, Roles(), own=False)
    # by operator, the most telling first (a helper's sum-for-mean before a factor on its result);
    # the function's own change before its helpers' within one operator
    order = {operator: i for i, (operator, _) in enumerate(_OPERATORS)}
    return sorted(found, key=lambda v: (order[v.operator], v.target != function))


def _variants_of(text: str, definition: ast.FunctionDef, function: str, roles: Roles, own: bool) -> list[Variant]:
    out: list[Variant] = []
    for operator, make in _OPERATORS:
        if not own and operator in (Operator.RANGE, Operator.DROP_RESET, Operator.SWAP, Operator.HARDCODE, Operator.HOIST, Operator.RECOMPUTE):
            continue  # a helper's own steps are not the graded loop's
        for changed, site, code, params, factor, role_value in make(text, definition, roles, own):
            index = len(out)
            out.append(
                Variant(
                    id=f"{operator}:{function}:{definition.name}:{site.lineno}:{index}",
                    function=function,
                    operator=operator,
                    code=code,
                    target=definition.name,
                    source=ast.unparse(changed),
                    site=site,
                    params=tuple(params.items()),
                    factor=factor,
                    role_value=role_value,
                )
            )
    return out


# --------------------------------------------------------------------------
# walking a definition and changing one node of a copy


Change = tuple[ast.FunctionDef, Site, Code, dict[str, Any], Optional[str], Optional[str]]


def _indexed(definition: ast.FunctionDef) -> list[ast.AST]:
    return list(ast.walk(definition))


def _statement_of(root: ast.AST, target: ast.AST) -> ast.stmt:
    """The innermost statement of ``root`` that contains ``target``."""
    best: Optional[ast.stmt] = None
    for node in ast.walk(root):
        if isinstance(node, ast.stmt) and node is not root and any(child is target for child in ast.walk(node)):
            if best is None or any(child is node for child in ast.walk(best)):
                best = node
    assert best is not None
    return best


def _line(text: str, statement: ast.stmt) -> str:
    segment = ast.get_source_segment(text, statement) or ast.unparse(statement)
    first = segment.strip().splitlines()[0] if isinstance(statement, (ast.For, ast.While, ast.If, ast.With)) else segment.strip()
    return first.split("  #")[0].rstrip()


def _head(statement: ast.stmt) -> str:
    source = ast.unparse(statement)
    return source.splitlines()[0] if isinstance(statement, (ast.For, ast.While, ast.If, ast.With)) else source


def _replace(parent_root: ast.AST, old: ast.AST, new: ast.AST) -> None:
    for node in ast.walk(parent_root):
        for field, value in ast.iter_fields(node):
            if value is old:
                setattr(node, field, new)
                return
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if item is old:
                        value[i] = new
                        return


def _node_changes(
    text: str,
    definition: ast.FunctionDef,
    select: Callable[[ast.AST, ast.FunctionDef], bool],
    rewrite: Callable[[ast.AST], Iterator[tuple[ast.AST, dict[str, Any], Optional[str]]]],
    code_of: Callable[[ast.stmt, ast.AST], Code],
) -> Iterator[Change]:
    """One change per node ``select`` picks and per rewrite of it."""
    for index, node in enumerate(_indexed(definition)):
        if not select(node, definition):
            continue
        statement = _statement_of(definition, node)
        for variant_number, (_, params, factor) in enumerate(rewrite(node)):
            copy_def = copy.deepcopy(definition)
            copy_node = _indexed(copy_def)[index]
            copy_statement = _statement_of(copy_def, copy_node)
            new_node = list(rewrite(copy_node))[variant_number][0]
            before = ast.unparse(copy_node)
            _replace(copy_def, copy_node, new_node)
            ast.fix_missing_locations(copy_def)
            after = ast.unparse(new_node)
            changed = _head(copy_statement)
            if factor is not None:
                # the scaling helper is the grader's: the student reads `(x) * 2`
                after = f"({before}) {FACTOR_DISPLAY[factor]}"
                changed = changed.replace(ast.unparse(new_node), after)
            site = Site(_line(text, statement), changed, before, after, getattr(statement, "lineno", 0))
            yield copy_def, site, code_of(statement, node), params, factor, None


def _is_parameter_update(statement: ast.stmt, parameters: Sequence[str]) -> bool:
    """``What.data = ...``, ``What -= ...``, ``What.data.sub_(...)``, ``optimizer.step()``."""
    targets: list[ast.AST] = []
    if isinstance(statement, ast.Assign):
        targets = list(statement.targets)
    elif isinstance(statement, ast.AugAssign):
        targets = [statement.target]
    for target in targets:
        base = target
        while isinstance(base, (ast.Attribute, ast.Subscript)):
            base = base.value
        if isinstance(base, ast.Name) and base.id in parameters:
            return True
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call) and isinstance(statement.value.func, ast.Attribute):
        call = statement.value.func
        if call.attr == "step":
            return True
        base = call.value
        while isinstance(base, ast.Attribute):
            base = base.value
        return isinstance(base, ast.Name) and base.id in parameters and call.attr.endswith("_") and call.attr not in ("zero_", "requires_grad_")
    return False


def _loss_names(definition: ast.FunctionDef) -> set[str]:
    """Names whose ``.backward()`` the function calls: its loss."""
    return {
        n.func.value.id
        for n in ast.walk(definition)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "backward" and isinstance(n.func.value, ast.Name)
    }


def _is_reset(statement: ast.stmt) -> bool:
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target = statement.targets[0]
        return isinstance(target, ast.Attribute) and target.attr == "grad" and isinstance(statement.value, ast.Constant) and statement.value.value is None
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call) and isinstance(statement.value.func, ast.Attribute):
        return statement.value.func.attr in RESETS
    return False


def _is_backward(statement: ast.stmt) -> bool:
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call) and isinstance(statement.value.func, ast.Attribute) and statement.value.func.attr == "backward"


def _is_record(statement: ast.stmt) -> bool:
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call) and isinstance(statement.value.func, ast.Attribute) and statement.value.func.attr in ("append", "extend")


# --------------------------------------------------------------------------
# the operators


def _factor(text: str, definition: ast.FunctionDef, roles: Roles, own: bool) -> Iterator[Change]:
    losses = _loss_names(definition)

    def scaled(node: ast.AST) -> Iterator[tuple[ast.AST, dict[str, Any], Optional[str]]]:
        for factor in FACTORS:
            scaled_node: ast.expr = copy.deepcopy(node)  # type: ignore[assignment]  # an expression: a return value or a loss
            call = ast.Call(ast.Name("__scale__", ast.Load()), [scaled_node, ast.parse(factor, mode="eval").body], [])
            yield call, {"factor": FACTOR_WORDS[factor]}, factor

    # a returned value (each element of a returned tuple)
    def returned(node: ast.AST, root: ast.FunctionDef) -> bool:
        for ret in ast.walk(root):
            if isinstance(ret, ast.Return) and ret.value is not None:
                if ret.value is node and not isinstance(node, ast.Tuple):
                    return True
                if isinstance(ret.value, ast.Tuple) and any(e is node for e in ret.value.elts):
                    return True
        return False

    yield from _node_changes(text, definition, returned, scaled, lambda s, n: Code.CONSTANT_FACTOR if own else Code.WRONG_LOSS)

    # the loss: the value assigned to a name whose .backward() is called
    def loss_value(node: ast.AST, root: ast.FunctionDef) -> bool:
        for assign in ast.walk(root):
            if isinstance(assign, ast.Assign) and assign.value is node and any(isinstance(t, ast.Name) and t.id in losses for t in assign.targets):
                return True
        return False

    yield from _node_changes(text, definition, loss_value, scaled, lambda s, n: Code.WRONG_LOSS)

    # the learning rate, everywhere the function reads it
    for name in roles.learning_rate:
        reads = [n for n in ast.walk(definition) if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)]
        if not reads:
            continue
        statement = _statement_of(definition, reads[0])
        for factor in FACTORS:
            copy_def = copy.deepcopy(definition)
            for node in [n for n in ast.walk(copy_def) if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)]:
                _replace(copy_def, node, ast.BinOp(ast.Name(name, ast.Load()), ast.Mult(), ast.parse(factor, mode="eval").body))
            ast.fix_missing_locations(copy_def)
            changed_statement = _statement_of(copy_def, [n for n in ast.walk(copy_def) if isinstance(n, ast.Name) and n.id == name][0])
            site = Site(_line(text, statement), _head(changed_statement), name, f"{name} * {FACTOR_WORDS[factor]}", statement.lineno)
            yield copy_def, site, Code.WRONG_LEARNING_RATE, {"name": name, "factor": FACTOR_WORDS[factor]}, factor, None


def _sign(text: str, definition: ast.FunctionDef, roles: Roles, own: bool) -> Iterator[Change]:
    def select(node: ast.AST, root: ast.FunctionDef) -> bool:
        return (isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub))) or (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub))

    def flip(node: ast.AST) -> Iterator[tuple[ast.AST, dict[str, Any], Optional[str]]]:
        if isinstance(node, ast.BinOp):
            yield ast.BinOp(copy.deepcopy(node.left), ast.Sub() if isinstance(node.op, ast.Add) else ast.Add(), copy.deepcopy(node.right)), {}, None
        elif isinstance(node, ast.UnaryOp):
            yield copy.deepcopy(node.operand), {}, None

    def code(statement: ast.stmt, node: ast.AST) -> Code:
        return Code.GRADIENT_ASCENT if _is_parameter_update(statement, roles.parameter) else Code.SIGN_FLIPPED

    yield from _node_changes(text, definition, select, flip, code)


_REDUCTIONS = {"sum": "mean", "mean": "sum"}
_LOSS_CLASSES = ("MSELoss", "BCELoss", "L1Loss", "CrossEntropyLoss", "BCEWithLogitsLoss", "mse_loss", "binary_cross_entropy", "l1_loss", "cross_entropy")


def _reduction(text: str, definition: ast.FunctionDef, roles: Roles, own: bool) -> Iterator[Change]:
    def select(node: ast.AST, root: ast.FunctionDef) -> bool:
        if not isinstance(node, ast.Call):
            return False
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        return name in _REDUCTIONS or name in _LOSS_CLASSES

    def swap(node: ast.AST) -> Iterator[tuple[ast.AST, dict[str, Any], Optional[str]]]:
        assert isinstance(node, ast.Call)
        new = copy.deepcopy(node)
        func = new.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name in _REDUCTIONS:
            if isinstance(func, ast.Attribute):
                func.attr = _REDUCTIONS[name]
            elif isinstance(func, ast.Name):
                func.id = _REDUCTIONS[name]
            yield new, {}, None
            return
        current = next((k for k in new.keywords if k.arg == "reduction"), None)
        value = current.value.value if current is not None and isinstance(current.value, ast.Constant) else "mean"
        other = "sum" if value == "mean" else "mean"
        new.keywords = [k for k in new.keywords if k.arg != "reduction"] + [ast.keyword("reduction", ast.Constant(other))]
        yield new, {}, None

    yield from _node_changes(text, definition, select, swap, lambda s, n: Code.WRONG_LOSS)


def _power(text: str, definition: ast.FunctionDef, roles: Roles, own: bool) -> Iterator[Change]:
    def squared(node: ast.AST) -> bool:
        return isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and isinstance(node.right, ast.Constant) and node.right.value == 2

    def select(node: ast.AST, root: ast.FunctionDef) -> bool:
        if squared(node):
            return True
        # torch.sum(E ** 2) -> torch.sum(E) ** 2: the square taken outside the reduction
        return isinstance(node, ast.Call) and len(node.args) >= 1 and squared(node.args[0]) and _call_name(node) in _REDUCTIONS

    def change(node: ast.AST) -> Iterator[tuple[ast.AST, dict[str, Any], Optional[str]]]:
        if isinstance(node, ast.BinOp):
            yield copy.deepcopy(node.left), {}, None
        elif isinstance(node, ast.Call):
            inner = copy.deepcopy(node)
            assert isinstance(inner.args[0], ast.BinOp)
            inner.args[0] = inner.args[0].left
            yield ast.BinOp(inner, ast.Pow(), ast.Constant(2)), {}, None

    yield from _node_changes(text, definition, select, change, lambda s, n: Code.WRONG_LOSS)


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _range(text: str, definition: ast.FunctionDef, roles: Roles, own: bool) -> Iterator[Change]:
    def select(node: ast.AST, root: ast.FunctionDef) -> bool:
        loops = [n.iter for n in ast.walk(root) if isinstance(n, ast.For)]
        return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range" and len(node.args) == 1 and any(node is it for it in loops)

    def shift(node: ast.AST) -> Iterator[tuple[ast.AST, dict[str, Any], Optional[str]]]:
        assert isinstance(node, ast.Call)
        stop = node.args[0]
        yield ast.Call(ast.Name("range", ast.Load()), [ast.BinOp(copy.deepcopy(stop), ast.Add(), ast.Constant(1))], []), {"by": "+1"}, None
        yield ast.Call(ast.Name("range", ast.Load()), [ast.BinOp(copy.deepcopy(stop), ast.Sub(), ast.Constant(1))], []), {"by": "-1"}, None
        yield ast.Call(ast.Name("range", ast.Load()), [ast.Constant(1), copy.deepcopy(stop)], []), {"by": "from 1"}, None

    yield from _node_changes(text, definition, select, shift, lambda s, n: Code.WRONG_EPOCHS)


def _transpose(text: str, definition: ast.FunctionDef, roles: Roles, own: bool) -> Iterator[Change]:
    def select(node: ast.AST, root: ast.FunctionDef) -> bool:
        return (isinstance(node, ast.Attribute) and node.attr in ("T", "mT")) or (isinstance(node, ast.Call) and _call_name(node) == "t" and not node.args)

    def drop(node: ast.AST) -> Iterator[tuple[ast.AST, dict[str, Any], Optional[str]]]:
        if isinstance(node, ast.Attribute):
            yield copy.deepcopy(node.value), {}, None
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            yield copy.deepcopy(node.func.value), {}, None

    def code(statement: ast.stmt, node: ast.AST) -> Code:
        targets = statement.targets if isinstance(statement, ast.Assign) else []
        weight = any("weight" in ast.unparse(t) for t in targets)
        return Code.WEIGHT_NOT_TRANSPOSED if weight else Code.TRANSPOSED

    yield from _node_changes(text, definition, select, drop, code)


_BOUNDARY = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt}


def _compare(text: str, definition: ast.FunctionDef, roles: Roles, own: bool) -> Iterator[Change]:
    def select(node: ast.AST, root: ast.FunctionDef) -> bool:
        # never a loop's own condition: the variant could then run forever
        conditions = [n.test for n in ast.walk(root) if isinstance(n, ast.While)]
        return isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _BOUNDARY and not any(node is c for c in conditions)

    def flip(node: ast.AST) -> Iterator[tuple[ast.AST, dict[str, Any], Optional[str]]]:
        assert isinstance(node, ast.Compare)
        new = copy.deepcopy(node)
        new.ops = [_BOUNDARY[type(node.ops[0])]()]
        yield new, {}, None

    yield from _node_changes(text, definition, select, flip, lambda s, n: Code.WRONG_BOUNDARY)


def _bodies(definition: ast.FunctionDef) -> Iterator[list[ast.stmt]]:
    for node in ast.walk(definition):
        for field in ("body", "orelse"):
            body = getattr(node, field, None)
            if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
                yield body


def _statement_changes(text: str, definition: ast.FunctionDef, make: Callable[[list[ast.stmt], int], Optional[tuple[list[ast.stmt], Site, Code, dict[str, Any]]]]) -> Iterator[Change]:
    for body_index, body in enumerate(_bodies(definition)):
        for position in range(len(body)):
            copy_def = copy.deepcopy(definition)
            copy_body = list(_bodies(copy_def))[body_index]
            made = make(copy_body, position)
            if made is None:
                continue
            new_body, site, code, params = made
            copy_body[:] = new_body or [ast.Pass()]
            ast.fix_missing_locations(copy_def)
            original = body[position]
            yield copy_def, Site(_line(text, original), site.changed, site.before, site.after, original.lineno), code, params, None, None


def _drop_reset(text: str, definition: ast.FunctionDef, roles: Roles, own: bool) -> Iterator[Change]:
    def make(body: list[ast.stmt], position: int) -> Optional[tuple[list[ast.stmt], Site, Code, dict[str, Any]]]:
        if not _is_reset(body[position]):
            return None
        dropped = ast.unparse(body[position])
        return body[:position] + body[position + 1 :], Site("", "(left out)", dropped, ""), Code.GRAD_NOT_CLEARED, {}

    yield from _statement_changes(text, definition, make)


def _swap(text: str, definition: ast.FunctionDef, roles: Roles, own: bool) -> Iterator[Change]:
    def make(body: list[ast.stmt], position: int) -> Optional[tuple[list[ast.stmt], Site, Code, dict[str, Any]]]:
        if position + 1 >= len(body):
            return None
        first, second = body[position], body[position + 1]
        if isinstance(first, (ast.Return, ast.FunctionDef)) or isinstance(second, (ast.Return, ast.FunctionDef)):
            return None
        pair = (first, second)
        updates = [_is_parameter_update(s, roles.parameter) for s in pair]
        if any(_is_reset(s) for s in pair) and any(updates):
            code = Code.ZERO_GRAD_BEFORE_STEP
        elif any(_is_backward(s) for s in pair) and any(updates):
            code = Code.STEP_BEFORE_BACKWARD
        elif any(_is_record(s) for s in pair) and any(updates):
            code = Code.HISTORY_MISALIGNED
        else:
            code = Code.STEPS_SWAPPED
        new = body[:position] + [second, first] + body[position + 2 :]
        before, after = ast.unparse(first), ast.unparse(second)
        return new, Site("", f"{after}; {before}", f"{before}; {after}", f"{after}; {before}"), code, {"first": before, "second": after}

    yield from _statement_changes(text, definition, make)


def _hardcode(text: str, definition: ast.FunctionDef, roles: Roles, own: bool) -> Iterator[Change]:
    for role, names in ((Role.LEARNING_RATE, roles.learning_rate), (Role.EPOCHS, roles.epochs), (Role.HYPERPARAMETER, roles.hyperparameter)):
        for name in names:
            reads = [n for n in ast.walk(definition) if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)]
            if not reads:
                continue
            statement = _statement_of(definition, reads[0])
            copy_def = copy.deepcopy(definition)
            for node in [n for n in ast.walk(copy_def) if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)]:
                _replace(copy_def, node, ast.Name(f"__lecture_{name}__", ast.Load()))
            ast.fix_missing_locations(copy_def)
            code = Code.WRONG_LEARNING_RATE if role == Role.LEARNING_RATE else Code.WRONG_EPOCHS if role == Role.EPOCHS else Code.HARDCODED_VALUE
            site = Site(_line(text, statement), _line(text, statement), name, "", statement.lineno)
            yield copy_def, site, code, {"name": name}, None, name


def _recompute(text: str, definition: ast.FunctionDef, roles: Roles, own: bool) -> Iterator[Change]:
    """The forward pass computed again after the update, so that the loss recorded or returned is the updated one's."""
    for body_index, body in enumerate(_bodies(definition)):
        backward_at = next((i for i, s in enumerate(body) if _is_backward(s)), None)
        if not backward_at:
            continue
        update_at = next((i for i in range(backward_at + 1, len(body)) if _is_parameter_update(body[i], roles.parameter)), None)
        if update_at is None:
            continue
        after = update_at + 1
        while after < len(body) and _is_reset(body[after]):
            after += 1
        copy_def = copy.deepcopy(definition)
        copy_body = list(_bodies(copy_def))[body_index]
        forward = [copy.deepcopy(s) for s in copy_body[:backward_at] if isinstance(s, (ast.Assign, ast.AnnAssign))]
        if not forward:
            continue
        copy_body[after:after] = forward
        ast.fix_missing_locations(copy_def)
        moved = "; ".join(ast.unparse(s) for s in forward)
        site = Site(_line(text, body[update_at]), moved, moved, "", body[update_at].lineno)
        yield copy_def, site, Code.HISTORY_MISALIGNED, {"moved": moved}, None, None


def _arithmetic(text: str, definition: ast.FunctionDef, roles: Roles, own: bool) -> Iterator[Change]:
    """``*`` where the reference divides, ``/`` where it multiplies."""

    def select(node: ast.AST, root: ast.FunctionDef) -> bool:
        return isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div))

    def flip(node: ast.AST) -> Iterator[tuple[ast.AST, dict[str, Any], Optional[str]]]:
        assert isinstance(node, ast.BinOp)
        yield ast.BinOp(copy.deepcopy(node.left), ast.Div() if isinstance(node.op, ast.Mult) else ast.Mult(), copy.deepcopy(node.right)), {}, None

    yield from _node_changes(text, definition, select, flip, lambda s, n: Code.WRONG_OPERATOR)


def _hoist(text: str, definition: ast.FunctionDef, roles: Roles, own: bool) -> Iterator[Change]:
    """The forward pass computed once, before the loop: the statements before ``backward()`` moved out,
    the graph kept with ``retain_graph=True`` (with and without the gradient reset)."""
    for loop_index, loop in enumerate(n for n in ast.walk(definition) if isinstance(n, (ast.For, ast.While))):
        backward_at = next((i for i, s in enumerate(loop.body) if _is_backward(s)), None)
        if not backward_at:
            continue
        for drop_reset in (False, True):
            copy_def = copy.deepcopy(definition)
            copy_loop = [n for n in ast.walk(copy_def) if isinstance(n, (ast.For, ast.While))][loop_index]
            forward = copy_loop.body[:backward_at]
            rest = copy_loop.body[backward_at:]
            if drop_reset:
                if not any(_is_reset(s) for s in rest):
                    continue
                rest = [s for s in rest if not _is_reset(s)]
            first = rest[0]
            assert isinstance(first, ast.Expr) and isinstance(first.value, ast.Call)
            call = first.value
            call.keywords = [k for k in call.keywords if k.arg != "retain_graph"] + [ast.keyword("retain_graph", ast.Constant(True))]
            copy_loop.body = rest
            for body in _bodies(copy_def):
                for position, statement in enumerate(body):
                    if statement is copy_loop:
                        body[position:position] = forward
                        break
            ast.fix_missing_locations(copy_def)
            moved = "; ".join(ast.unparse(s) for s in forward)
            site = Site(_line(text, loop.body[0]), moved, moved, "", loop.body[0].lineno)
            yield copy_def, site, Code.FORWARD_OUTSIDE_LOOP, {"moved": moved}, None, None


_OPERATORS: tuple[tuple[Operator, Callable[[str, ast.FunctionDef, Roles, bool], Iterator[Change]]], ...] = (
    (Operator.DROP_RESET, _drop_reset),
    (Operator.SIGN, _sign),
    (Operator.REDUCTION, _reduction),
    (Operator.POWER, _power),
    (Operator.RANGE, _range),
    (Operator.HARDCODE, _hardcode),
    (Operator.FACTOR, _factor),
    (Operator.TRANSPOSE, _transpose),
    (Operator.COMPARE, _compare),
    (Operator.HOIST, _hoist),
    (Operator.RECOMPUTE, _recompute),
    (Operator.SWAP, _swap),
    (Operator.ARITHMETIC, _arithmetic),
)
