"""FX002: replace models shut down on 2024-01-04 with the catalog's replacements.

Before::

    MODEL = "text-davinci-003"

    def complete(prompt, engine="curie"):
        openai.Completion.create(engine=engine, prompt=prompt)
        return openai.Completion.create(model=MODEL, prompt=prompt)

After::

    MODEL = "gpt-3.5-turbo-instruct"

    def complete(prompt, engine="davinci-002"):
        openai.Completion.create(model=engine, prompt=prompt)
        return openai.Completion.create(model=MODEL, prompt=prompt)

A legacy model id is replaced where it is used as a model: a ``model=``/``engine=``
argument, a constant or default argument that flows into one in the same module,
or a config dict value under a model-like key (``model``, ``engine``,
``base_model``...).  On ``openai.*`` calls ``engine=`` becomes ``model=`` (the
``/v1/engines`` routes are gone).  A legacy fine-tuned model (``curie:ft-...``) is
replaced only from the user's ``--model-map``; otherwise it gets a TODO saying it
must be re-trained.  Ordinary words ("Ada Lovelace", a ``davinci_config``
variable) are never touched: only exact, quoted model ids in those positions.
"""

from __future__ import annotations

from typing import Mapping

import libcst as cst

from codemods._base import MigrationCommand, string_value, with_string_value
from migrator.catalog import Catalog
from migrator.scan import prefilter

MODEL_ARGS = ("model", "engine")


def _model_key(key: str | None) -> bool:
    return key is not None and (key in MODEL_ARGS or key.endswith("_model") or key.endswith("_engine"))


class LegacyModelsToReplacementsCommand(MigrationCommand):
    ID = "FX002"
    RULE = "FT020"
    DESCRIPTION = "Replace shut-down model names used as models with their replacements."

    @classmethod
    def applies(cls, code: str, catalog: Catalog, model_map: Mapping[str, str]) -> bool:
        data = code.encode("utf-8", "surrogatepass")
        return bool(prefilter.patterns(catalog)["code"].search(data)) or any(k in code for k in model_map)

    def visit_Module(self, node: cst.Module) -> None:
        """Names passed as ``model=``/``engine=`` anywhere in the module: their
        constant and default-argument values are models too."""
        self._flows: set[str] = set()
        flows = self._flows

        class Collect(cst.CSTVisitor):
            def visit_Arg(self, n: cst.Arg) -> None:
                if n.keyword is not None and n.keyword.value in MODEL_ARGS and isinstance(n.value, cst.Name):
                    flows.add(n.value.value)

        node.visit(Collect())

    def _replace(self, node: cst.BaseExpression) -> cst.BaseExpression:
        name = string_value(node)
        if name is None or not isinstance(node, cst.SimpleString):
            return node
        new = self.map_model(name, self.RULE)
        if new is None or new == name:
            return node
        self.count_site()
        return with_string_value(node, new)

    def leave_Arg(self, original_node: cst.Arg, updated_node: cst.Arg) -> cst.Arg:
        return updated_node  # model=/engine= values are replaced with their call, in leave_Call

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        """A call's model is replaced only where the call as a whole works afterwards.

        ``engine=`` on an ``openai`` resource call becomes ``model=`` (the
        ``/v1/engines`` routes are gone).  ``engine=`` on a call not known to be the
        SDK, and the model of a legacy fine-tunes call left unmigrated, stay as
        they are with a TODO: a new model on an old route fails all the same.
        """
        keywords = [a.keyword.value if a.keyword is not None else None for a in original_node.args]
        if not any(k in MODEL_ARGS for k in keywords):
            return updated_node
        legacy = [string_value(a.value) for a in original_node.args
                  if a.keyword is not None and a.keyword.value in MODEL_ARGS
                  and self._shut_down(string_value(a.value))]
        if self._unmigrated_fine_tunes_call(original_node.func):
            for name in legacy:
                self.todo(f"model {name!r} is left as is: this legacy fine-tunes call was not migrated, and "
                          f"its model must change together with it")
            return updated_node
        openai_call = any(q.startswith("openai.") for q in self.qualified(original_node.func))
        rename = "engine" in keywords and "model" not in keywords and openai_call
        if "engine" in keywords and not rename:
            for a in original_node.args:
                name = string_value(a.value) if a.keyword is not None and a.keyword.value == "engine" else None
                if self._shut_down(name):
                    self.todo(f"engine={name!r} is left as is: this call is not known to be the openai SDK, "
                              f"so ft-migrate cannot turn engine= into model= (the /v1/engines routes are "
                              f"gone); where it reaches OpenAI, pass model= with the replacement model")
        if rename:
            self.count_site()
        args = []
        for a in updated_node.args:
            keyword = a.keyword.value if a.keyword is not None else None
            if keyword == "model" or (keyword == "engine" and rename):
                a = a.with_changes(value=self._replace(a.value))
            if keyword == "engine" and rename:
                a = a.with_changes(keyword=cst.Name("model"))
            args.append(a)
        return updated_node.with_changes(args=args)

    def _shut_down(self, name: str | None) -> bool:
        return name is not None and (name in self.model_map or self.catalog.legacy_model(name) is not None
                                     or self.catalog.fine_tuned_base(name) is not None)

    def _unmigrated_fine_tunes_call(self, func: cst.BaseExpression) -> bool:
        """``<x>.FineTune.<m>(...)`` or ``<x>.fine_tunes.<m>(...)`` still there after FX001."""
        if not isinstance(func, cst.Attribute):
            return False
        receiver = func.value
        name = receiver.attr.value if isinstance(receiver, cst.Attribute) else getattr(receiver, "value", None)
        sdk = self.catalog.sdk
        return name in (sdk["v0"]["legacy"].rpartition(".")[2], sdk["v1"]["legacy"])

    def leave_Assign(self, original_node: cst.Assign, updated_node: cst.Assign) -> cst.Assign:
        targets = [t.target for t in original_node.targets]
        if any(isinstance(t, cst.Name) and (t.value in self._flows or _model_key(t.value.lower()))
               for t in targets) or self._legacy_fine_tuned(original_node.value):
            return updated_node.with_changes(value=self._replace(updated_node.value))
        return updated_node

    def _legacy_fine_tuned(self, value: cst.BaseExpression) -> bool:
        """A `base:ft-...` name is unambiguous: under any variable name it is a model
        that was shut down (mapped from --model-map, else a TODO to re-train)."""
        name = string_value(value)
        return name is not None and self.catalog.fine_tuned_base(name) is not None

    def leave_AnnAssign(self, original_node: cst.AnnAssign, updated_node: cst.AnnAssign) -> cst.AnnAssign:
        t = original_node.target
        if updated_node.value is not None and isinstance(t, cst.Name) and (
                t.value in self._flows or _model_key(t.value.lower())):
            return updated_node.with_changes(value=self._replace(updated_node.value))
        return updated_node

    def leave_Param(self, original_node: cst.Param, updated_node: cst.Param) -> cst.Param:
        name = original_node.name.value
        if updated_node.default is not None and (name in self._flows or _model_key(name)):
            return updated_node.with_changes(default=self._replace(updated_node.default))
        return updated_node

    def leave_DictElement(self, original_node: cst.DictElement, updated_node: cst.DictElement) -> cst.DictElement:
        if _model_key(string_value(original_node.key)):
            return updated_node.with_changes(value=self._replace(updated_node.value))
        return updated_node
