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

from migrator.code_shapes import EVENT_ID_KEYWORDS, EVENT_INDEX, missing_field
from migrator.findings import Finding
from migrator.rules import Family, rule
from migrator.rules.facts import arguments, dotted, is_constant
from migrator.scan.common import finding
from migrator.todo_markers import TODO_RE


# The legacy calls whose answer is one fine-tune (``create``, ``acreate``... once the ``a`` is dropped).
JOB_METHODS = ("create", "retrieve", "cancel")


@rule("FT030", "FT031", fixes=("FX003",), order=50)
class ResponseFields(Family):
    def __init__(self, facts):
        super().__init__(facts)
        self.fields: list[ast.AST] = []  # subscripts and attributes that may read a legacy field
        self.statuses: list[ast.Constant] = []
        self.assigns: list[ast.Assign] = []  # ``name = value``: a name may hold an events listing
        self.indexes: list[ast.Subscript] = []  # ``x[i]``: may index an events listing's data

    def assign(self, node: ast.Assign) -> None:
        if len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            self.assigns.append(node)

    def subscript(self, node: ast.Subscript) -> None:
        if self.facts.subscript_key(node) is not None:
            self.facts.handled.add(id(node.slice))
            self.fields.append(node)
        elif not isinstance(node.slice, (ast.Slice, ast.Tuple)) and not self.facts.simple(node.slice):
            self.indexes.append(node)

    def attribute(self, node: ast.Attribute, names: set[str]) -> None:
        if node.attr in self.facts.catalog.response_fields or node.attr == "id":
            self.fields.append(node)

    def literal(self, node: ast.Constant, text: str) -> None:
        if text in self.facts.catalog.statuses.legacy_only:
            self.statuses.append(node)

    def finish(self) -> None:
        if self.indexes:
            self.event_indexes()
        if not self.facts.uses_legacy_api:
            for node in self.fields:  # migrated code: the reads fix could only mark are still wrong
                self.marked_field(node)
            return
        for node in self.fields:
            self.field(node)
        for node in self.statuses:
            self.status(node)

    def field(self, node: ast.AST) -> None:
        f = self.facts
        key = self.field_of(node)
        if key == "id":
            inner = node.value  # type: ignore[attr-defined]
            if isinstance(inner, ast.Subscript) and self.field_of(inner.value) == "result_files":
                f.add(self.followed(inner.value.value, finding(  # type: ignore[attr-defined]
                    f.path, f.span(node), "FT030", "response-field", 'result_files[i]["id"]', "result_files[i]", True,
                    'result_files of a fine-tuning job are file id strings, not file objects: drop the ["id"]')))
            return
        entry = f.catalog.response_fields.get(key)
        if entry is None or entry["fix"] == "drop-id":
            return
        receiver = node.value  # type: ignore[attr-defined]
        if self.by_hand(node, entry):
            # FX003 leaves a TODO where it follows the job: a person rewrites the read
            if isinstance(node, ast.Attribute) and isinstance(receiver, ast.Name) and receiver.id in ("self", "cls"):
                return  # an attribute of the code's own object, not a field of a job
            f.add(self.by_hand_finding(node, key, entry))
            return
        f.add(self.followed(receiver, finding(
            f.path, f.span(node), "FT030", "response-field", key, entry["replacement"], True,
            f"the fine-tuning job has no {key!r}: use {entry['replacement']!r} ({entry['note']})")))

    def by_hand(self, node: ast.AST, entry: dict) -> bool:
        """A read of a field FX003 can only mark with a TODO: one with no equivalent, or a whole
        ``training_files`` list (only ``x["training_files"][i]["id"]`` has a rewrite)."""
        return entry["fix"] == "manual" or (entry["fix"] == "first-id" and not self.first_id(node))

    def by_hand_finding(self, node: ast.AST, key: str, entry: dict) -> Finding:
        """The manual FT030 of such a read; its message is the text of fix's TODO."""
        f = self.facts
        return finding(f.path, f.span(node), "FT030", "response-field", key, entry["replacement"] or None, False,
                       missing_field(key, entry))

    def marked_field(self, node: ast.AST) -> None:
        """In code on the new API: a read fix marked with its TODO is still reported, as manual."""
        key = self.field_of(node)
        entry = self.facts.catalog.response_fields.get(key)
        if entry is not None and self.by_hand(node, entry):
            found = self.by_hand_finding(node, key, entry)
            if self.marked(node, found.rule, found.message):
                self.facts.add(found)

    def first_id(self, node: ast.AST) -> bool:
        """``node`` is ``x[FIELD]`` in ``x[FIELD][i]["id"]``, which FX003 rewrites whole to ``x[NEW]``."""
        m = self.facts.m
        index = m.parent(node)
        if not (isinstance(index, ast.Subscript) and index.value is node and self.facts.subscript_key(index) is None):
            return False
        read = m.parent(index)
        return (isinstance(read, (ast.Subscript, ast.Attribute)) and read.value is index
                and self.field_of(read) == "id")

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

    def followed(self, receiver: ast.AST, found: Finding) -> Finding:
        """``found`` as work for a person where FX003 cannot follow ``receiver`` to a job: a call
        other than a legacy create/retrieve/cancel (awaited or not) or an HTTP answer's
        ``.json()``, or a parameter of its function."""
        call = receiver.value if isinstance(receiver, ast.Await) else receiver
        if isinstance(call, ast.Call):
            method = self.facts.legacy_calls.get(id(call), "").removeprefix("a")
            json = isinstance(call.func, ast.Attribute) and call.func.attr == "json"
            if method not in JOB_METHODS and not json:
                return dataclasses.replace(found, fixable=False, message=f"{found.message}; fix follows only "
                                           f"a legacy fine-tunes call or a name bound to one, so check by hand")
            return found
        return self.unless_parameter(receiver, found)

    def unless_parameter(self, receiver: ast.AST, found: Finding) -> Finding:
        """``found`` as work for a person when ``receiver`` is a parameter of its function."""
        if not isinstance(receiver, ast.Name):
            return found
        bindings = self.facts.m.lookup(receiver, receiver.id)
        if not bindings or not all(isinstance(b.node, ast.arg) for b in bindings):
            return found
        return dataclasses.replace(found, fixable=False, message=f"{found.message}; {receiver.id!r} is a parameter "
                                   f"here: fix cannot tell whether it holds a fine-tune, so check by hand")

    # -- an index into a listing of events -------------------------------------------
    def event_indexes(self) -> None:
        """``events["data"][-1]`` of a legacy ``list_events``: the new API lists newest-first, so
        FX003 leaves a TODO there (flipping the index would not survive a second run).

        After fix the listing is the new API's, and the index is still reported while fix's
        TODO stands above it: the work is the same until a person has done it (a listing
        of the new API without that TODO is code written for newest-first)."""
        f = self.facts
        listings = {id(a.targets[0]): kind for a in self.assigns if (kind := self.listing(a.value))}
        data = {id(a.targets[0]): kind for a in self.assigns if (kind := self.event_data(a.value, listings, {}))}
        for node in self.indexes:
            kind = self.event_data(node.value, listings, data)
            if kind == "legacy" and self.oldest_followed(node):
                continue  # FX009 reads the oldest event from its polling helper (an FT010 finding)
            if kind == "legacy" or kind == "new" and self.marked(node):
                f.add(finding(f.path, f.span(node), "FT030", "response-field", 'list_events()["data"][i]', None, False,
                              EVENT_INDEX))

    def oldest_followed(self, node: ast.Subscript) -> bool:
        """``list_events(job_id)["data"][0]`` (or through a name bound once to the listing, the
        job id then a literal or a name bound once): what FX009 rewrites to the first event of
        its polling helper."""
        f = self.facts
        inner = node.value
        if not (is_constant(node.slice, 0) and isinstance(inner, ast.Subscript) and f.subscript_key(inner) == "data"):
            return False
        call = inner.value
        if isinstance(call, ast.Name):
            call = f.alias_value(call)
        if not isinstance(call, ast.Call) or f.legacy_calls.get(id(call)) != "list_events":
            return False
        args = arguments(call)
        if len(args) != 1 or args[0][2] or args[0][0] not in (None, *EVENT_ID_KEYWORDS):
            return False
        job_id = args[0][1]
        return (call is inner.value or isinstance(job_id, ast.Constant)
                or isinstance(job_id, ast.Name) and len(f.m.lookup(job_id, job_id.id)) == 1)

    def listing(self, value: ast.expr) -> str | None:
        """"legacy" or "new" for a ``list_events`` call (not streamed) of either API, else None."""
        f = self.facts
        if isinstance(value, ast.Await):
            value = value.value
        if not isinstance(value, ast.Call) or any(k.arg == "stream" for k in value.keywords):
            return None
        method = f.legacy_calls.get(id(value))
        if method is not None:
            return "legacy" if method.removeprefix("a") == "list_events" else None
        func = value.func
        if not isinstance(func, ast.Attribute) or func.attr.removeprefix("a") != "list_events":
            return None
        sdk = f.catalog.sdk
        if f"{sdk.v0.replacement}.{func.attr}" in f.qnames(func) or dotted(func.value).endswith(sdk.v1.replacement):
            return "new"
        return None

    def event_data(self, node: ast.expr, listings: dict[int, str], data: dict[int, str]) -> str | None:
        """Whose listing ``node`` is the ``data`` of ("legacy", "new"), directly or through a name."""
        if isinstance(node, ast.Name):
            return self.bound(node, data)
        if not (isinstance(node, ast.Subscript) and self.facts.subscript_key(node) == "data"
                or isinstance(node, ast.Attribute) and node.attr == "data"):
            return None
        listing = node.value  # type: ignore[attr-defined]
        return self.bound(listing, listings) if isinstance(listing, ast.Name) else self.listing(listing)

    def bound(self, name: ast.Name, targets: dict[int, str]) -> str | None:
        """The kind every assignment of ``name`` gives it, when all of them are in ``targets`` and agree."""
        kinds = {targets.get(id(b.node)) for b in self.facts.m.lookup(name, name.id)}
        return kinds.pop() if len(kinds) == 1 else None

    def marked(self, node: ast.AST, rule_id: str = "FT030", text: str = EVENT_INDEX) -> bool:
        """Whether fix's TODO (by default the one about the order of events) stands above the
        statement holding ``node``."""
        m = self.facts.m
        stmt = node
        while not isinstance(stmt, ast.stmt):
            stmt = m.parent(stmt)
        line = stmt.lineno - 1
        starts = m.line_starts()
        while line > 0:
            comment = m.source[starts[line - 1]:starts[line]].strip()
            if not comment.startswith("#"):
                return False
            found = TODO_RE.match(comment)
            if found is not None and found.group(1) == rule_id and found.group(2).strip() == text:
                return True
            line -= 1
        return False

    def field_of(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Subscript):
            return self.facts.subscript_key(node)
        if isinstance(node, ast.Attribute):
            return node.attr
        return None
