"""The rules: their stable ids (:mod:`migrator.rules.ids`), and the Python rule families,
one module per family, each registered with :func:`rule`.

A family watches the kinds of node it cares about during the one walk of the
facts pass (:class:`migrator.rules.facts.Facts`) and reports its findings there;
what needs the whole module (is an OpenAI client used anywhere? where does this
name's value come from?) it settles in :meth:`Family.finish`.  Families are found
by listing this package, as django-upgrade finds its fixers, so a new rule is a
new module here and a fixture folder.  ``order`` fixes which family sees a node
first where two care about the same one: a string naming the resource is not
also read as a command line, a command line not also as a URL.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from typing import TYPE_CHECKING, Callable

from migrator.rules.ids import HELP_URI, RULES

if TYPE_CHECKING:
    from migrator.rules.facts import Arg, Facts

__all__ = ["HELP_URI", "RULES", "Family", "families", "rule"]
_REGISTERED: list[type["Family"]] = []
# Modules of this package that are not families.
_NOT_FAMILIES = frozenset({"facts", "ids"})


def rule(*ids: str, fixes: tuple[str, ...] = (), order: int) -> Callable[[type["Family"]], type["Family"]]:
    """Register a family of rules: the ids it reports, the codemods (FXnnn) that fix them."""
    def register(cls: type[Family]) -> type[Family]:
        cls.ids, cls.fixes, cls.order = ids, fixes, order
        _REGISTERED.append(cls)
        return cls
    return register


def families() -> list[type["Family"]]:
    """Every registered family, in order."""
    for module in pkgutil.iter_modules(__path__):
        if module.name not in _NOT_FAMILIES:
            importlib.import_module(f"{__name__}.{module.name}")
    return sorted(_REGISTERED, key=lambda cls: cls.order)


class Family:
    """A family of rules: its hooks, each doing nothing unless the family overrides it."""

    ids: tuple[str, ...] = ()
    fixes: tuple[str, ...] = ()
    order: int = 0

    def __init__(self, facts: Facts):
        self.facts = facts

    def module(self, node: ast.Module) -> None: ...

    def assign(self, node: ast.Assign) -> None: ...

    def call(self, node: ast.Call, names: set[str], args: list[Arg]) -> None: ...

    def decorator(self, node: ast.expr) -> None: ...

    def class_def(self, node: ast.ClassDef) -> None: ...

    def dict(self, node: ast.Dict) -> None: ...

    def subscript(self, node: ast.Subscript) -> None: ...

    def attribute(self, node: ast.Attribute, names: set[str]) -> None: ...

    def name(self, node: ast.Name, names: set[str]) -> None: ...

    def fstring(self, node: ast.JoinedStr, text: str) -> None:
        """An f-string (its text pieces joined, a placeholder for each value), before :meth:`string_text`."""

    def string_text(self, node: ast.AST, text: str) -> bool:
        """The text of a string token; True when this family took it, so later ones do not."""
        return False

    def literal(self, node: ast.Constant, text: str) -> None:
        """A plain (not formatted) string token, after :meth:`string_text`."""

    def finish(self) -> None:
        """What needs the whole module, once the walk is over."""
