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
        if original_node.keyword is None or original_node.keyword.value not in MODEL_ARGS:
            return updated_node
        return updated_node.with_changes(value=self._replace(updated_node.value))

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        """``engine=`` on an ``openai`` resource call becomes ``model=``."""
        engine = [a for a in original_node.args if a.keyword is not None and a.keyword.value == "engine"]
        has_model = any(a.keyword is not None and a.keyword.value == "model" for a in original_node.args)
        if not engine or has_model or not any(q.startswith("openai.") for q in self.qualified(original_node.func)):
            return updated_node
        self.count_site()
        return updated_node.with_changes(args=[
            a.with_changes(keyword=cst.Name("model")) if a.keyword is not None and a.keyword.value == "engine" else a
            for a in updated_node.args])

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
