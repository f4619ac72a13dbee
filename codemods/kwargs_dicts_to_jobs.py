"""FX005: rewrite dicts passed as ``**kwargs`` to a legacy create like its keyword arguments.

Before::

    params = {"training_file": file_id, "model": "curie", "prompt_loss_weight": 0.1}
    if epochs:
        params["n_epochs"] = epochs
    job = openai.FineTune.create(**params)

After::

    # TODO(ft-migrate FT010): removed prompt_loss_weight: the fine-tuning jobs API has no prompt loss weight and no classification metrics
    params = {"training_file": file_id, "model": "davinci-002"}
    if epochs:
        params.setdefault("hyperparameters", {})["n_epochs"] = epochs
    job = openai.FineTune.create(**params)

FX001 can only see the keyword arguments written in the call; a request built as
a dict would reach the jobs API with flat ``n_epochs`` and no ``model`` and be
rejected.  A dict literal bound once in the same scope, used only as ``**name``
of legacy creates and by ``name["key"] = value`` statements, is rewritten (see
:mod:`ft_migrate_codemods._request_body`); any other ``**`` argument of a legacy create
gets a TODO, because its shape cannot be known here.  Runs before FX001, which
renames the calls this codemod recognises.
"""

from __future__ import annotations

from typing import Mapping

import libcst as cst

from ft_migrate_codemods._base import string_value
from ft_migrate_codemods._request_body import HYPERPARAMETERS, RequestBodyCommand, follow_dict, manual_message, parent
from migrator.catalog import Catalog

CREATE = ("create", "acreate")


class KwargsDictsToJobsCommand(RequestBodyCommand):
    ID = "FX005"
    RULE = "FT010"
    DESCRIPTION = "Rewrite dicts passed as **kwargs to a legacy create like its keyword arguments."

    @classmethod
    def applies(cls, code: str, catalog: Catalog, model_map: Mapping[str, str]) -> bool:
        return "**" in code and super().applies(code, catalog, model_map)

    def plan(self, module: cst.Module) -> None:
        command = self

        class Find(cst.CSTVisitor):
            def visit_Call(self, call: cst.Call) -> None:
                rule = command._create_rule(call)
                for arg in call.args if rule else ():
                    if arg.star == "**":
                        command._follow(call, arg, rule)

        module.visit(Find())

    def _create_rule(self, call: cst.Call) -> str | None:
        match = self.legacy_call(call)
        if match is None or match[1] not in CREATE:
            return None
        return "FT010" if match[0] == "v0" else "FT011"

    def _consumes(self, up: cst.CSTNode) -> bool:
        """``up`` is ``**name`` in a legacy create."""
        if not (isinstance(up, cst.Arg) and up.star == "**"):
            return False
        call = parent(self, up)
        return isinstance(call, cst.Call) and self._create_rule(call) is not None

    def _follow(self, call: cst.Call, arg: cst.Arg, rule: str) -> None:
        followed = follow_dict(self, arg.value, self._consumes) if isinstance(arg.value, cst.Name) else None
        name = cst.Module([]).code_for_node(arg.value)
        hyper = (*self.catalog.request_fields["into_hyperparameters"], HYPERPARAMETERS)
        if followed is None:
            message = manual_message(self, f"the dict passed as **{name}")
            flat = _keywords(call, hyper)
            if flat:
                message += (f"; this call also passes {', '.join(flat)}, which become its hyperparameters=: "
                            f"put the dict's into that same dict, as a \"{HYPERPARAMETERS}\" key in **{name} "
                            f"would pass hyperparameters twice (TypeError)")
            self.add_manual(call, rule, message)
            return
        calls = [parent(self, a) for a in followed.consumers]
        flat = sorted({k for c in calls for k in _keywords(c, hyper)})
        inside = sorted(set(_literal_keys(followed.literal)) | set(followed.later.values())
                        | {k for keys in followed.updates.values() for k in keys})
        inside = [k for k in inside if k in hyper]
        if flat and inside:
            self.add_manual(call, rule, (
                f"this call passes {', '.join(flat)} and the dict passed as **{name} sets {', '.join(inside)}: "
                f"the jobs API takes all of them in one \"{HYPERPARAMETERS}\" dict, and hyperparameters given "
                f"both ways is a TypeError; move them into the dict, under \"{HYPERPARAMETERS}\""))
            return
        has_model = all(any(a.keyword is not None and a.keyword.value == "model" for a in c.args) for c in calls)
        self.add_body(followed.literal, rule, has_model=has_model, followed=followed)


def _keywords(call: cst.Call, names: tuple[str, ...]) -> list[str]:
    return [a.keyword.value for a in call.args if a.keyword is not None and a.keyword.value in names]


def _literal_keys(literal: cst.Dict | cst.Call) -> list[str]:
    if isinstance(literal, cst.Call):
        return [a.keyword.value for a in literal.args]
    return [string_value(e.key) for e in literal.elements]
