"""FX009: follow a job's events by polling, where the code streamed them.

Before::

    for event in openai.FineTune.stream_events(job_id):
        print(event["message"])
    first = openai.FineTune.list_events(job_id)["data"][0]

After::

    def _ft_migrate_follow_events(jobs, job_id, poll_seconds=5):
        ...  # generated: pages list_events back with after=, yields oldest first

    for event in _ft_migrate_follow_events(openai.FineTuningJob, job_id):
        print(event["message"])
    first = next(_ft_migrate_follow_events(openai.FineTuningJob, job_id))

The jobs API cannot stream events, and lists them newest first in pages.  A loop
over ``FineTune.stream_events(id)``, ``FineTune.list_events(id, stream=True)`` or
``client.fine_tunes.list_events(id, stream=True)`` becomes a loop over a small
helper, written once per module just before the code that first uses it: it lists the job's events
(paging back with ``after=`` until it meets one already seen), yields the new ones
oldest first, as the stream did, and polls until the job's status is final (the
catalog's terminal statuses), so the loop body runs unchanged and the loop still
ends when the job does.  The helper takes the jobs resource
(``openai.FineTuningJob`` or ``client.fine_tuning.jobs``), so the user's client,
with its key and base URL, is the one that polls.  ``listing["data"][0]`` on a
legacy listing (the oldest event: legacy listings were oldest first and
complete; called there or bound once to a name) becomes the first event the same
helper yields.

With ``--compat-module`` the helper is imported from ``ft_migrate_compat.py``,
which ``fix`` writes beside the code, instead of being written into the module.
Any other use of a stream (extra arguments, async, outside a loop) keeps FX004's
TODO.  Runs before FX004 and FX003, which would otherwise mark these calls.
"""

from __future__ import annotations

import argparse
import os
from typing import Mapping

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor
from libcst.metadata import ParentNodeProvider, QualifiedNameProvider, ScopeProvider

from ft_migrate_codemods._base import V0_MIGRATED, MigrationCommand, string_value
from migrator.catalog import Catalog
from migrator.code_shapes import EVENT_HELPER, EVENT_ID_KEYWORDS

COMPAT_MODULE = "ft_migrate_compat"
COMPAT_NAME = "follow_events"
# context.scratch key: the runner asks for the compat module (``fix --compat-module``).
COMPAT = "ft_migrate.compat_module"
# Keyword names the job id is passed under (v0 ``id``, v1 ``fine_tune_id``).
POLL_SECONDS = 5


def helper_source(catalog: Catalog, name: str = EVENT_HELPER) -> str:
    """The helper function's source (with ``import time`` expected at module level)."""
    terminal = ", ".join(f'"{s}"' for s in catalog.statuses.terminal)
    return f'''def {name}(jobs, job_id, poll_seconds={POLL_SECONDS}):
    """The events of fine-tuning job ``job_id``, oldest first, until the job has finished.

    Written by ft-migrate where the code followed the legacy event stream, which the
    fine-tuning jobs API does not have.  ``jobs`` (openai.FineTuningJob or
    client.fine_tuning.jobs) lists events newest first, in pages: each poll pages back
    with ``after`` until it meets an event already seen, yields the new ones oldest
    first, and polling stops once the job's status is final and every event is out.
    """
    seen = set()
    finished = False
    while True:
        new = []
        page = jobs.list_events(job_id, limit=100)
        while True:
            fresh = [event for event in page.data if event.id not in seen]
            new.extend(fresh)
            if not fresh or len(fresh) < len(page.data) or not getattr(page, "has_more", False):
                break
            page = jobs.list_events(job_id, after=page.data[-1].id, limit=100)
        for event in reversed(new):
            seen.add(event.id)
            yield event
        if finished:
            return
        finished = jobs.retrieve(job_id).status in ({terminal})
        if not finished:
            time.sleep(poll_seconds)
'''


def compat_source(catalog: Catalog) -> str:
    """The ``ft_migrate_compat.py`` module ``fix --compat-module`` writes beside the code."""
    return ('"""Helpers ft-migrate wrote for code moved to the fine-tuning jobs API."""\n\n'
            "import time\n\n\n" + helper_source(catalog, COMPAT_NAME))


class EventStreamsToPollingCommand(MigrationCommand):
    ID = "FX009"
    VISIBLE = (EVENT_HELPER,)
    RULE = "FT010"
    DESCRIPTION = "Loop over a generated helper that polls list_events where the code streamed events."
    METADATA_DEPENDENCIES = (QualifiedNameProvider, ScopeProvider, ParentNodeProvider)

    @classmethod
    def applies(cls, code: str, catalog: Catalog, model_map: Mapping[str, str]) -> bool:
        return super().applies(code, catalog, model_map) and ("stream" in code or "list_events" in code)

    @staticmethod
    def add_args(arg_parser: argparse.ArgumentParser) -> None:
        MigrationCommand.add_args(arg_parser)
        arg_parser.add_argument("--compat-module", action="store_true",
                                help=f"Import the helper from {COMPAT_MODULE}.py instead of writing it in.")

    def __init__(self, context: CodemodContext, catalog: Catalog | None = None,
                 model_map: Mapping[str, str] | None = None, as_of: str | None = None,
                 target: str | None = None, compat_module: bool = False) -> None:
        super().__init__(context, catalog, model_map, as_of, target)
        self.compat_module = compat_module or bool(context.scratch.get(COMPAT))

    def visit_Module(self, node: cst.Module) -> None:
        self._used = False

    # -- what is rewritten ------------------------------------------------------
    def _stream(self, call: cst.Call) -> tuple[str, cst.Arg] | None:
        """``(generation, job id argument)`` of a legacy event stream called with the id alone."""
        func = call.func
        if not isinstance(func, cst.Attribute):
            return None
        method = func.attr.value
        if method == "stream_events":
            if self.catalog.sdk.v0.legacy not in self.qualified(func.value):
                return None
            generation, rest = "v0", list(call.args)
        else:
            match = self.legacy_call(call)
            if match is None or match[1] != "list_events":
                return None
            stream = [a for a in call.args if a.keyword is not None and a.keyword.value == "stream"]
            if len(stream) != 1 or not (isinstance(stream[0].value, cst.Name) and stream[0].value.value == "True"):
                return None
            generation, rest = match[0], [a for a in call.args if a is not stream[0]]
        job_id = _only_id(rest)
        return None if job_id is None else (generation, job_id)

    def _listing(self, call: cst.BaseExpression) -> tuple[str, cst.Arg] | None:
        """``(generation, job id argument)`` of a legacy, unstreamed ``list_events(id)``."""
        if not isinstance(call, cst.Call):
            return None
        match = self.legacy_call(call)
        if match is None or match[1] != "list_events":
            return None
        job_id = _only_id(call.args)
        return None if job_id is None else (match[0], job_id)

    def _same_value(self, value: cst.BaseExpression) -> bool:
        """``value`` (a listing's job id) means the same where the listing is indexed later:
        a literal, or a name bound once (a parameter, or one assignment)."""
        if isinstance(value, (cst.SimpleString, cst.Integer)):
            return True
        return isinstance(value, cst.Name) and len(self.assigned_nodes(value)) == 1

    def _in_loop(self, call: cst.Call) -> bool:
        """``call`` is what a (synchronous) for loop or comprehension iterates."""
        up = self.get_metadata(ParentNodeProvider, call, None)
        return (isinstance(up, cst.For) and up.iter is call and up.asynchronous is None
                or isinstance(up, cst.CompFor) and up.iter is call and up.asynchronous is None)

    # -- rewriting ----------------------------------------------------------------
    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        found = self._stream(original_node)
        if found is None or not self._in_loop(original_node):
            return updated_node
        generation, job_id = found
        jobs = self._jobs(original_node.func.value, updated_node.func.value, generation)
        if jobs is None:
            return updated_node
        return self._follow(jobs, job_id, generation)

    def leave_Subscript(self, original_node: cst.Subscript, updated_node: cst.Subscript) -> cst.BaseExpression:
        """``<listing>["data"][0]``: the oldest event."""
        inner = original_node.value
        if not (_index_is(original_node, 0) and isinstance(inner, cst.Subscript) and _key(inner) == "data"):
            return updated_node
        call, new_call = inner.value, updated_node.value.value
        if isinstance(call, cst.Name):  # ``events = FineTune.list_events(id)`` then ``events["data"][0]``
            call = new_call = self.alias_value(call)
        found = self._listing(call)
        if found is None:
            return updated_node
        generation, job_id = found
        if call is not inner.value and not self._same_value(job_id.value):
            return updated_node
        jobs = self._jobs(call.func.value, new_call.func.value, generation)
        if jobs is None:
            return updated_node
        return cst.Call(cst.Name("next"), args=[cst.Arg(self._follow(jobs, job_id, generation))])

    def _jobs(self, original: cst.BaseExpression, updated: cst.BaseExpression,
              generation: str) -> cst.BaseExpression | None:
        """The new jobs resource where the legacy call had ``original`` as its receiver."""
        if generation == "v1":
            client = updated.value  # <client>.fine_tunes
            if not isinstance(client, (cst.Name, cst.Attribute)):
                return None  # evaluated on every poll: only a plain name or attribute
            jobs: cst.BaseExpression = client
            for part in self.catalog.sdk.v1.replacement.split("."):
                jobs = cst.Attribute(jobs, cst.Name(part))
            return jobs
        renamed = self.rename_resource(original, updated)
        if renamed is not None:
            return renamed
        if isinstance(original, (cst.Name, cst.Attribute)) and self.alias_value(original) is not None:
            return updated  # a local alias or self.<attr>: FX001 renames its assignment
        return None

    def _follow(self, jobs: cst.BaseExpression, job_id: cst.Arg, generation: str) -> cst.Call:
        self._used = True
        self.count_site()
        if generation == "v0":
            self.context.scratch[V0_MIGRATED] = True
        return cst.Call(cst.Name(EVENT_HELPER), args=[
            cst.Arg(jobs, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
            cst.Arg(job_id.value)])

    # -- the helper -----------------------------------------------------------------
    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        if not self._used or _defines(updated_node, EVENT_HELPER):
            return updated_node
        if self.compat_module:
            package = (self.context.filename is not None and os.path.exists(
                os.path.join(os.path.dirname(os.path.abspath(self.context.filename)), "__init__.py")))
            line = cst.parse_statement(f"from {'.' if package else ''}{COMPAT_MODULE} import {COMPAT_NAME} as {EVENT_HELPER}\n",
                                       config=updated_node.config_for_parsing)
            return _with_import(updated_node, line)
        AddImportsVisitor.add_needed_import(self.context, "time")
        return _with_helper(updated_node, cst.parse_module(helper_source(self.catalog)).body[0])


def _with_helper(module: cst.Module, helper: cst.BaseStatement) -> cst.Module:
    """``module`` with ``helper`` just before the first top-level statement that uses it
    (which holds a rewritten call, so it is never one of the holes of a large module)."""
    body = list(module.body)
    at = next(i for i, stmt in enumerate(body) if _uses(stmt))
    following = body[at]
    kept = [line for line in following.leading_lines if line.comment is not None]
    blank = [cst.EmptyLine()] * (2 if at else 0)
    body[at] = following.with_changes(leading_lines=[cst.EmptyLine(), cst.EmptyLine(), *kept])
    return module.with_changes(body=[*body[:at], helper.with_changes(leading_lines=blank), *body[at:]])


def _with_import(module: cst.Module, line: cst.SimpleStatementLine) -> cst.Module:
    """``module`` with ``line`` after its leading imports (written here rather than through
    AddImportsVisitor, which adds a relative import again on every later codemod of the chain)."""
    body = list(module.body)
    at = 0
    for i, stmt in enumerate(body):
        docstring = i == 0 and isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.Expr)
        if docstring or isinstance(stmt, cst.SimpleStatementLine) and all(
                isinstance(small, (cst.Import, cst.ImportFrom)) for small in stmt.body):
            at = i + 1
        else:
            break
    return module.with_changes(body=[*body[:at], line, *body[at:]])


def _uses(stmt: cst.CSTNode) -> bool:
    found = []

    class Find(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            if node.value == EVENT_HELPER:
                found.append(node)

    stmt.visit(Find())
    return bool(found)


def _only_id(args) -> cst.Arg | None:
    """The job id argument when it is the only one (positional, or ``id=``/``fine_tune_id=``)."""
    args = list(args)
    if len(args) != 1 or args[0].star:
        return None
    arg = args[0]
    if arg.keyword is not None and arg.keyword.value not in EVENT_ID_KEYWORDS:
        return None
    return arg


def _key(node: cst.Subscript) -> str | None:
    if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
        return string_value(node.slice[0].slice.value)
    return None


def _index_is(node: cst.Subscript, n: int) -> bool:
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return False
    value = node.slice[0].slice.value
    return isinstance(value, cst.Integer) and value.evaluated_value == n


def _defines(module: cst.Module, name: str) -> bool:
    """The module already binds ``name`` at its top level (a def or an import)."""
    for stmt in module.body:
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value == name:
            return True
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
                    if any((a.asname.name.value if a.asname else None) == name for a in small.names):
                        return True
    return False
