"""Attributes of ``self`` bound once in a class: ``self.ft = openai.FineTune`` as an alias.

Services keep the SDK resource on the object (``self.ft = openai.FineTune`` in
``__init__``, ``self.ft.create(...)`` in a method).  Both the scanner and the
codemods follow such an attribute to its value when every binding of it in the
class's methods is that one plain assignment; anything else (a second
assignment, ``+=``, an assignment outside the class) makes it unknown.
"""

from __future__ import annotations

from typing import Callable

import libcst as cst
from libcst.metadata import Assignment, ClassScope, FunctionScope, Scope

# (class, attribute name) -> the values bound to self.<name> in its methods (None: not a plain value)
Table = dict[tuple[cst.ClassDef, str], list[cst.BaseExpression | None]]


def self_attributes(module: cst.Module) -> Table:
    """Every binding of ``self.<name>`` in the methods of each class of ``module``."""
    table: Table = {}

    class Methods(cst.CSTVisitor):
        def visit_ClassDef(self, node: cst.ClassDef) -> None:
            for stmt in node.body.body:
                if isinstance(stmt, cst.FunctionDef) and stmt.params.params:
                    stmt.visit(_Bindings(node, stmt.params.params[0].name.value, table))

    module.visit(Methods())
    return table


class _Bindings(cst.CSTVisitor):
    def __init__(self, owner: cst.ClassDef, me: str, table: Table) -> None:
        super().__init__()
        self.owner, self.me, self.table = owner, me, table

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False  # a nested class has its own self

    def _bind(self, target: cst.BaseExpression, value: cst.BaseExpression | None) -> None:
        if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and target.value.value == self.me:
            self.table.setdefault((self.owner, target.attr.value), []).append(value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._bind(element.value, None)

    def visit_Assign(self, node: cst.Assign) -> None:
        for t in node.targets:
            self._bind(t.target, node.value if len(node.targets) == 1 else None)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._bind(node.target, None)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._bind(node.target, node.value)


def self_attribute_value(node: cst.CSTNode, table: Table | Callable[[], Table],
                         scope_of: Callable[[cst.CSTNode], Scope | None]) -> cst.BaseExpression | None:
    """The one value ``node`` (``self.<name>`` inside a method) was bound to, else None.

    ``table`` may be a function that builds it, called only for a ``self.<name>`` in a method."""
    if not (isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name)):
        return None
    scope = scope_of(node.value)
    if not isinstance(scope, FunctionScope) or not isinstance(scope.parent, ClassScope):
        return None
    method = scope.node
    if not (isinstance(method, cst.FunctionDef) and method.params.params
            and method.params.params[0].name.value == node.value.value):
        return None
    assignments = list(scope[node.value.value])
    if len(assignments) != 1 or not isinstance(assignments[0], Assignment) \
            or assignments[0].node is not method.params.params[0]:
        return None  # ``self`` rebound in the method
    values = (table() if callable(table) else table).get((scope.parent.node, node.attr.value), [])
    return values[0] if len(values) == 1 else None
