"""What every ft-migrate codemod shares: catalog access, name resolution, TODO markers.

Each codemod is a plain LibCST ``VisitorBasedCodemodCommand`` so it also runs
alone under ``python -m libcst.tool codemod codemods.<module>.<Class>``.  The
pieces here exist so that every codemod resolves names the same way (through
``QualifiedNameProvider`` plus single-assignment aliases such as
``ft = openai.FineTune``) and leaves the same kind of marker where it gives up:

    # TODO(ft-migrate FT010): <what to do and why>

on its own line above the statement, never twice, never commenting code out.  The
runner counts those markers in the output to report the manual items left.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
from typing import ClassVar, Mapping

import libcst as cst
from libcst.codemod import CodemodContext, VisitorBasedCodemodCommand
from libcst.codemod.visitors import AddImportsVisitor, RemoveImportsVisitor
from libcst.metadata import Assignment, QualifiedNameProvider, QualifiedNameSource, ScopeProvider

from migrator.advice import for_model as advise
from migrator.azure import azure_line_of
from migrator.attribute_aliases import self_attribute_value, self_attributes
from migrator.catalog import Catalog, load_catalog
from migrator.lifecycle import target_warnings
from migrator.todo_markers import todo_key, todo_text

# Keys of ``context.scratch`` shared with the runner.
SITES = "ft_migrate.sites"  # int: call sites and references migrated
# bool: the runner found no sign of Azure OpenAI in the whole source (each codemod looks otherwise)
NOT_AZURE = "ft_migrate.not_azure"
V0_MIGRATED = "ft_migrate.v0_migrated"  # bool: code now needs openai>=0.28.1,<1


# A placeholder for an expression inside text that is rewritten as text (a URL, a
# command line): private-use characters, which no real URL or argv word contains.
HOLE_RE = re.compile("\ue000\\d+\ue001")


def hole(i: int) -> str:
    return f"\ue000{i}\ue001"


def string_value(node: cst.CSTNode) -> str | None:
    """The value of a plain (non-f, non-bytes) string literal, else None."""
    if isinstance(node, cst.SimpleString) and "b" not in node.prefix.lower():
        try:
            value = node.evaluated_value
        except Exception:  # noqa: BLE001 - LibCST raises bare errors on odd escapes
            return None
        return value if isinstance(value, str) else None
    if isinstance(node, cst.ConcatenatedString):
        left, right = string_value(node.left), string_value(node.right)
        return None if left is None or right is None else left + right
    return None


def with_string_value(node: cst.SimpleString, value: str) -> cst.SimpleString:
    """``node`` holding ``value``, keeping its prefix and quote style."""
    quote = node.quote
    body = value.replace("\\", "\\\\").replace(quote[0], "\\" + quote[0]) if len(quote) == 1 else value
    return node.with_changes(value=f"{node.prefix}{quote}{body}{quote}")


def is_none(node: cst.CSTNode) -> bool:
    """The literal ``None``."""
    return isinstance(node, cst.Name) and node.value == "None"


def new_string(value: str, quote: str = '"') -> cst.SimpleString:
    return cst.SimpleString(f"{quote}{value}{quote}")


class MigrationCommand(VisitorBasedCodemodCommand):
    """Base of every ft-migrate codemod.

    Subclasses set ``ID`` (stable, ``FX0nn``), ``DESCRIPTION`` and ``RULE`` (the
    scan rule id their TODO markers carry).  ``catalog`` and ``model_map`` arrive
    from the runner; under ``libcst.tool`` the built-in catalog is used.
    """

    ID: ClassVar[str]
    RULE: ClassVar[str]
    METADATA_DEPENDENCIES = (QualifiedNameProvider, ScopeProvider)
    # Substrings without which the codemod cannot change a module: the runner skips
    # it (and its metadata resolution, the expensive part) when none occurs.
    TRIGGERS: ClassVar[tuple[str, ...]] = ("FineTune", "fine_tunes")
    # Words whose statements a large module must show the codemod (never punched out as
    # holes, see migrator/fix/holes.py), e.g. the name of a helper it writes only once.
    VISIBLE: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def applies(cls, code: str, catalog: Catalog, model_map: Mapping[str, str]) -> bool:
        return any(t in code for t in cls.TRIGGERS)

    @staticmethod
    def add_args(arg_parser: argparse.ArgumentParser) -> None:
        """Under ``python -m libcst.tool codemod``: the date and target ``fix`` would take."""
        arg_parser.add_argument("--as-of", metavar="YYYY-MM-DD", default=None,
                                help="Date the replacements are chosen for (default: today).")
        arg_parser.add_argument("--target", metavar="MODEL", default=None,
                                help="Replace every shut-down model with MODEL where it fits.")

    def __init__(self, context: CodemodContext, catalog: Catalog | None = None,
                 model_map: Mapping[str, str] | None = None, as_of: str | None = None,
                 target: str | None = None) -> None:
        super().__init__(context)
        if catalog is None:
            catalog = load_catalog(as_of=dt.date.fromisoformat(as_of) if as_of else None, target=target)
        self.catalog = catalog
        self.model_map = dict(model_map or {})
        self._statements: list[list[str]] = []
        self._attached: dict[cst.CSTNode, set[tuple[str, str]]] = {}
        self._alias_values: dict[cst.CSTNode, cst.BaseExpression] = {}
        self._kept_names: set[str] = set()
        self._self_attributes: dict | None = None
        self._module: cst.Module | None = None
        self._v1_client: bool | None = None

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        if not self.context.scratch.get(NOT_AZURE) and azure_line_of(tree.code) is not None:
            return tree  # its calls go to Azure deployments: scan reports each site as manual (migrator/azure.py)
        return super().transform_module_impl(tree)

    # -- bookkeeping shared with the runner -------------------------------
    def count_site(self, n: int = 1) -> None:
        self.context.scratch[SITES] = self.context.scratch.get(SITES, 0) + n

    def todo(self, message: str, rule: str | None = None) -> None:
        """Queue a TODO marker for the statement being visited."""
        if self._statements:
            text = todo_text(rule or self.RULE, message)
            if text not in self._statements[-1]:
                self._statements[-1].append(text)

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, cst.Module):
            self._v1_client = None
            self._collect_aliases(node)
            self._attached = attached_todos(node)
        if isinstance(node, cst.BaseStatement):
            self._statements.append([])
        return super().on_visit(node)

    def on_leave(self, original_node, updated_node):
        result = super().on_leave(original_node, updated_node)
        if isinstance(original_node, cst.BaseStatement):
            todos = self._statements.pop()
            if todos and isinstance(result, cst.BaseStatement):
                result = self._with_todos(result, todos, self._attached.get(original_node, set()))
        return result

    @staticmethod
    def _with_todos(stmt: cst.BaseStatement, todos: list[str],
                    present: set[tuple[str, str]]) -> cst.BaseStatement:
        """``stmt`` with the markers in ``todos`` whose key is not ``present`` yet
        (already above it in the source, or added by an earlier codemod)."""
        lines = list(stmt.leading_lines)
        present = present | _comment_keys(lines)
        added = [cst.EmptyLine(indent=True, whitespace=cst.SimpleWhitespace(""), comment=cst.Comment(t))
                 for t in todos if todo_key(t) not in present]
        if not added:
            return stmt
        return stmt.with_changes(leading_lines=[*lines, *added])

    # -- name resolution --------------------------------------------------
    def _collect_aliases(self, module: cst.Module) -> None:
        """Map each ``name = <expr>`` target to its value, for alias following; note the
        names used for a method with no equivalent (``FT.stream_events``), which must keep
        naming the legacy resource."""
        values = self._alias_values
        kept = self._kept_names = set()
        none = self.catalog.sdk.v0.without_equivalent

        class Collect(cst.CSTVisitor):
            def visit_Assign(self, node: cst.Assign) -> None:
                if len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
                    values[node.targets[0].target] = node.value

            def visit_Attribute(self, node: cst.Attribute) -> None:
                if node.attr.value in none and isinstance(node.value, cst.Name):
                    kept.add(node.value.value)

        module.visit(Collect())
        self._module = module
        self._self_attributes = None  # built when first asked for (see alias_value)

    def qualified(self, node: cst.CSTNode) -> set[str]:
        """Imported qualified names of ``node`` (an original node), following
        names bound once to an imported thing (``ft = openai.FineTune``)."""
        try:
            names = self.get_metadata(QualifiedNameProvider, node, set())
        except KeyError:
            return set()
        out = {q.name for q in names if q.source is QualifiedNameSource.IMPORT}
        if out:
            return out
        # Follow a local alias (the base name is assigned exactly once) or an attribute of
        # ``self`` bound once in the class (``self.ft = openai.FineTune``).
        base, rest = node, []
        while isinstance(base, cst.Attribute) and self.alias_value(base) is None:
            rest.insert(0, base.attr.value)
            base = base.value
        if not isinstance(base, (cst.Name, cst.Attribute)):
            return set()
        value = self.alias_value(base)
        if value is None:
            return set()
        return {".".join([q, *rest]) for q in self.qualified(value)}

    def alias_value(self, name: cst.Name | cst.Attribute) -> cst.BaseExpression | None:
        """The value of the single ``name = value`` assignment ``name`` refers to
        (or of the single ``self.attr = value`` binding, for ``self.attr`` in a method)."""
        if isinstance(name, cst.Attribute):
            return self_attribute_value(name, self._self_attribute_table, self._scope_of)
        try:
            scope = self.get_metadata(ScopeProvider, name, None)
        except KeyError:
            return None
        if scope is None:
            return None
        assignments = list(scope[name.value])
        if len(assignments) != 1 or not isinstance(assignments[0], Assignment):
            return None
        return self._alias_values.get(assignments[0].node)

    def _self_attribute_table(self) -> dict:
        if self._self_attributes is None:
            self._self_attributes = self_attributes(self._module)
        return self._self_attributes

    def _scope_of(self, node: cst.CSTNode):
        try:
            return self.get_metadata(ScopeProvider, node, None)
        except KeyError:
            return None

    def assigned_nodes(self, name: cst.Name) -> list[cst.CSTNode]:
        """The nodes that bind ``name`` where it is used (targets, params, ...)."""
        try:
            scope = self.get_metadata(ScopeProvider, name, None)
        except KeyError:
            return []
        if scope is None:
            return []
        return [a.node for a in scope[name.value] if isinstance(a, Assignment)]

    # -- the legacy SDK ----------------------------------------------------
    def legacy_call(self, call: cst.Call) -> tuple[str, str] | None:
        """``("v0"|"v1", method)`` when the original ``call`` is a legacy fine-tunes call.

        v0: the receiver resolves to ``openai.FineTune``.  v1: ``<x>.fine_tunes.<m>``
        where ``x`` is the ``openai`` module (its module-level client) or the module
        uses one of the catalog's client classes.
        """
        func = call.func
        if not isinstance(func, cst.Attribute):
            return None
        method = func.attr.value
        sdk = self.catalog.sdk
        if method in sdk.v0.methods and sdk.v0.legacy in self.qualified(func.value):
            return "v0", method
        receiver = func.value
        if (method in sdk.v1.methods and isinstance(receiver, cst.Attribute)
                and receiver.attr.value == sdk.v1.legacy
                and ("openai" in self.qualified(receiver.value) or self.uses_v1_client())):
            return "v1", method
        return None

    def uses_v1_client(self) -> bool:
        if self._v1_client is None:
            clients = set(self.catalog.sdk.v1.clients)
            provider = self.metadata.get(QualifiedNameProvider, {})
            self._v1_client = any(q.name in clients for node, names in provider.items()
                                  if isinstance(node, (cst.Name, cst.Attribute))
                                  for q in (names() if callable(names) else names))
        return self._v1_client

    def rename_resource(self, original: cst.BaseExpression,
                        updated: cst.BaseExpression) -> cst.BaseExpression | None:
        """``updated`` naming the v0 replacement resource (``openai.FineTuningJob``)
        where ``original`` names the legacy one directly (``oa.FineTune`` or an
        imported ``FineTune``/``FT``), scheduling the import edits; None otherwise."""
        legacy = self.catalog.sdk.v0.legacy
        module, _, old_attr = legacy.rpartition(".")
        if isinstance(original, cst.Attribute) and original.attr.value != old_attr:
            return None  # cheap test first: this runs for every name and attribute
        if legacy not in self.qualified(original):
            return None
        new_module, _, new_attr = self.catalog.sdk.v0.replacement.rpartition(".")
        if isinstance(original, cst.Attribute) and original.attr.value == old_attr:
            if "openai" not in self.qualified(original.value) or new_module != module:
                return None
            return updated.with_changes(attr=cst.Name(new_attr))
        if isinstance(original, cst.Name):
            names = self.get_metadata(QualifiedNameProvider, original, set())
            if not any(q.source is QualifiedNameSource.IMPORT and q.name == legacy for q in names):
                return None  # a local alias: its assignment is rewritten instead
            asname = None if original.value == old_attr else original.value
            if asname is not None and self.keeps_alias(asname):
                return updated  # ``FineTune as FT`` becomes ``FineTuningJob as FT`` (see keeps_alias)
            AddImportsVisitor.add_needed_import(self.context, new_module, new_attr)
            RemoveImportsVisitor.remove_unused_import(self.context, module, old_attr, asname=asname)
            return cst.Name(new_attr)
        return None

    def keeps_alias(self, asname: str) -> bool:
        """Whether ``from openai import FineTune as <asname>`` is renamed in place to
        ``FineTuningJob as <asname>``, every use of the alias following it: yes unless the
        alias is also used for a method with no equivalent, which must keep the legacy
        resource (then the uses that migrate name ``FineTuningJob``, imported beside)."""
        return asname not in self._kept_names

    def map_model(self, name: str, rule: str, purpose: str = "inference") -> str | None:
        """The model that replaces ``name`` on the catalog's date, or None.

        The user's ``--model-map`` wins.  Otherwise the lifecycle decides: a target
        is written only where a name swap keeps the program working; a target that
        will itself retire, or that trains on another data format, is written with
        a TODO saying so; where no swap is safe (the call must move to chat, nothing
        can be fine-tuned any more, a legacy fine-tune must be re-trained) the name
        stays and the TODO says what to do.  A shut-down model is never written.
        """
        if name in self.model_map:
            chosen = self.model_map[name]
            # scan reports a legacy fine-tune under FT021 whatever the call: the marker says the same
            mapped_rule = "FT021" if self.catalog.fine_tuned_base(name) is not None else rule
            for problem in target_warnings(self.catalog, chosen):
                self.todo(f"--model-map {name}={chosen}: {problem}", mapped_rule)
            return chosen
        model = self.catalog.legacy_model(name)
        if model is None:
            if self.catalog.fine_tuned_base(name) is not None:
                advice = advise(self.catalog, name, "fine-tuning")
                how = f" and pass --model-map {name}=<new ft:... name>" if advice.target else ""
                self.todo(f"{name!r} was fine-tuned through the legacy endpoint and shut down with it; "
                          f"{advice.extended(how)}", "FT021")
            return None
        advice = advise(self.catalog, name, purpose)
        if advice.write and model.fixable:
            res = advice.resolution
            if res.valid_until is not None or res.format_change is not None or res.caveats:
                self.todo(f"{name!r} was shut down: {advice.text}", rule)
            if model.format == "embedding" and model.note:  # stored vectors do not follow a name swap
                self.todo(f"{name!r} became {advice.write!r}: {model.note}", rule)
            return advice.write
        note = f": {model.note}" if model.note else ""
        self.todo(f"model {name!r} was shut down; {advice.text}{note}", "FT020")
        return None

    # -- a create request's fields (keyword arguments or a body dict) ------
    def model_value(self, value: cst.BaseExpression) -> cst.BaseExpression:
        """``value`` (a ``model`` given to a legacy create) naming its replacement."""
        name = string_value(value)
        if name is None:
            return value
        new = self.map_model(name, self.RULE, "fine-tuning")
        if new is None or name in self.model_map:
            self.note_chat(new or name)
        if new is None or not isinstance(value, cst.SimpleString):
            return value
        return with_string_value(value, new)

    def default_model(self) -> str | None:
        """The model to write where a legacy create gave none (the jobs API requires
        one), or None when nothing can be fine-tuned on the catalog's date."""
        default = self.catalog.request_fields["default_model"]
        model = self.map_model(default, self.RULE, "fine-tuning")
        if default in self.model_map:
            self.note_chat(model)
        return model

    def note_chat(self, model: str) -> None:
        """Chat models train on chat-format data, which a legacy training file is not."""
        entry = self.catalog.model(model) or self.catalog.model(self.catalog.base_of(model) or "")
        if entry is not None and entry.format == "chat":
            self.todo(f"{model} trains on chat-format data: convert the training file with "
                      f"`ft-migrate data convert`", self.RULE)

    def check_suffix(self, value: cst.BaseExpression, rule: str) -> None:
        """The jobs API rejects a suffix longer than the catalog's limit."""
        suffix = string_value(value)
        limit = self.catalog.request_fields["suffix_max_length"]
        if suffix is not None and len(suffix) > limit:
            self.todo(f"suffix {suffix!r} has {len(suffix)} characters; fine-tuned model names keep "
                      f"at most {limit}: shorten it", rule)

    def string_quote(self, *nodes: cst.CSTNode) -> str:
        """The quote character already used among ``nodes`` (default ``"``)."""
        for node in nodes:
            for s in _strings(node):
                if len(s.quote) == 1:
                    return s.quote
        return '"'


def attached_todos(module: cst.Module) -> dict[cst.CSTNode, set[tuple[str, str]]]:
    """The keys of the TODO markers above each statement of ``module``, wherever
    LibCST filed the comment lines.

    A marker written above a statement does not always come back from the parser
    in that statement's ``leading_lines``: above a module's (or a notebook's first
    cell's) first statement it is part of ``Module.header``, and after a block whose
    last lines are comments it can be in that block's ``footer``.  Every comment
    line between the end of the previous statement's code and this statement's
    first line counts as above it.
    """
    out: dict[cst.CSTNode, set[tuple[str, str]]] = {}

    def body(statements, pending: set[tuple[str, str]]) -> None:
        for stmt in statements:
            out[stmt] = pending | _comment_keys(stmt.leading_lines)
            for block in _blocks(stmt):
                body(block.body, set())
            elif_ = stmt
            while isinstance(elif_, cst.If) and isinstance(elif_.orelse, cst.If):
                # ``elif``: an If statement of its own, its marker above the ``elif`` line
                previous, elif_ = elif_, elif_.orelse
                above = previous.body.footer if isinstance(previous.body, cst.IndentedBlock) else ()  # `if x: y`
                out[elif_] = _comment_keys(above) | _comment_keys(elif_.leading_lines)
            pending = _tail_footers(stmt)

    body(module.body, _comment_keys(module.header))
    return out


def _comment_keys(lines) -> set[tuple[str, str]]:
    keys = (todo_key(line.comment.value) for line in lines if line.comment is not None)
    return {k for k in keys if k is not None}


def _blocks(stmt: cst.CSTNode) -> list[cst.IndentedBlock]:
    """The indented blocks directly under ``stmt`` (its body, else, except, finally ...), in source order."""
    found: list[cst.IndentedBlock] = []

    class Blocks(cst.CSTVisitor):
        def visit_IndentedBlock(self, node: cst.IndentedBlock) -> bool:
            found.append(node)
            return False

    for child in stmt.children:
        child.visit(Blocks())
    return found


def _last_block(stmt: cst.CSTNode) -> cst.IndentedBlock | None:
    blocks = _blocks(stmt)
    return blocks[-1] if blocks else None


def _tail_footers(stmt: cst.CSTNode) -> set[tuple[str, str]]:
    """Markers in the footers of the innermost blocks ``stmt`` ends with: the
    lines just above whatever follows it."""
    keys: set[tuple[str, str]] = set()
    block = _last_block(stmt)
    while block is not None:
        keys |= _comment_keys(block.footer)
        last = block.body[-1] if block.body else None
        block = _last_block(last) if isinstance(last, cst.BaseCompoundStatement) else None
    return keys


def merge_hyperparameters(existing: cst.BaseExpression | None,
                          moved: list[cst.DictElement]) -> cst.BaseExpression:
    """``{...}`` holding the moved flat arguments, merged into an existing value."""
    if existing is None:
        return cst.Dict(elements=moved)
    if isinstance(existing, cst.Dict):
        present = {string_value(e.key) for e in existing.elements if isinstance(e, cst.DictElement)}
        extra = [e for e in moved if string_value(e.key) not in present]
        if not extra:
            return existing
        elements = list(existing.elements)
        if elements and elements[-1].comma is cst.MaybeSentinel.DEFAULT:
            elements[-1] = elements[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        return existing.with_changes(elements=[*elements, *extra])
    return cst.Dict(elements=[cst.StarredDictElement(existing), *moved])


def _strings(node: cst.CSTNode):
    if isinstance(node, cst.SimpleString):
        yield node
        return
    for child in node.children:
        yield from _strings(child)
