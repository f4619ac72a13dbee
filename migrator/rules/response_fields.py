"""FT030/FT031: fields and statuses of the legacy fine-tune object (fixed by FX003).

``job["hyperparams"]``, ``job.training_files``, ``job["result_files"][0]["id"]`` and
``status == "pending"`` mean nothing on a fine-tuning job; they are reported only
in modules that use the legacy API, where the object can be a legacy fine-tune.
"""

from __future__ import annotations

import ast

from migrator.rules import Family, rule
from migrator.scan.common import finding


@rule("FT030", "FT031", fixes=("FX003",), order=50)
class ResponseFields(Family):
    def __init__(self, facts):
        super().__init__(facts)
        self.fields: list[ast.AST] = []  # subscripts and attributes that may read a legacy field
        self.statuses: list[ast.Constant] = []
        self.indexes: list[ast.Subscript] = []  # x[0], x[-1]: maybe of a listing of events

    def subscript(self, node: ast.Subscript) -> None:
        if self.facts.subscript_key(node) is not None:
            self.facts.handled.add(id(node.slice))
            self.fields.append(node)
        elif _is_index(node.slice):
            self.indexes.append(node)

    def attribute(self, node: ast.Attribute, names: set[str]) -> None:
        if node.attr in self.facts.catalog.response_fields or node.attr == "id":
            self.fields.append(node)

    def literal(self, node: ast.Constant, text: str) -> None:
        if text in self.facts.catalog.statuses.legacy_only:
            self.statuses.append(node)

    def finish(self) -> None:
        if not self.facts.uses_legacy_api:
            return
        for node in self.fields:
            self.field(node)
        for node in self.statuses:
            self.status(node)
        for node in self.indexes:
            if self.event_data(node.value, set()):
                f = self.facts
                f.add(finding(f.path, f.span(node), "FT030", "response-field", "events[i]", None, False,
                              "fine-tuning job events are listed newest-first (legacy: oldest-first) and paged: "
                              "this index now counts from the newest; flip it or iterate reversed(...)"))

    # -- events, listed oldest-first by the legacy API and newest-first now ------------------
    def event_data(self, node: ast.expr, seen: set[int]) -> bool:
        """``node`` is the ``data`` of a legacy events listing, or a name bound only to one."""
        if isinstance(node, ast.Name):
            return self.bound_only_to(node, lambda value: self.event_data(value, seen), seen)
        if not (isinstance(node, ast.Subscript) and self.facts.subscript_key(node) == "data"):
            return False
        listing = node.value
        if isinstance(listing, ast.Name):
            return self.bound_only_to(listing, self.events_call, seen)
        return self.events_call(listing)

    def events_call(self, value: ast.expr) -> bool:
        """A legacy ``list_events`` call (awaited or not), not streamed."""
        f = self.facts
        value = value.value if isinstance(value, ast.Await) else value
        if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)
                and value.func.attr.removeprefix("a") == "list_events"
                and not any(k.arg == "stream" for k in value.keywords)):
            return False
        receiver = value.func.value
        v1 = f.catalog.sdk.v1
        return f.is_resource(receiver) or (isinstance(receiver, ast.Attribute) and receiver.attr == v1.legacy
                                           and (f.uses_client or f.v1_target(receiver.value)))

    def bound_only_to(self, name: ast.Name, test, seen: set[int]) -> bool:
        """Every assignment of ``name`` is ``name = value`` with ``test(value)``."""
        m = self.facts.m
        bindings = m.lookup(name, name.id)
        if not bindings or any(id(b.node) in seen for b in bindings):
            return False
        seen.update(id(b.node) for b in bindings)
        for b in bindings:
            parent = m.parent(b.node)
            if not (isinstance(b.node, ast.Name) and isinstance(parent, ast.Assign) and len(parent.targets) == 1
                    and parent.targets[0] is b.node and test(parent.value)):
                return False
        return True

    def field(self, node: ast.AST) -> None:
        f = self.facts
        key = f.subscript_key(node) if isinstance(node, ast.Subscript) else node.attr  # type: ignore[attr-defined]
        if key == "id":
            inner = node.value  # type: ignore[attr-defined]
            if isinstance(inner, ast.Subscript) and self.field_of(inner.value) == "result_files":
                f.add(finding(f.path, f.span(node), "FT030", "response-field", 'result_files[i]["id"]',
                              "result_files[i]", True,
                              'result_files of a fine-tuning job are file id strings, not file objects: drop the ["id"]'))
            return
        if key in ("hyperparams", "training_files", "validation_files"):
            entry = f.catalog.response_fields[key]
            f.add(finding(f.path, f.span(node), "FT030", "response-field", key, entry["replacement"], True,
                          f"the fine-tuning job has no {key!r}: use {entry['replacement']!r} ({entry['note']})"))

    def status(self, node: ast.Constant) -> None:
        f = self.facts
        parent = f.m.parent(node)
        while isinstance(parent, (ast.Tuple, ast.List, ast.Set)):
            parent = f.m.parent(parent)
        if not isinstance(parent, ast.Compare):
            return
        new = f.catalog.statuses.new_for_legacy
        f.add(finding(f.path, f.span(node), "FT031", "response-field", node.value, " or ".join(new), True,
                      f"fine-tuning jobs never report status {node.value!r}: "
                      f"they report {' / '.join(repr(s) for s in new)} before 'running'"))

    def field_of(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Subscript):
            return self.facts.subscript_key(node)
        if isinstance(node, ast.Attribute):
            return node.attr
        return None


def _is_index(node: ast.expr) -> bool:
    """An integer index: ``0``, ``-1``."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node = node.operand
    return isinstance(node, ast.Constant) and type(node.value) is int
