"""FX001: move legacy fine-tune calls to the fine-tuning jobs API.

Before::

    import openai
    job = openai.FineTune.create(training_file="file-abc", n_epochs=2, prompt_loss_weight=0.1)
    client.fine_tunes.retrieve(fine_tune_id=job_id)

After::

    import openai
    # TODO(ft-migrate FT010): removed prompt_loss_weight: the fine-tuning jobs API has no prompt loss weight and no classification metrics
    job = openai.FineTuningJob.create(training_file="file-abc", model="davinci-002", hyperparameters={"n_epochs": 2})
    client.fine_tuning.jobs.retrieve(fine_tuning_job_id=job_id)

v0 ``openai.FineTune.*`` becomes ``openai.FineTuningJob.*`` (the same SDK
generation, so no client object is introduced) and v1 ``client.fine_tunes.*``
becomes ``client.fine_tuning.jobs.*``.  For ``create``: ``n_epochs``,
``batch_size`` and ``learning_rate_multiplier`` move into ``hyperparameters``
(merged with one already there); fields with no equivalent are removed with a
TODO saying why; ``model`` is mapped through the catalog and written explicitly
when it was omitted (the legacy default was ``curie``), because the new endpoint
requires it.  Calls with no equivalent (``stream_events``, ``delete``,
``list_events(stream=True)``) are left to FX004.
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import ParentNodeProvider, QualifiedNameProvider, ScopeProvider

from ft_migrate_codemods._base import (V0_MIGRATED, MigrationCommand, is_none, merge_hyperparameters, new_string,
                            string_value, with_string_value)
from migrator.code_shapes import POSITIONAL


class FineTuneCallsToJobsCommand(MigrationCommand):
    ID = "FX001"
    RULE = "FT010"
    DESCRIPTION = "Move openai.FineTune.* / client.fine_tunes.* calls to the fine-tuning jobs API."
    METADATA_DEPENDENCIES = (QualifiedNameProvider, ScopeProvider, ParentNodeProvider)

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        match = self.legacy_call(original_node)
        if match is None:
            return updated_node
        generation, method = match
        new_method = self.catalog.sdk_method(generation, method)
        if not new_method:
            return updated_node
        rule = "FT010" if generation == "v0" else "FT011"
        args = list(updated_node.args)
        stream = next((a for a in args if a.keyword is not None and a.keyword.value == "stream"), None)
        if stream is not None:
            if not (isinstance(stream.value, cst.Name) and stream.value.value == "False"):
                return updated_node  # streaming has no equivalent: FX004 flags it
            args = _without(args, stream)
        if method in ("create", "acreate"):
            if _positional(original_node):
                self.todo(f"{POSITIONAL}: pass its fields as keyword arguments (or **dict)", rule)
                return updated_node
            args = self._create_args(original_node, args, rule)
        renames = getattr(self.catalog.sdk, generation).arguments
        args = [a.with_changes(keyword=cst.Name(renames[a.keyword.value]))
                if a.keyword is not None and a.keyword.value in renames else a for a in args]
        func = self._new_func(original_node.func, updated_node.func, generation, new_method)
        if func is None:
            return updated_node
        self.count_site()
        if generation == "v0":
            self.context.scratch[V0_MIGRATED] = True
        return updated_node.with_changes(func=func, args=args)

    # -- the resource named other than as a call receiver ---------------------
    # ``ft = openai.FineTune``, ``-> openai.FineTune``, ``mock.patch.object(openai.FineTune, "create")``
    # and ``from openai import FineTune`` users all follow the calls to the new resource, except
    # where the resource is used for a method with no equivalent (FX004 marks those).

    def visit_Module(self, node: cst.Module) -> None:
        self._in_import = 0
        self._keep: set[cst.CSTNode] = set()
        self._receivers: set[cst.CSTNode] = set()

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self._in_import += 1

    def leave_ImportFrom(self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom) -> cst.ImportFrom:
        self._in_import -= 1
        return updated_node

    def leave_ImportAlias(self, original_node: cst.ImportAlias, updated_node: cst.ImportAlias) -> cst.ImportAlias:
        """``from openai import FineTune as FT`` → ``from openai import FineTuningJob as FT``:
        the alias is the name the code uses, so it stays."""
        module, _, old_attr = self.catalog.sdk.v0.legacy.rpartition(".")
        new_module, _, new_attr = self.catalog.sdk.v0.replacement.rpartition(".")
        asname = original_node.asname
        if (not self._in_import or new_module != module or not isinstance(original_node.name, cst.Name)
                or original_node.name.value != old_attr or asname is None
                or not isinstance(asname.name, cst.Name) or asname.name.value == old_attr
                or not self.keeps_alias(asname.name.value)):
            return updated_node
        importer = self.get_metadata(ParentNodeProvider, original_node, None)
        if not (isinstance(importer, cst.ImportFrom) and not importer.relative
                and isinstance(importer.module, (cst.Name, cst.Attribute))
                and cst.Module([]).code_for_node(importer.module) == module):
            return updated_node
        self.context.scratch[V0_MIGRATED] = True
        return updated_node.with_changes(name=cst.Name(new_attr))

    def visit_Call(self, node: cst.Call) -> None:
        match = self.legacy_call(node)
        if match is not None:
            self._receivers.add(node.func.value)
            if match[1] in ("create", "acreate") and _positional(node):
                self._keep.add(node.func.value)  # the call stays (see leave_Call): so does its resource

    def visit_Attribute(self, node: cst.Attribute) -> None:
        # a method with no equivalent (FX004 marks it), or no method of the resource at all
        # (``openai.FineTune.prepare_data``): the new resource has neither, so the name stays
        if (not self.catalog.sdk.v0.methods.get(node.attr.value)
                and self.catalog.sdk.v0.legacy in self.qualified(node.value)):
            self._keep.add(node.value)

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.BaseExpression:
        return self._reference(original_node, updated_node)

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        if self._in_import:
            return updated_node
        return self._reference(original_node, updated_node)

    def _reference(self, original: cst.BaseExpression, updated: cst.BaseExpression) -> cst.BaseExpression:
        if original in self._keep:
            return updated
        renamed = self.rename_resource(original, updated)
        if renamed is None:
            return updated
        self.context.scratch[V0_MIGRATED] = True
        if original not in self._receivers:
            self.count_site()
        return renamed

    def leave_SimpleString(self, original_node: cst.SimpleString,
                           updated_node: cst.SimpleString) -> cst.SimpleString:
        """``"openai.FineTune.create"`` (a ``mock.patch`` target) names the new method."""
        value = string_value(original_node)
        legacy = self.catalog.sdk.v0.legacy
        if value is None or not (value == legacy or value.startswith(legacy + ".")):
            return updated_node
        method = value[len(legacy) + 1:]
        new_method = self.catalog.sdk_method("v0", method) if method else None
        if method and not new_method:
            return updated_node
        new = self.catalog.sdk.v0.replacement + (f".{new_method}" if method else "")
        self.count_site()
        return with_string_value(updated_node, new)

    def _new_func(self, original: cst.Attribute, updated: cst.Attribute, generation: str,
                  new_method: str) -> cst.Attribute | None:
        if generation == "v0":
            receiver = self.rename_resource(original.value, updated.value)
            if receiver is None:
                if (not isinstance(original.value, (cst.Name, cst.Attribute))
                        or self.alias_value(original.value) is None):
                    return None
                receiver = updated.value  # a local alias or self.<attr>, renamed at its assignment
        else:
            client = updated.value.value  # <client>.fine_tunes
            receiver = client
            for part in self.catalog.sdk.v1.replacement.split("."):
                receiver = cst.Attribute(value=receiver, attr=cst.Name(part), dot=updated.value.dot)
        return updated.with_changes(value=receiver, attr=cst.Name(new_method))

    def _create_args(self, call: cst.Call, args: list[cst.Arg], rule: str) -> list[cst.Arg]:
        fields = self.catalog.request_fields
        into, dropped = fields["into_hyperparameters"], fields["dropped"]
        quote = self.string_quote(call)
        n = len(args)
        out: list[tuple[cst.Arg, float]] = []
        moved: list[cst.Arg] = []
        existing: cst.Arg | None = None
        slot: int | None = None
        removed: list[str] = []
        has_model = has_star = False
        for i, arg in enumerate(args):
            kw = arg.keyword.value if arg.keyword is not None else None
            has_star = has_star or arg.star == "**"
            if kw in into and is_none(arg.value):
                continue  # the legacy default: the jobs API takes "auto" or a number, so it goes
            if kw in into or kw == "hyperparameters":
                if kw == "hyperparameters":
                    existing = arg
                else:
                    moved.append(arg)
                if slot is None:
                    slot = len(out)
                    out.append((arg, i))
                continue
            if kw in dropped:
                removed.append(kw)
                continue
            if kw == "model":
                has_model = True
                arg = arg.with_changes(value=self.model_value(arg.value))
            elif kw == "suffix":
                self.check_suffix(arg.value, rule)
            out.append((arg, i))
        if removed:
            self.todo(f"removed {', '.join(removed)}: {fields['dropped_reason']}", rule)
        if slot is not None:
            first = out[slot][0]
            hyper, comma = _hyperparameters(existing, moved, quote, _indent(call))
            out[slot] = (first.with_changes(keyword=cst.Name("hyperparameters"), value=hyper,
                                            comma=comma if comma is not None else first.comma), out[slot][1])
        model = self.default_model() if not has_model and not has_star else None
        if model is not None:
            anchor = next((k for k, (a, _) in enumerate(out)
                           if a.keyword is not None and a.keyword.value == "training_file"), len(out) - 1)
            new_arg = cst.Arg(keyword=cst.Name("model"), value=new_string(model, quote),
                              equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                                    whitespace_after=cst.SimpleWhitespace("")))
            if anchor < 0:
                out.append((new_arg, n - 0.5))
            else:
                before, src = out[anchor]
                if isinstance(before.equal, cst.AssignEqual):
                    new_arg = new_arg.with_changes(equal=before.equal)
                new_arg = new_arg.with_changes(comma=_plain(before.comma),
                                               whitespace_after_arg=before.whitespace_after_arg)
                if before.comma is cst.MaybeSentinel.DEFAULT:
                    before = before.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")),
                                                 whitespace_after_arg=cst.SimpleWhitespace(""))
                out[anchor] = (before, src)
                out.insert(anchor + 1, (new_arg, src + 0.5))
        if out and n and out[-1][1] < n - 1:
            last = args[-1]
            out[-1] = (out[-1][0].with_changes(comma=_plain(last.comma),
                                               whitespace_after_arg=last.whitespace_after_arg), out[-1][1])
        return [a for a, _ in out]


def _positional(call: cst.Call) -> bool:
    return any(a.keyword is None and a.star != "**" for a in call.args)


def _without(args: list[cst.Arg], drop: cst.Arg) -> list[cst.Arg]:
    out = [a for a in args if a is not drop]
    if out and args[-1] is drop:
        out[-1] = out[-1].with_changes(comma=drop.comma, whitespace_after_arg=drop.whitespace_after_arg)
    return out


def _plain(comma: cst.Comma | cst.MaybeSentinel) -> cst.Comma | cst.MaybeSentinel:
    """``comma`` without a trailing comment, so a comment is never duplicated when
    the comma moves to another argument (the comment stays with its own value)."""
    ws = comma.whitespace_after if isinstance(comma, cst.Comma) else None
    if isinstance(ws, cst.ParenthesizedWhitespace) and ws.first_line.comment is not None:
        return comma.with_changes(whitespace_after=ws.with_changes(first_line=cst.TrailingWhitespace()))
    return comma


def _broken(arg: cst.Arg) -> cst.ParenthesizedWhitespace | None:
    """The line break after ``arg`` when the call puts one argument per line."""
    ws = arg.comma.whitespace_after if isinstance(arg.comma, cst.Comma) else arg.whitespace_after_arg
    return ws if isinstance(ws, cst.ParenthesizedWhitespace) else None


def _indent(call: cst.Call) -> str | None:
    """The indentation of a call's arguments when it writes them from a new line, else None."""
    ws = call.whitespace_before_args
    return ws.last_line.value if isinstance(ws, cst.ParenthesizedWhitespace) else None


def _hyperparameters(existing: cst.Arg | None, moved: list[cst.Arg], quote: str, indent: str | None
                     ) -> tuple[cst.BaseExpression, cst.Comma | None]:
    """The ``hyperparameters`` value holding the moved flat arguments (merged into an
    existing one), and the comma its argument takes (None: keep the first one's).

    In a call written one argument per line (at ``indent``), the new dict is written one
    key per line too, one level deeper, each keeping the comment that followed its
    argument; the first moved argument's own comma and line break stay after the dict."""
    elements = [cst.DictElement(new_string(a.keyword.value, quote), a.value) for a in moved]
    if existing is not None:
        return merge_hyperparameters(existing.value, elements), None
    breaks = [_broken(a) for a in moved]
    if indent is None or not all(breaks):
        return cst.Dict(elements=elements), None
    inner = cst.SimpleWhitespace(indent + "    ")
    lines = []
    for k, (element, ws) in enumerate(zip(elements, breaks)):
        last = k == len(elements) - 1
        first_line = ws.first_line if isinstance(moved[k].comma, cst.Comma) else cst.TrailingWhitespace()
        lines.append(element.with_changes(comma=cst.Comma(whitespace_after=ws.with_changes(
            first_line=first_line, empty_lines=[],
            last_line=cst.SimpleWhitespace(indent) if last else inner))))
    lbrace = cst.LeftCurlyBrace(whitespace_after=breaks[0].with_changes(
        first_line=cst.TrailingWhitespace(), empty_lines=[], last_line=inner))
    if not isinstance(moved[0].comma, cst.Comma):
        return cst.Dict(elements=lines, lbrace=lbrace), None  # the last argument: no comma, its break to ")"
    comma = cst.Comma(whitespace_after=breaks[0].with_changes(first_line=cst.TrailingWhitespace(), empty_lines=[]))
    return cst.Dict(elements=lines, lbrace=lbrace), comma
