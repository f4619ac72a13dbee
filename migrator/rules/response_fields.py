"""FT030/FT031: fields and statuses of the legacy fine-tune object (fixed by FX003).

``job["hyperparams"]``, ``job.training_files``, ``job["result_files"][0]["id"]`` and
``status == "pending"`` mean nothing on a fine-tuning job; they are reported only
in modules that use the legacy API, where the object can be a legacy fine-tune.

FX003 rewrites them only on values it follows from a legacy call.  A function's
parameter is never one (``def show(order): order["status"] == "pending"`` may hold
anything), nor is a status compared with something other than a ``status``
field: those are reported as work for a person, not as fixable.
"""

from __future__ import annotations

import ast
import dataclasses

from migrator.findings import Finding
from migrator.rules import Family, rule
from migrator.scan.common import finding


@rule("FT030", "FT031", fixes=("FX003",), order=50)
class ResponseFields(Family):
    def __init__(self, facts):
        super().__init__(facts)
        self.fields: list[ast.AST] = []  # subscripts and attributes that may read a legacy field
        self.statuses: list[ast.Constant] = []

    def subscript(self, node: ast.Subscript) -> None:
        if self.facts.subscript_key(node) is not None:
            self.facts.handled.add(id(node.slice))
            self.fields.append(node)

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

    def field(self, node: ast.AST) -> None:
        f = self.facts
        key = f.subscript_key(node) if isinstance(node, ast.Subscript) else node.attr  # type: ignore[attr-defined]
        if key == "id":
            inner = node.value  # type: ignore[attr-defined]
            if isinstance(inner, ast.Subscript) and self.field_of(inner.value) == "result_files":
                f.add(self.unless_parameter(inner.value.value, finding(  # type: ignore[attr-defined]
                    f.path, f.span(node), "FT030", "response-field", 'result_files[i]["id"]', "result_files[i]", True,
                    'result_files of a fine-tuning job are file id strings, not file objects: drop the ["id"]')))
            return
        if key in ("hyperparams", "training_files", "validation_files"):
            entry = f.catalog.response_fields[key]
            f.add(self.unless_parameter(node.value, finding(  # type: ignore[attr-defined]
                f.path, f.span(node), "FT030", "response-field", key, entry["replacement"], True,
                f"the fine-tuning job has no {key!r}: use {entry['replacement']!r} ({entry['note']})")))

    def status(self, node: ast.Constant) -> None:
        f = self.facts
        parent = f.m.parent(node)
        while isinstance(parent, (ast.Tuple, ast.List, ast.Set)):
            parent = f.m.parent(parent)
        if not isinstance(parent, ast.Compare):
            return
        new = f.catalog.statuses.new_for_legacy
        found = finding(f.path, f.span(node), "FT031", "response-field", node.value, " or ".join(new), True,
                        f"fine-tuning jobs never report status {node.value!r}: "
                        f"they report {' / '.join(repr(s) for s in new)} before 'running'")
        left = parent.left
        if self.field_of(left) != "status":
            found = dataclasses.replace(found, fixable=False, message=f"{found.message}; it is compared here with "
                                        f"{f.raw(left)!r}, not a job's status field: check by hand")
        else:
            found = self.unless_parameter(left.value, found)  # type: ignore[attr-defined]
        f.add(found)

    def unless_parameter(self, receiver: ast.AST, found: Finding) -> Finding:
        """``found`` as work for a person when ``receiver`` is a parameter of its function."""
        if not isinstance(receiver, ast.Name):
            return found
        bindings = self.facts.m.lookup(receiver, receiver.id)
        if not bindings or not all(isinstance(b.node, ast.arg) for b in bindings):
            return found
        return dataclasses.replace(found, fixable=False, message=f"{found.message}; {receiver.id!r} is a parameter "
                                   f"here: fix cannot tell whether it holds a fine-tune, so check by hand")

    def field_of(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Subscript):
            return self.facts.subscript_key(node)
        if isinstance(node, ast.Attribute):
            return node.attr
        return None
