"""FX002: replace models shut down on 2024-01-04 with what replaces them on the as-of date.

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
a config dict value under a model-like key (``model``, ``engine``,
``base_model``...), the default of a command-line option named for a model
(argparse ``add_argument("--model", default=...)``, ``click.option("-m", ...)``) or
a member of an Enum named for models (``class Engine(Enum)``).  On ``openai.*`` calls ``engine=`` becomes ``model=`` (the
``/v1/engines`` routes are gone).  A legacy fine-tuned model (``curie:ft-...``) is
replaced only from the user's ``--model-map``; otherwise it gets a TODO saying it
must be re-trained.  Ordinary words ("Ada Lovelace", a ``davinci_config``
variable) are never touched: only exact, quoted model ids in those positions.
"""

from __future__ import annotations

from typing import Mapping

import libcst as cst

from ft_migrate_codemods._base import MigrationCommand, string_value, with_string_value
from ft_migrate_codemods.completions_to_chat import Planner
from migrator.advice import EMBEDDINGS_CALLS, not_embeddings
from migrator.catalog import Catalog
from migrator.code_shapes import (MODEL_OPTION, SDK_RESOURCE_CALL, SELF, TRAINING_FILE, cli_model_slots, cli_purpose,
                                  model_named, model_named_enum, named_purpose)
from migrator.scan import prefilter

MODEL_ARGS = ("model", "engine")
CHAT = "chat"  # the purpose of a call whose model FX008 writes (completions_to_chat)


class LegacyModelsToReplacementsCommand(MigrationCommand):
    ID = "FX002"
    RULE = "FT020"
    DESCRIPTION = "Replace shut-down model names used as models with their replacements."

    @classmethod
    def applies(cls, code: str, catalog: Catalog, model_map: Mapping[str, str]) -> bool:
        data = code.encode("utf-8", "surrogatepass")
        return (bool(prefilter.patterns(catalog)["code"].search(data)) or any(k in code for k in model_map)
                or "engine" in code)  # engine= on an SDK call becomes model= whatever the model

    def visit_Module(self, node: cst.Module) -> None:
        """Names passed as ``model=``/``engine=`` anywhere in the module: their
        constant and default-argument values are models too, to fine-tune when
        they are passed to a fine-tuning create, else to run."""
        self._flows: dict[str, str] = {}
        # names passed to the legacy CLI as its model (``f"openai api fine_tunes.create -m {model}"``):
        # what their value is for, when their name makes them a model already
        self._cli_flows: dict[str, str] = {}
        self._tuning_models: set[cst.DictElement] = set()  # "model" of a dict that also has "training_file"
        self._calls: list[str] = []  # the purpose of each call being visited, innermost last
        self._enums: list[bool] = []  # per enclosing class or function: an Enum named for models
        self._chat = Planner(self)
        flows, purpose_of, cli_flows, tuning_models = self._flows, self._purpose, self._cli_flows, self._tuning_models

        def cli_flow(name: str, command: str) -> None:
            if cli_flows.get(name) != "fine-tuning":
                cli_flows[name] = cli_purpose(command)

        class Collect(cst.CSTVisitor):
            def __init__(self) -> None:
                super().__init__()
                self.calls: list[str] = []

            def visit_Call(self, n: cst.Call) -> None:
                self.calls.append(purpose_of(n))

            def leave_Call(self, n: cst.Call) -> None:
                self.calls.pop()

            def visit_Arg(self, n: cst.Arg) -> None:
                if self.calls and self.calls[-1] == CHAT:
                    return
                if n.keyword is not None and n.keyword.value in MODEL_ARGS and isinstance(n.value, cst.Name):
                    if flows.get(n.value.value) != "fine-tuning":
                        flows[n.value.value] = self.calls[-1] if self.calls else "inference"

            def visit_Dict(self, n: cst.Dict) -> None:
                """A fine-tuning create's request: its model is a base model, and so is what a name there holds."""
                elements = [e for e in n.elements if isinstance(e, cst.DictElement)]
                if not any(string_value(e.key) == TRAINING_FILE for e in elements):
                    return
                for e in elements:
                    if string_value(e.key) == "model":
                        tuning_models.add(e)
                        if isinstance(e.value, cst.Name):
                            flows[e.value.value] = "fine-tuning"

            def visit_FormattedString(self, n: cst.FormattedString) -> None:
                texts = [p.value if isinstance(p, cst.FormattedStringText) else None for p in n.parts]
                for i in cli_model_slots(texts):
                    expression = n.parts[i].expression  # type: ignore[attr-defined]
                    if isinstance(expression, cst.Name):
                        cli_flow(expression.value, "".join(t or "X" for t in texts))

            def visit_List(self, n: cst.List) -> None:
                self._argv(n.elements)

            def visit_Tuple(self, n: cst.Tuple) -> None:
                self._argv(n.elements)

            def _argv(self, elements) -> None:
                words = [string_value(e.value) for e in elements]
                for i in cli_model_slots(words, " "):
                    if isinstance(elements[i].value, cst.Name):
                        cli_flow(elements[i].value.value, " ".join(w or "X" for w in words))

        node.visit(Collect())

    def _purpose(self, call: cst.Call) -> str:
        """"fine-tuning" for a fine-tuning create (legacy or new, any alias), :data:`CHAT` for a
        call whose model FX008 writes or explains, else "inference"."""
        if self._chat.owns_model(call):
            return CHAT
        func = call.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in ("create", "acreate"):
            return "inference"
        owners = {self.catalog.sdk.v0.legacy, self.catalog.sdk.v0.replacement}
        if any(q.rpartition(".")[0] in owners for q in self.qualified(func)):
            return "fine-tuning"
        chain = []
        node = func.value
        while isinstance(node, cst.Attribute):
            chain.insert(0, node.attr.value)
            node = node.value
        dotted = ".".join(chain)
        v1 = (self.catalog.sdk.v1.legacy, self.catalog.sdk.v1.replacement)
        return "fine-tuning" if any(dotted == p or dotted.endswith("." + p) for p in v1) else "inference"

    def _replace(self, node: cst.BaseExpression, purpose: str = "inference") -> cst.BaseExpression:
        name = string_value(node)
        if name is None or not isinstance(node, cst.SimpleString):
            return node
        new = self.map_model(name, self.RULE, purpose)
        if new is None or new == name:
            return node
        self.count_site()
        return with_string_value(node, new)

    def visit_Call(self, node: cst.Call) -> None:
        self._calls.append(self._purpose(node))

    def leave_Arg(self, original_node: cst.Arg, updated_node: cst.Arg) -> cst.Arg:
        return updated_node  # model=/engine= values are replaced with their call, in leave_Call

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        """A call's model is replaced only where the call as a whole works afterwards.

        ``engine=`` on an ``openai`` resource call becomes ``model=`` (the
        ``/v1/engines`` routes are gone).  ``engine=`` on a call not known to be the
        SDK, and the model of a legacy fine-tunes call left unmigrated, stay as
        they are with a TODO: a new model on an old route fails all the same.  The
        model is the one to fine-tune in a fine-tuning create, else the one to run.
        """
        purpose = self._calls.pop()
        if purpose == CHAT:  # FX008 moved this call to chat, or says why it could not
            return updated_node
        option = self._model_option(original_node)
        if option is not None:
            return updated_node.with_changes(args=[
                a.with_changes(value=self._replace(a.value, option))
                if a.keyword is not None and a.keyword.value == "default" else a for a in updated_node.args])
        keywords = [a.keyword.value if a.keyword is not None else None for a in original_node.args]
        if not any(k in MODEL_ARGS for k in keywords):
            return updated_node
        if self._no_equivalent(original_node.func):
            return updated_node  # the call's endpoint has no equivalent (FT002): a new model would not revive it
        legacy = [string_value(a.value) for a in original_node.args
                  if a.keyword is not None and a.keyword.value in MODEL_ARGS
                  and self._shut_down(string_value(a.value))]
        if self.qualified(original_node.func) & EMBEDDINGS_CALLS:
            wrong = [text for name in legacy if (text := not_embeddings(self.catalog, name)) is not None]
            for text in wrong:
                self.todo(text)
            if wrong:
                return updated_node  # the call stays as it is until a person picks the embeddings model
        if self._unmigrated_fine_tunes_call(original_node.func):
            for name in legacy:
                self.todo(f"model {name!r} is left as is: this legacy fine-tunes call was not migrated, and "
                          f"its model must change together with it")
            return updated_node
        openai_call = any(SDK_RESOURCE_CALL.match(q) for q in self.qualified(original_node.func))
        rename = "engine" in keywords and "model" not in keywords and openai_call
        if "engine" in keywords and not rename:
            why = ("model= is given too, and a call takes it once" if "model" in keywords and openai_call else
                   "this call is not known to be the openai SDK")
            for a in original_node.args:
                name = string_value(a.value) if a.keyword is not None and a.keyword.value == "engine" else None
                if self._shut_down(name):
                    self.todo(f"engine={name!r} is left as is: {why}, so ft-migrate cannot turn engine= into "
                              f"model= (the /v1/engines routes are gone); where it reaches OpenAI, pass model= "
                              f"with the replacement model")
        if rename:
            self.count_site()
        args = []
        for a in updated_node.args:
            keyword = a.keyword.value if a.keyword is not None else None
            if keyword == "model" or (keyword == "engine" and rename):
                a = a.with_changes(value=self._replace(a.value, purpose))
            if keyword == "engine" and rename:
                a = a.with_changes(keyword=cst.Name("model"))
            args.append(a)
        return updated_node.with_changes(args=args)

    def _no_equivalent(self, func: cst.BaseExpression) -> bool:
        """``openai.Answer.create``: the SDK resource of an endpoint the catalog says has no equivalent."""
        if not isinstance(func, cst.Attribute):
            return False
        return self.catalog.resource_endpoint(self.qualified(func), func.attr.value) is not None

    @staticmethod
    def _model_option(call: cst.Call) -> str | None:
        """The purpose of the model an option holds, for ``add_argument``/``option`` calls
        declaring an option named for a model (``--model``, ``-m``, ``--base-model``); else None."""
        func = call.func
        name = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", None)
        if name not in ("add_argument", "option"):
            return None
        flags = [v for a in call.args if a.keyword is None and (v := string_value(a.value)) and v.startswith("-")]
        if not any(MODEL_OPTION.match(f) for f in flags):
            return None
        return named_purpose(*flags)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._enums.append(model_named_enum(node.name.value, [self.qualified(b.value) for b in node.bases]))

    def leave_ClassDef(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> cst.ClassDef:
        self._enums.pop()
        return updated_node

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._enums.append(False)

    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef) -> cst.FunctionDef:
        self._enums.pop()
        return updated_node

    def _enum_member(self, node: cst.Assign) -> bool:
        """An assignment directly in the body of an Enum named for models."""
        return bool(self._enums) and self._enums[-1] and len(node.targets) == 1

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
        return name in (sdk.v0.legacy.rpartition(".")[2], sdk.v1.legacy)

    def leave_Assign(self, original_node: cst.Assign, updated_node: cst.Assign) -> cst.Assign:
        targets = [t.target for t in original_node.targets]
        if any(isinstance(t, cst.Name) and (t.value in self._flows or model_named(t.value))
               for t in targets) or self._legacy_fine_tuned(original_node.value) or self._enum_member(original_node):
            return updated_node.with_changes(value=self._replace(updated_node.value, self._flow(targets)))
        attrs = [name for t in targets if (name := _self_attribute(t)) is not None and model_named(name)]
        if attrs:  # self.engine = "text-davinci-003": a model-named attribute of the object
            return updated_node.with_changes(value=self._replace(updated_node.value, named_purpose(*attrs)))
        return updated_node

    def _flow(self, targets) -> str:
        """The purpose of the model a variable holds: fine-tuning when it flows into a create
        in this module, or when its name says so (``BASE_MODEL``, ``FINE_TUNE_MODEL``)."""
        names = [t.value for t in targets if isinstance(t, cst.Name)]
        if any(n in self._flows for n in names):
            return next(self._flows[n] for n in names if n in self._flows)
        if any(n in self._cli_flows for n in names):
            return next(self._cli_flows[n] for n in names if n in self._cli_flows)
        return named_purpose(*names)

    def _legacy_fine_tuned(self, value: cst.BaseExpression) -> bool:
        """A `base:ft-...` name is unambiguous: under any variable name it is a model
        that was shut down (mapped from --model-map, else a TODO to re-train)."""
        name = string_value(value)
        return name is not None and self.catalog.fine_tuned_base(name) is not None

    def leave_AnnAssign(self, original_node: cst.AnnAssign, updated_node: cst.AnnAssign) -> cst.AnnAssign:
        t = original_node.target
        if updated_node.value is not None and isinstance(t, cst.Name) and (
                t.value in self._flows or model_named(t.value)):
            return updated_node.with_changes(value=self._replace(updated_node.value, self._flow([t])))
        attr = _self_attribute(t)
        if updated_node.value is not None and attr is not None and model_named(attr):
            return updated_node.with_changes(value=self._replace(updated_node.value, named_purpose(attr)))
        return updated_node

    def leave_Param(self, original_node: cst.Param, updated_node: cst.Param) -> cst.Param:
        name = original_node.name.value
        if updated_node.default is not None and (name in self._flows or model_named(name)):
            purpose = self._flow([original_node.name])
            return updated_node.with_changes(default=self._replace(updated_node.default, purpose))
        return updated_node

    def leave_DictElement(self, original_node: cst.DictElement, updated_node: cst.DictElement) -> cst.DictElement:
        key = string_value(original_node.key)
        if model_named(key):
            purpose = "fine-tuning" if original_node in self._tuning_models else named_purpose(key)
            return updated_node.with_changes(value=self._replace(updated_node.value, purpose))
        return updated_node


def _self_attribute(target: cst.BaseExpression) -> str | None:
    """The name of ``self.<name>`` as an assignment target, else None."""
    if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and target.value.value == SELF:
        return target.attr.value
    return None
