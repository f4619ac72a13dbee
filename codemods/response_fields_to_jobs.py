"""FX003: read job objects the way the fine-tuning jobs API shapes them.

Before::

    job = openai.FineTune.retrieve(job_id)
    while job["status"] in ("pending", "running"):
        job = openai.FineTune.retrieve(job_id)
    print(job["hyperparams"]["n_epochs"], job["training_files"][0]["id"])
    for event in openai.FineTune.list_events(job_id)["data"]:
        print(event["message"])

After::

    job = openai.FineTune.retrieve(job_id)
    while job["status"] in ("validating_files", "queued", "running"):
        job = openai.FineTune.retrieve(job_id)
    print(job["hyperparameters"]["n_epochs"], job["training_file"])
    for event in reversed(openai.FineTune.list_events(job_id)["data"]):
        print(event["message"])

Only values that come from a legacy call in the same scope are touched (a name
every assignment of which is a legacy call or a helper or method of the module
that returns one, or a loop variable over a legacy listing), so an unrelated
dict with a ``"status"`` key is left alone.  A loop variable over
``job["result_files"]`` is a file id now, so its ``["id"]`` goes.  The field
rewrites come from the catalog's ``response_fields`` (``rename``, ``first-id``,
``drop-id``); a field with no direct equivalent (``events``, ``updated_at``, a
whole ``training_files`` list) gets a TODO.  Status comparisons with the legacy
``"pending"``/``"created"`` compare with the statuses that replaced them.  Events
are listed newest-first now (oldest-first before): a loop over a listing's
``data`` iterates it ``reversed(...)``, which restores the order the code was
written for; an index into it (``[0]``, ``[-1]``) gets a TODO, since flipping it
would not survive a second run.  Runs before FX001, which renames the calls this
codemod recognises.
"""

from __future__ import annotations

from typing import Mapping

import libcst as cst

from ft_migrate_codemods._base import MigrationCommand, string_value, with_string_value
from ft_migrate_codemods._http import imports_library, legacy_endpoint
from migrator.catalog import Catalog
from migrator.code_shapes import EVENT_INDEX, missing_field


# What the answer of each legacy endpoint is (as the SDK methods above it), by method and
# path under /v1/fine-tunes.
ENDPOINT_PREFIX = "/v1/fine-tunes"
HTTP_KINDS = {("POST", ""): "job", ("GET", ""): "list", ("GET", "/{id}"): "job", ("POST", "/{id}/cancel"): "job",
              ("GET", "/{id}/events"): "events"}


def _access(node: cst.CSTNode) -> tuple[cst.BaseExpression, str] | None:
    """``(value, key)`` for ``value["key"]`` or ``value.key``."""
    if isinstance(node, cst.Attribute):
        return node.value, node.attr.value
    if (isinstance(node, cst.Subscript) and len(node.slice) == 1
            and isinstance(node.slice[0].slice, cst.Index)):
        key = string_value(node.slice[0].slice.value)
        if key is not None:
            return node.value, key
    return None


def _index(node: cst.CSTNode) -> cst.BaseExpression | None:
    """``value`` of ``value[i]`` (any single index), else None."""
    if isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
        return node.value
    return None


def _json_call(node: cst.BaseExpression) -> bool:
    """``x.json()``: a requests/httpx response's parsed body."""
    return (isinstance(node, cst.Call) and not node.args and isinstance(node.func, cst.Attribute)
            and node.func.attr.value == "json")


def _reversed(iterable: cst.BaseExpression) -> cst.Call:
    return cst.Call(cst.Name("reversed"), args=[cst.Arg(iterable)])


class ResponseFieldsToJobsCommand(MigrationCommand):
    ID = "FX003"
    RULE = "FT030"
    DESCRIPTION = "Rename legacy FineTune response fields and statuses on values from legacy calls."

    @classmethod
    def applies(cls, code: str, catalog: Catalog, model_map: Mapping[str, str]) -> bool:
        """Only a module that names a legacy field, a legacy status or an events listing."""
        words = (*catalog.response_fields, *catalog.statuses.legacy_only, "list_events")
        legacy = super().applies(code, catalog, model_map) or "fine-tunes" in code  # SDK or raw HTTP
        return legacy and any(w in code for w in words)

    def visit_Module(self, node: cst.Module) -> None:
        self._library: bool | None = None  # the module imports an HTTP library (asked once)
        self._jobs: set[cst.CSTNode] = set()
        self._lists: set[cst.CSTNode] = set()
        self._chained: set[cst.CSTNode] = set()
        self._file_ids: set[cst.CSTNode] = set()  # loop variables over a drop-id field (result_files)
        self._events: set[cst.CSTNode] = set()  # names bound to an events listing
        self._event_data: set[cst.CSTNode] = set()  # names bound to its ``data``
        command = self

        class Collect(cst.CSTVisitor):
            def visit_Assign(self, n: cst.Assign) -> None:
                if len(n.targets) == 1 and isinstance(n.targets[0].target, cst.Name):
                    kind = command._kind(n.value)
                    if kind == "job":
                        command._jobs.add(n.targets[0].target)
                    elif kind == "list":
                        command._lists.add(n.targets[0].target)
                    elif kind == "events":
                        command._events.add(n.targets[0].target)
                    elif command._is_event_data(n.value):
                        command._event_data.add(n.targets[0].target)

            def visit_For(self, n: cst.For) -> None:
                if isinstance(n.target, cst.Name) and command._iterates_jobs(n.iter):
                    command._jobs.add(n.target)
                self.visit_CompFor(n)

            def visit_CompFor(self, n: cst.For | cst.CompFor) -> None:
                # ``for f in job["result_files"]``: each ``f`` is a file id now.
                acc = _access(n.iter)
                spec = command.catalog.response_fields.get(acc[1]) if acc is not None else None
                if (isinstance(n.target, cst.Name) and spec is not None and spec["fix"] == "drop-id"
                        and command._is_job(acc[0])):
                    command._file_ids.add(n.target)

        node.visit(Collect())
        # Helpers that return a job (``def wait(id): ...; return job``, also methods called as
        # ``self.wait()``) make their callers' values jobs too; a helper may call another
        # helper, so repeat until no new helper turns up.
        self._job_functions: set[str] = set()

        class Returns(cst.CSTVisitor):
            def visit_FunctionDef(self, n: cst.FunctionDef) -> None:
                values: list[cst.BaseExpression | None] = []

                class Collect(cst.CSTVisitor):
                    def visit_FunctionDef(self, inner: cst.FunctionDef) -> bool:
                        return inner is n

                    def visit_Return(self, r: cst.Return) -> None:
                        values.append(r.value)

                n.visit(Collect())
                if values and all(v is not None and (command._is_job(v) or command._kind(v) == "job")
                                  for v in values):
                    command._job_functions.add(n.name.value)

        while True:
            known = set(self._job_functions)
            node.visit(Returns())
            if self._job_functions == known:
                break
            node.visit(Collect())

    # -- what a value is --------------------------------------------------------
    def _kind(self, value: cst.BaseExpression) -> str | None:
        if isinstance(value, cst.Await):
            value = value.expression
        if isinstance(value, cst.Call):
            # A helper of this module, or a method of it (``self.wait()``; never an imported API).
            func = value.func.attr if isinstance(value.func, cst.Attribute) else value.func
            if (isinstance(func, cst.Name) and func.value in getattr(self, "_job_functions", ())
                    and (func is value.func or not self.qualified(value.func))):
                return "job"
            if _json_call(value):
                return self._http_kind(value.func.value)
            match = self.legacy_call(value)
            if match is None:
                return None
            method = match[1].removeprefix("a")
            if method in ("create", "retrieve", "cancel"):
                return "job"
            streamed = any(a.keyword is not None and a.keyword.value == "stream" for a in value.args)
            if method == "list_events" and not streamed:
                return "events"
            return "list" if method == "list" else None
        return None

    def _http_kind(self, response: cst.BaseExpression) -> str | None:
        """What ``response.json()`` holds when ``response`` is (a name bound once to) a
        requests/httpx call of a legacy ``/v1/fine-tunes`` URL."""
        if isinstance(response, cst.Name):
            response = self.alias_value(response)
        if not isinstance(response, cst.Call):
            return None
        if self._library is None:
            self._library = imports_library(self)
        found = legacy_endpoint(self, response, self._library)
        if found is None or found[1].replacement is None:
            return None
        method, endpoint = found
        return HTTP_KINDS.get((method, endpoint.legacy.removeprefix(ENDPOINT_PREFIX)))

    def _iterates_jobs(self, it: cst.BaseExpression) -> bool:
        acc = _access(it)
        if acc is not None and acc[1] == "data":
            it = acc[0]
        if isinstance(it, cst.Name):
            return self._bound(it, self._lists)
        return self._kind(it) == "list"

    def _bound(self, name: cst.Name, targets: set[cst.CSTNode]) -> bool:
        nodes = self.assigned_nodes(name)
        return bool(nodes) and all(n in targets for n in nodes)

    def _is_job(self, node: cst.BaseExpression) -> bool:
        """``node`` is a job: a name bound to one, a legacy create/retrieve/cancel call itself
        (``openai.FineTune.retrieve(id)["hyperparams"]``, awaited or not), or ``r.json()`` of
        a legacy HTTP call."""
        call = node.expression if isinstance(node, cst.Await) else node
        if isinstance(call, cst.Call) and (_json_call(call) or self.legacy_call(call) is not None):
            return self._kind(call) == "job"
        return isinstance(node, cst.Name) and self._bound(node, self._jobs)

    def _is_event_data(self, node: cst.BaseExpression) -> bool:
        """``node`` is the ``data`` of an events listing (or a name bound to it)."""
        if isinstance(node, cst.Name):
            return self._bound(node, self._event_data)
        acc = _access(node)
        if acc is None or acc[1] != "data":
            return False
        listing = acc[0]
        return self._bound(listing, self._events) if isinstance(listing, cst.Name) else self._kind(listing) == "events"

    # -- event order --------------------------------------------------------------
    def leave_For(self, original_node: cst.For, updated_node: cst.For) -> cst.For:
        if not self._is_event_data(original_node.iter):
            return updated_node
        self.count_site()
        return updated_node.with_changes(iter=_reversed(updated_node.iter))

    def leave_CompFor(self, original_node: cst.CompFor, updated_node: cst.CompFor) -> cst.CompFor:
        if not self._is_event_data(original_node.iter):
            return updated_node
        self.count_site()
        return updated_node.with_changes(iter=_reversed(updated_node.iter))

    def _event_index(self, node: cst.Subscript) -> None:
        if _index(node) is not None and _access(node) is None and self._is_event_data(node.value):
            self.todo(EVENT_INDEX)

    # -- fields -------------------------------------------------------------------
    def visit_Subscript(self, node: cst.Subscript) -> None:
        self._mark_chain(node)
        self._event_index(node)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self._mark_chain(node)

    def _mark_chain(self, node: cst.BaseExpression) -> None:
        """In ``x[FIELD][i]["id"]`` the inner ``x[FIELD]`` is rewritten with the whole
        chain, so it must not get a TODO of its own."""
        acc = _access(node)
        inner = _index(acc[0]) if acc is not None and acc[1] == "id" else None
        inner_acc = _access(inner) if inner is not None else None
        if inner_acc is not None and self._is_job(inner_acc[0]):
            self._chained.add(inner)

    def leave_Subscript(self, original_node: cst.Subscript, updated_node: cst.Subscript) -> cst.BaseExpression:
        return self._field(original_node, updated_node)

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.BaseExpression:
        return self._field(original_node, updated_node)

    def _field(self, original: cst.BaseExpression, updated: cst.BaseExpression) -> cst.BaseExpression:
        fields = self.catalog.response_fields
        acc = _access(original)
        if acc is None:
            return updated
        value, key = acc
        if key == "id" and isinstance(value, cst.Name) and self._bound(value, self._file_ids):
            self.count_site()
            return updated.value if isinstance(updated, (cst.Subscript, cst.Attribute)) else updated
        # x[FIELD][i]["id"]: first-id and drop-id rewrite the whole chain.
        inner = _index(value)
        inner_acc = _access(inner) if inner is not None else None
        if key == "id" and inner_acc is not None and self._is_job(inner_acc[0]):
            spec = fields.get(inner_acc[1])
            if spec is not None and spec["fix"] == "first-id":
                self.count_site()
                return self._renamed(value.value, inner_acc[0], spec["replacement"])
            if spec is not None and spec["fix"] == "drop-id":
                self.count_site()
                return updated.value if isinstance(updated, (cst.Subscript, cst.Attribute)) else updated
        spec = fields.get(key)
        if spec is None or original in self._chained or not self._is_job(value):
            return updated
        if spec["fix"] == "rename":
            self.count_site()
            return self._rename_key(updated, spec["replacement"])
        if spec["fix"] == "manual" or spec["fix"] == "first-id":
            self.todo(missing_field(key, spec))
        return updated

    def _renamed(self, access: cst.BaseExpression, job: cst.BaseExpression, new_key: str) -> cst.BaseExpression:
        """``job[new_key]`` / ``job.new_key`` in the style of ``access`` (``x["training_files"]``)."""
        if isinstance(access, cst.Attribute):
            return access.with_changes(attr=cst.Name(new_key))
        return self._rename_key(access, new_key)

    @staticmethod
    def _rename_key(node: cst.BaseExpression, new_key: str) -> cst.BaseExpression:
        if isinstance(node, cst.Attribute):
            return node.with_changes(attr=cst.Name(new_key))
        element = node.slice[0]
        literal = element.slice.value
        if not isinstance(literal, cst.SimpleString):
            return node
        return node.with_changes(slice=[element.with_changes(
            slice=element.slice.with_changes(value=with_string_value(literal, new_key)))])

    # -- statuses -----------------------------------------------------------------
    def leave_Comparison(self, original_node: cst.Comparison, updated_node: cst.Comparison) -> cst.Comparison:
        acc = _access(original_node.left)
        if acc is None or acc[1] != "status" or not self._is_job(acc[0]) or len(original_node.comparisons) != 1:
            return updated_node
        statuses = self.catalog.statuses
        legacy, new = statuses.legacy_only, statuses.new_for_legacy
        target = updated_node.comparisons[0]
        op, right = target.operator, target.comparator
        quote = self.string_quote(original_node.comparisons[0].comparator, original_node)
        if isinstance(op, (cst.Equal, cst.NotEqual)) and string_value(right) in legacy:
            elements = [cst.Element(cst.SimpleString(f"{quote}{s}{quote}"),
                                    comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
                        for s in new]
            elements[-1] = elements[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            new_op = (cst.In(whitespace_before=op.whitespace_before, whitespace_after=op.whitespace_after)
                      if isinstance(op, cst.Equal) else
                      cst.NotIn(whitespace_before=op.whitespace_before, whitespace_after=op.whitespace_after))
            self.count_site()
            return updated_node.with_changes(comparisons=[target.with_changes(
                operator=new_op, comparator=cst.Tuple(elements=elements))])
        if isinstance(op, (cst.In, cst.NotIn)) and isinstance(right, (cst.Tuple, cst.List, cst.Set)):
            values = [string_value(e.value) for e in right.elements]
            if not any(v in legacy for v in values):
                return updated_node
            out: list[cst.BaseElement] = []
            seen = set(v for v in values if v not in legacy)
            for element, value in zip(right.elements, values):
                if value not in legacy:
                    out.append(element)
                    continue
                for s in new:
                    if s not in seen:
                        seen.add(s)
                        out.append(element.with_changes(value=with_string_value(element.value, s),
                                                        comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))))
            if out:
                out[-1] = out[-1].with_changes(comma=right.elements[-1].comma)
            self.count_site()
            return updated_node.with_changes(comparisons=[target.with_changes(
                comparator=right.with_changes(elements=out))])
        return updated_node
