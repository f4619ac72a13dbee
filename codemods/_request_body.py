"""A legacy create's request written as a dict literal: following it and rewriting it.

FX005 (``FineTune.create(**params)``) and FX006 (``requests.post(url, json=body)``)
both meet the fields of ``POST /v1/fine-tunes`` as a dict rather than as keyword
arguments.  They rewrite it the way FX001 rewrites keyword arguments (the
catalog's ``request_fields``): ``n_epochs``/``batch_size``/
``learning_rate_multiplier`` nested under ``"hyperparameters"``, ``model`` mapped
and written when missing, fields with no equivalent removed with a TODO.

That is only safe when the whole shape of the dict is visible, so
:func:`follow_dict` accepts a name only when it is bound once, in the same scope,
to a dict literal with string keys, and every other use is either a consumer the
codemod understands or a ``name["key"] = value`` statement (which is rewritten
too: ``name.setdefault("hyperparameters", {})["n_epochs"] = n``).  Anything else
(a parameter, a dict built by a call, ``update()``, a use in another function)
returns None and the caller leaves a TODO instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import libcst as cst
from libcst.metadata import Assignment, ParentNodeProvider, QualifiedNameProvider, ScopeProvider

from ft_migrate_codemods._base import MigrationCommand, is_none, merge_hyperparameters, new_string, string_value
from migrator.advice import for_model as advise

HYPERPARAMETERS = "hyperparameters"


class RequestBodyCommand(MigrationCommand):
    """Base of the codemods that rewrite request dicts.

    A subclass finds, in :meth:`plan` (run on the whole module before anything is
    rewritten, since a dict literal comes before the call that shows what it is
    for), the bodies to rewrite (:meth:`add_body`) and the calls that only get a
    TODO (:meth:`add_manual`); this class applies both during the transform.
    """

    METADATA_DEPENDENCIES = (QualifiedNameProvider, ScopeProvider, ParentNodeProvider)

    def plan(self, module: cst.Module) -> None:
        raise NotImplementedError

    def visit_Module(self, node: cst.Module) -> None:
        self._bodies: dict[cst.Dict, tuple[str, set[str], bool]] = {}  # literal -> rule, later keys, has model
        self._later: dict[cst.SimpleStatementLine, str] = {}
        self._updates: dict[cst.SimpleStatementLine, list[str]] = {}
        self._manual: dict[cst.Call, list[tuple[str, str]]] = {}  # call -> [(rule, message)]
        self.plan(node)

    def add_body(self, literal: cst.Dict | cst.Call, rule: str, *, has_model: bool,
                 followed: FollowedDict | None = None) -> None:
        later = followed.later if followed is not None else {}
        updates = followed.updates if followed is not None else {}
        keys = set(later.values()) | {k for ks in updates.values() for k in ks}
        self._bodies[literal] = (rule, keys, has_model)
        self._later.update(later)
        self._updates.update(updates)

    def add_manual(self, call: cst.Call, rule: str, message: str) -> None:
        self._manual.setdefault(call, []).append((rule, message))

    def visit_Call(self, node: cst.Call) -> None:
        for rule, message in self._manual.get(node, ()):
            self.todo(message, rule)

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        """A ``dict(key=value, ...)`` body: rewritten as the dict literal it equals, only if
        something in it has to change."""
        if original_node not in self._bodies:
            return updated_node
        rule, later_keys, has_model = self._bodies[original_node]
        quote = self.string_quote(updated_node)
        literal = cst.Dict([cst.DictElement(new_string(a.keyword.value, quote), a.value,
                                            comma=a.comma) for a in updated_node.args])
        rewritten = rewrite_body(self, literal, rule, later_keys=later_keys, has_model=has_model)
        return updated_node if rewritten is literal else rewritten

    def leave_Dict(self, original_node: cst.Dict, updated_node: cst.Dict) -> cst.Dict:
        if original_node not in self._bodies:
            return updated_node
        rule, later_keys, has_model = self._bodies[original_node]
        return rewrite_body(self, updated_node, rule, later_keys=later_keys, has_model=has_model)

    def leave_SimpleStatementLine(self, original_node: cst.SimpleStatementLine,
                                  updated_node: cst.SimpleStatementLine):
        if original_node in self._updates:
            return rewrite_update(self, updated_node)
        if original_node not in self._later:
            return updated_node
        return rewrite_later(self, updated_node, self._later[original_node])


@dataclass
class FollowedDict:
    """A dict literal whose every use is known."""

    literal: cst.Dict | cst.Call  # ``{...}`` or ``dict(key=value, ...)``
    consumers: list[cst.CSTNode] = field(default_factory=list)  # the parents of the consuming names
    later: dict[cst.SimpleStatementLine, str] = field(default_factory=dict)  # ``name[key] = v`` -> key
    updates: dict[cst.SimpleStatementLine, list[str]] = field(default_factory=dict)  # ``name.update(...)`` -> keys


def parent(command: MigrationCommand, node: cst.CSTNode) -> cst.CSTNode | None:
    return command.get_metadata(ParentNodeProvider, node, None)


def follow_dict(command: MigrationCommand, name: cst.Name,
                consumer: Callable[[cst.CSTNode], bool]) -> FollowedDict | None:
    """The dict literal ``name`` is bound to, if all its uses can be followed.

    ``consumer(parent_of_name)`` says whether a use is one the codemod rewrites for
    (``**name`` in a legacy create, ``json=name`` in a legacy POST)."""
    scope = command.get_metadata(ScopeProvider, name, None)
    if scope is None:
        return None
    assignments = list(scope[name.value])
    if len(assignments) != 1 or not isinstance(assignments[0], Assignment):
        return None
    assignment = assignments[0]
    literal = _bound_literal(command, assignment.node)
    if literal is None or assignment.scope is not scope:
        return None
    followed = FollowedDict(literal)
    for access in assignment.references:
        node = access.node
        if command.get_metadata(ScopeProvider, node, None) is not scope:
            return None
        up = parent(command, node)
        if up is not None and consumer(up):
            followed.consumers.append(up)
            continue
        update = _update_keys(command, up)
        if update is not None:
            followed.updates[update[0]] = update[1]
            continue
        later = _later_key(command, node, up)
        if later is None:
            return None
        followed.later[later[0]] = later[1]
    return followed if followed.consumers else None


def _bound_literal(command: MigrationCommand, target: cst.CSTNode) -> cst.Dict | None:
    """The dict literal of ``target = {...}`` (or ``target: T = {...}``) with string keys."""
    up = parent(command, target)
    if isinstance(up, cst.AssignTarget):
        assign = parent(command, up)
        value = assign.value if isinstance(assign, cst.Assign) and len(assign.targets) == 1 else None
    elif isinstance(up, cst.AnnAssign) and up.target is target:
        value = up.value
    else:
        return None
    if _dict_call(command, value):
        return value
    if not isinstance(value, cst.Dict):
        return None
    if not all(isinstance(e, cst.DictElement) and string_value(e.key) is not None for e in value.elements):
        return None
    return value


def _dict_call(command: MigrationCommand, value: cst.CSTNode | None) -> bool:
    """``value`` is ``dict(key=value, ...)`` (the builtin, keyword arguments only)."""
    return (isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value == "dict"
            and "builtins.dict" in {q.name for q in command.get_metadata(QualifiedNameProvider, value.func, set())}
            and all(a.keyword is not None and not a.star for a in value.args))


def _update_keys(command: MigrationCommand, up: cst.CSTNode | None
                 ) -> tuple[cst.SimpleStatementLine, list[str]] | None:
    """``(statement, keys)`` for ``name.update(key=v, ...)`` or ``name.update({"key": v, ...})``
    alone on its line (also the migrated ``name.setdefault("hyperparameters", {}).update(...)``,
    whose keys are the nested ones)."""
    if not (isinstance(up, cst.Attribute) and up.attr.value in ("update", "setdefault")):
        return None
    call = parent(command, up)
    if not isinstance(call, cst.Call):
        return None
    nested = up.attr.value == "setdefault"
    if nested:
        if not (call.args and string_value(call.args[0].value) == HYPERPARAMETERS):
            return None
        attr = parent(command, call)
        call = parent(command, attr) if isinstance(attr, cst.Attribute) and attr.attr.value == "update" else None
        if not isinstance(call, cst.Call):
            return None
    keys = _update_args(call)
    expr = parent(command, call)
    line = parent(command, expr) if isinstance(expr, cst.Expr) else None
    if keys is None or not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        return None
    return line, [HYPERPARAMETERS] if nested else keys


def _update_args(call: cst.Call) -> list[str] | None:
    """The keys an ``update(...)`` call sets, if it shows them all."""
    if all(a.keyword is not None and not a.star for a in call.args):
        return [a.keyword.value for a in call.args]
    if len(call.args) == 1 and call.args[0].keyword is None and not call.args[0].star:
        value = call.args[0].value
        if isinstance(value, cst.Dict) and all(isinstance(e, cst.DictElement) and string_value(e.key) is not None
                                               for e in value.elements):
            return [string_value(e.key) for e in value.elements]
    return None


def _later_key(command: MigrationCommand, name: cst.Name,
               up: cst.CSTNode | None) -> tuple[cst.SimpleStatementLine, str] | None:
    """``(statement, key)`` for ``name["key"] = v`` (or the already migrated
    ``name.setdefault("hyperparameters", {})["key"] = v``), alone on its line."""
    nested = False
    if isinstance(up, cst.Attribute) and up.attr.value == "setdefault":
        call = parent(command, up)
        if not (isinstance(call, cst.Call) and call.args and string_value(call.args[0].value) == HYPERPARAMETERS):
            return None
        up = parent(command, call)
        nested = True
    if not (isinstance(up, cst.Subscript) and len(up.slice) == 1 and isinstance(up.slice[0].slice, cst.Index)):
        return None
    key = string_value(up.slice[0].slice.value)
    target = parent(command, up)
    assign = parent(command, target) if isinstance(target, cst.AssignTarget) else None
    line = parent(command, assign) if isinstance(assign, cst.Assign) and len(assign.targets) == 1 else None
    if key is None or not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        return None
    return line, HYPERPARAMETERS if nested else key


def manual_message(command: MigrationCommand, what: str) -> str:
    """The TODO for a request dict whose shape cannot be followed."""
    fields = command.catalog.request_fields
    return (f"{what} cannot be followed here; in it move {', '.join(fields['into_hyperparameters'])} "
            f"under \"{HYPERPARAMETERS}\", set \"model\" (required now; the legacy default was "
            f"{fields['default_model']}, {_replacement(command, fields['default_model'])}) and remove "
            f"{', '.join(fields['dropped'])}")


def _replacement(command: MigrationCommand, name: str) -> str:
    """``now davinci-002`` where a swap is all it takes, else what to do instead."""
    advice = advise(command.catalog, name, "fine-tuning")
    if advice.write and advice.resolution.valid_until is None and advice.resolution.format_change is None:
        return f"now {advice.write}"
    return advice.text


def rewrite_body(command: MigrationCommand, body: cst.Dict, rule: str, *, later_keys: set[str],
                 has_model: bool) -> cst.Dict:
    """``body`` as the jobs API expects it.  ``later_keys`` are set by later
    ``name[key] = v`` statements; ``has_model``: the consumer passes ``model`` itself."""
    fields = command.catalog.request_fields
    into, dropped = set(fields["into_hyperparameters"]), set(fields["dropped"])
    quote = command.string_quote(body)
    elements = list(body.elements)
    out: list[tuple[cst.DictElement, int]] = []  # with the index of the element it came from
    moved: list[cst.DictElement] = []
    existing: cst.DictElement | None = None
    slot: int | None = None
    removed: list[str] = []
    for i, element in enumerate(elements):
        key = string_value(element.key)
        if key in into and is_none(element.value):
            continue  # the legacy default: the jobs API takes "auto" or a number, so it goes
        if key in into or key == HYPERPARAMETERS:
            if key == HYPERPARAMETERS:
                existing = element
            else:
                moved.append(element.with_changes(comma=cst.MaybeSentinel.DEFAULT))
            if slot is None:
                slot = len(out)
                out.append((element, i))
            continue
        if key in dropped:
            removed.append(key)
            continue
        if key == "model":
            element = element.with_changes(value=command.model_value(element.value))
        elif key == "suffix":
            command.check_suffix(element.value, rule)
        out.append((element, i))
    removed += sorted(k for k in later_keys if k in dropped)
    if removed:
        command.todo(f"removed {', '.join(dict.fromkeys(removed))}: {fields['dropped_reason']}", rule)
    if slot is not None and moved:
        first, i = out[slot]
        value = merge_hyperparameters(existing.value if existing is not None else None, moved)
        out[slot] = (first.with_changes(key=new_string(HYPERPARAMETERS, quote), value=value), i)
    if out and out[-1][1] < len(elements) - 1:  # the last element went: its successor ends the dict
        out[-1] = (out[-1][0].with_changes(comma=elements[-1].comma), out[-1][1])
    new = [e for e, _ in out]
    if not has_model and "model" not in later_keys and not any(string_value(e.key) == "model" for e in new):
        model = command.default_model()
        if model is not None:
            new = _with_model(new, new_string(model, quote), quote)
    result = body.with_changes(elements=new)
    if result.deep_equals(body):
        return body
    command.count_site()
    return result


def _with_model(out: list[cst.DictElement], model: cst.SimpleString, quote: str) -> list[cst.DictElement]:
    """``out`` with ``"model": ...`` after ``"training_file"`` (else last), laid out like its neighbours."""
    at = next((k for k, e in enumerate(out) if string_value(e.key) == "training_file"), len(out) - 1)
    new = cst.DictElement(new_string("model", quote), model)
    if at < 0:
        return [new]
    anchor = out[at]
    new = new.with_changes(comma=anchor.comma, whitespace_before_colon=anchor.whitespace_before_colon,
                           whitespace_after_colon=anchor.whitespace_after_colon)
    if at == len(out) - 1:
        inner = out[at - 1].comma if at > 0 and isinstance(out[at - 1].comma, cst.Comma) else None
        anchor = anchor.with_changes(comma=inner or cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    return [*out[:at], anchor, new, *out[at + 1:]]


def rewrite_later(command: MigrationCommand, line: cst.SimpleStatementLine, key: str
                  ) -> cst.SimpleStatementLine | cst.RemovalSentinel:
    """A later ``name[key] = v`` statement, as the jobs API body needs it."""
    fields = command.catalog.request_fields
    assign = line.body[0]
    if key in fields["dropped"]:
        return cst.RemoveFromParent()  # named in the TODO at the dict itself
    if key == "model":
        return line.with_changes(body=[assign.with_changes(value=command.model_value(assign.value))])
    if key not in fields["into_hyperparameters"]:
        return line
    target = assign.targets[0].target
    quote = command.string_quote(target)
    nested = cst.Call(cst.Attribute(target.value, cst.Name("setdefault")),
                      args=[cst.Arg(new_string(HYPERPARAMETERS, quote)), cst.Arg(cst.Dict([]))])
    command.count_site()
    return line.with_changes(body=[assign.with_changes(
        targets=[assign.targets[0].with_changes(target=target.with_changes(value=nested))])])


def rewrite_update(command: MigrationCommand, line: cst.SimpleStatementLine
                   ) -> cst.SimpleStatementLine | cst.FlattenSentinel | cst.RemovalSentinel:
    """A later ``name.update(...)`` as the jobs API body needs it: the keys that moved under
    ``"hyperparameters"`` go to ``name.setdefault("hyperparameters", {}).update(...)`` (a
    statement of their own after the rest), dropped keys go (named in the TODO at the dict)."""
    fields = command.catalog.request_fields
    call = line.body[0].value
    target = call.func.value
    if isinstance(target, cst.Call):  # already name.setdefault("hyperparameters", {}).update(...)
        return line
    keyword = all(a.keyword is not None for a in call.args)
    items = list(call.args) if keyword else list(call.args[0].value.elements)

    def key(item) -> str:
        return item.keyword.value if keyword else string_value(item.key)

    def with_items(chosen: list, receiver: cst.BaseExpression) -> cst.SimpleStatementLine:
        chosen = [i.with_changes(value=command.model_value(i.value)) if key(i) == "model" else i for i in chosen]
        if chosen:
            last = items[-1].comma if isinstance(items[-1].comma, cst.Comma) else cst.MaybeSentinel.DEFAULT
            chosen[-1] = chosen[-1].with_changes(comma=last)
            for k, item in enumerate(chosen[:-1]):
                if not isinstance(item.comma, cst.Comma):
                    chosen[k] = item.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        args = chosen if keyword else [call.args[0].with_changes(value=call.args[0].value.with_changes(
            elements=chosen))]
        new_call = call.with_changes(func=call.func.with_changes(value=receiver), args=args)
        return line.with_changes(body=[line.body[0].with_changes(value=new_call)])

    into = [i for i in items if key(i) in fields["into_hyperparameters"]]
    rest = [i for i in items if key(i) not in fields["into_hyperparameters"] and key(i) not in fields["dropped"]]
    if len(into) + len(rest) == len(items) and not into:
        return with_items(rest, target) if any(key(i) == "model" for i in rest) else line
    command.count_site()
    quote = command.string_quote(call)
    nested = cst.Call(cst.Attribute(target, cst.Name("setdefault")),
                      args=[cst.Arg(new_string(HYPERPARAMETERS, quote),
                                    comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
                            cst.Arg(cst.Dict([]))])
    out = []
    if rest:
        out.append(with_items(rest, target))
    if into:
        moved = with_items(into, nested)
        out.append(moved.with_changes(leading_lines=[]) if out else moved)
    if not out:
        return cst.RemoveFromParent()
    return out[0] if len(out) == 1 else cst.FlattenSentinel(out)
