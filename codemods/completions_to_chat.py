"""FX008: move completions calls to chat completions where their model's replacement is a chat model.

Before (``--as-of 2026-11-28``)::

    def classify(ticket, engine="text-davinci-003"):
        response = openai.Completion.create(engine=engine, prompt=ticket + "\\n\\n###\\n\\n", max_tokens=1)
        return response["choices"][0]["text"]

After::

    def classify(ticket, engine="gpt-4.1-mini"):
        # TODO(ft-migrate FT020): 'text-davinci-003' was shut down and no completion-format model is left: the call now uses chat completions (messages=[...]) with 'gpt-4.1-mini' (valid until ...)
        response = openai.ChatCompletion.create(model=engine, messages=[{"role": "user", "content": ticket}], max_tokens=1)
        return response["choices"][0]["message"]["content"]

A call moves when the catalog's resolver says the target of its model on the
as-of date is a chat model (or ``--model-map``/``--target`` name one).  Then:
v0 ``openai.Completion.create/acreate`` becomes ``openai.ChatCompletion``, v1
``client.completions.create`` becomes ``client.chat.completions.create``,
``engine=`` becomes ``model=`` and the model written is the target (in the call,
or in the constant or default argument that only feeds such calls);
``prompt=p`` becomes one user message.  A separator at the end of a literal
prompt (``text + "\\n\\n###\\n\\n"``) is stripped by the same rule ``data convert``
strips it from the training prompts (:func:`migrator.data.conventions.split_ending`),
so the runtime input matches the converted training data.  Reads of the answer
that come from the moved call in the same scope, or through a function of the
module that returns it, follow: ``["choices"][i]["text"]`` reads
``["message"]["content"]``, a streamed chunk's ``["delta"]`` content; a returned
answer also gets a TODO for readers elsewhere.

A call is left as it is, with a TODO that says why and which model to move to,
when moving it would change what it does: a list of prompts (one chat call per
prompt), a request field chat completions have no equal for (``echo``,
``suffix``, ``best_of``, ``logprobs``), ``**kwargs`` or positional arguments
that hide what is sent.  A model this module cannot read (imported, computed) or
a fine-tune (which must be re-trained on chat data) moves only once no
completion-format model is usable at all, keeping the model expression, with a
TODO saying what it must name.  On a date when the target is still a
completion model (``--as-of 2023-12-01``) nothing changes.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Mapping

import libcst as cst
from libcst.codemod.visitors import AddImportsVisitor, RemoveImportsVisitor
from libcst.metadata import (Assignment, ParentNodeProvider, QualifiedNameProvider, QualifiedNameSource,
                             ScopeProvider)

from ft_migrate_codemods._base import MigrationCommand, string_value, with_string_value
from migrator.advice import for_model as advise, moved
from migrator.data.conventions import split_ending
from migrator.lifecycle import resolve, status, target_warnings

MODEL_ARGS = ("model", "engine")
CHANGED = ("completion", "chat")


def _keyword(arg: cst.Arg) -> str | None:
    return arg.keyword.value if arg.keyword is not None else None


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


def _indexed(node: cst.CSTNode) -> cst.BaseExpression | None:
    """``value`` of ``value[i]`` where ``i`` is not a string, else None."""
    if (isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index)
            and string_value(node.slice[0].slice.value) is None):
        return node.value
    return None


class _Declined(Exception):
    """The call is not this codemod's to move."""


@dataclass
class Plan:
    """What happens to one completions call (an original node)."""

    generation: str  # "v0" or "v1"
    move: bool  # False: left as it is, the TODOs say why
    rule: str  # the rule of the call's model: FT020, FT021 for a legacy fine-tune, FT022 retired later
    todos: list[tuple[str, str]] = field(default_factory=list)  # (rule, text)
    until: str | None = None  # said when the call moves: until when its new model holds
    stream: bool | None = False  # None: ``stream=`` is not a literal
    model: str | None = None  # the model to write; None keeps the expression
    model_node: cst.BaseExpression | None = None  # the literal to write it in
    content: cst.BaseExpression | None = None  # the user message's content


class Planner:
    """Decides, for a command's module, which completions calls move to chat.

    Shared with FX002, which leaves the model of such a call alone: this
    codemod writes it (or says with a TODO why the call stays).
    """

    def __init__(self, command: MigrationCommand):
        self.command = command
        self.catalog = command.catalog
        self.spec = command.catalog.completions
        self.plans: dict[cst.Call, Plan | None] = {}

    # -- which calls -------------------------------------------------------
    def generation(self, call: cst.Call) -> str | None:
        """"v0"/"v1" when ``call`` is a legacy completions create (not already chat)."""
        func = call.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in self.spec.methods:
            return None
        receiver = func.value
        if isinstance(receiver, cst.Attribute) and receiver.attr.value == self.spec.v1_legacy:
            if self.chat_call(call):
                return None
            # The v1 client has no ``acreate``: an AsyncOpenAI client's ``create`` is awaited.
            base = receiver.value
            if func.attr.value == "create" and (self.v1_receiver(base) or self.command.uses_v1_client()):
                return "v1"
            return None
        if self.spec.v0_legacy in self.command.qualified(receiver):
            return "v0"
        return None

    def chat_call(self, call: cst.Call) -> bool:
        """A chat completions create (what this codemod writes)."""
        func = call.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in self.spec.methods:
            return False
        if self.spec.v0_replacement in self.command.qualified(func.value):
            return True
        dotted, node = [], func.value
        while isinstance(node, cst.Attribute):
            dotted.insert(0, node.attr.value)
            node = node.value
        return ".".join(dotted).endswith(self.spec.v1_replacement)

    def v1_receiver(self, node: cst.BaseExpression) -> bool:
        """``node`` is the ``openai`` module or a name bound to one of the catalog's clients."""
        if "openai" in self.command.qualified(node):
            return True
        if isinstance(node, cst.Name):
            value = self.command.alias_value(node)
            if isinstance(value, cst.Call):
                return bool(self.command.qualified(value.func) & set(self.catalog.sdk.v1.clients))
        return False

    def owns_model(self, call: cst.Call) -> bool:
        """The model argument of ``call`` is this codemod's to write or explain: the call is on
        chat completions already, moves with a model written, or stays with a TODO saying why."""
        if self.chat_call(call):
            return True
        plan = self.plan(call)
        return plan is not None and (plan.model is not None or not plan.move)

    # -- the plan -----------------------------------------------------------
    def plan(self, call: cst.Call) -> Plan | None:
        if call not in self.plans:
            generation = self.generation(call)
            try:
                self.plans[call] = None if generation is None else self._plan(call, generation)
            except _Declined:
                self.plans[call] = None
        return self.plans[call]

    def _plan(self, call: cst.Call, generation: str) -> Plan | None:
        args = {_keyword(a): a for a in call.args if a.keyword is not None}
        model_arg = next((args[k] for k in MODEL_ARGS if k in args), None)
        unknown = None
        name, literal = self.model_name(model_arg.value) if model_arg is not None else (None, None)
        plan = Plan(generation, move=True, rule=self.rule_of(name))
        entry = self.catalog.model(name) if name is not None else None
        target = self.chat_target(name, plan) if name is not None else None
        if target is not None:
            plan.model, plan.model_node = target, literal
        elif entry is not None and entry.format == "chat":
            pass  # already a chat model: only the call is in the wrong API
        elif entry is not None and entry.format != CHANGED[0] or not self.no_completion_model():
            return None
        elif generation == "v1" and not self.v1_receiver(call.func.value.value):
            return None  # a ``.completions`` of something that may not be OpenAI
        else:
            unknown = self.unknown_model(model_arg, name)
        problems = self.blockers(call, args)
        if problems:
            plan.move = False
            plan.todos.append((plan.rule, f"{'; '.join(problems)}: the call is left on completions; "
                                                  f"{self.move_advice(name)}"))
            return plan
        if unknown is not None:  # the model the moved call keeps must be checked by hand
            plan.todos.append(unknown)
        plan.content, todo = self.content(args["prompt"].value)
        if todo:
            plan.todos.append((plan.rule, todo))
        stream = args.get("stream")
        if stream is not None:
            flag = stream.value
            literal_flag = isinstance(flag, cst.Name) and flag.value in ("True", "False")
            plan.stream = flag.value == "True" if literal_flag else None
            if plan.stream is None:
                plan.todos.append((plan.rule, f"stream={_code(flag)} is not a literal: a whole answer reads "
                                   "choices[i][\"message\"][\"content\"], a streamed chunk choices[i][\"delta\"]"
                                   ".get(\"content\", \"\"): update the reads of this response"))
        return plan

    def rule_of(self, name: str | None) -> str:
        """The rule scan reports the call's model under, which its TODO markers carry:
        FT021 for a legacy fine-tune, FT022 for a model retired after the legacy API."""
        if name is None:
            return self.command.RULE
        return "FT021" if self.catalog.fine_tuned_base(name) is not None else self.catalog.model_rule(name)

    def model_name(self, value: cst.BaseExpression) -> tuple[str | None, cst.SimpleString | None]:
        """The model a call names and the literal holding it: in the call, or in the
        constant or default argument a name refers to."""
        name = string_value(value)
        if name is not None:
            return name, value if isinstance(value, cst.SimpleString) else None
        if not isinstance(value, cst.Name):
            return None, None
        bound = self.command.assigned_nodes(value)
        if len(bound) != 1:
            return None, None
        node = bound[0]
        literal = node.default if isinstance(node, cst.Param) else self.command.alias_value(value)
        name = string_value(literal) if literal is not None else None
        return name, literal if name is not None and isinstance(literal, cst.SimpleString) else None

    def chat_target(self, name: str, plan: Plan) -> str | None:
        """The chat model ``name`` moves to on the catalog's date, with its TODOs in ``plan``;
        a fine-tune only through ``--model-map`` (swapping it for a base model would lose it)."""
        mapped = self.command.model_map.get(name)
        if mapped is not None:
            if self.catalog.format_of(mapped) != CHANGED[1]:
                raise _Declined  # the user's own choice, not a chat model: FX002 writes it
            plan.todos.extend((plan.rule, f"--model-map {name}={mapped}: {p}")
                              for p in target_warnings(self.catalog, mapped))
            return mapped
        if self.catalog.base_of(name) is not None:
            return None
        res = resolve(self.catalog, name, "inference")
        if res.target is None or res.format_change != CHANGED:
            return None
        if not (res.explicit or status(self.catalog, name)[1] or self.catalog.legacy_model(name)):
            # Alive, only retiring: the completion model FX002 wrote a run ago stays until it
            # is shut down, so that a second run changes nothing.
            return None
        if res.valid_until is not None:
            plan.until = moved(self.catalog, res)
        return res.target

    def no_completion_model(self) -> bool:
        """No completion-format model is usable on the catalog's date."""
        return not self.catalog.format_alive(CHANGED[0])

    def unknown_model(self, arg: cst.Arg | None, name: str | None) -> tuple[str, str]:
        """The TODO of a call that moves while its model stays: a fine-tune or a model not read here."""
        head = f"no completion-format model is left on {self.catalog.as_of.isoformat()}: the call now uses chat completions"
        if name is not None and self.catalog.base_of(name) is not None:
            advice = advise(self.catalog, name, "fine-tuning")
            how = f" and pass --model-map {name}=<new ft:... name>" if advice.target else ""
            return "FT021", f"{head}, so the fine-tune {name!r} must be replaced: {advice.extended(how)}"
        what = repr(name) if name is not None else _code(arg.value) if arg is not None else "the model (not given here)"
        return self.command.RULE, (f"{head}, so {what} must name a chat model (a fine-tuned completion model is "
                                   f"re-trained on chat data: `ft-migrate data convert --to chat`)")

    def move_advice(self, name: str | None) -> str:
        """What to move a call that stays to: the shared advice for its model."""
        if name is not None and name in self.command.model_map:
            return f"move it to chat completions (messages=[...]) with {self.command.model_map[name]!r}"
        if name is not None and self.catalog.base_of(name) is None:
            advice = advise(self.catalog, name)
            if advice.target is not None and advice.resolution.format_change == CHANGED:
                return advice.text
        return "no completion-format model is left: move it to chat completions (messages=[...]) by hand"

    def blockers(self, call: cst.Call, args: Mapping[str | None, cst.Arg]) -> list[str]:
        """Why the call cannot move without changing what it does."""
        out = []
        if any(a.keyword is None for a in call.args):
            hidden = [_code(a).rstrip(", ") for a in call.args if a.keyword is None]
            out.append(f"{', '.join(hidden)} may hold fields chat completions do not take")
        if all(k in args for k in MODEL_ARGS):
            out.append("engine= and model= are both given (only model= is left, and once)")
        no_equal = [k for k in self.spec.no_equal if k in args]
        out.extend(f"{k}= has no equal ({self.spec.no_equal[k]})" for k in no_equal)
        if "prompt" not in args:
            if not any(a.keyword is None for a in call.args):
                out.append("no prompt= is given")
        elif self.is_list(args["prompt"].value):
            out.append("prompt= is a list of prompts: chat completions answer one conversation per call, so one "
                       "call per prompt would change what comes back")
        elif _not_text(args["prompt"].value):
            out.append(f"prompt={_code(args['prompt'].value)} is not text")
        return out

    def is_list(self, value: cst.BaseExpression) -> bool:
        if isinstance(value, (cst.List, cst.Tuple, cst.ListComp)):
            return True
        if isinstance(value, cst.Name):
            return isinstance(self.command.alias_value(value), (cst.List, cst.Tuple, cst.ListComp))
        return False

    # -- the prompt -----------------------------------------------------------
    def content(self, prompt: cst.BaseExpression) -> tuple[cst.BaseExpression, str | None]:
        """The user message's content for ``prompt``, without a literal trailing separator;
        a TODO when a separator is in it some other way."""
        separators = self.catalog.data["separators"]
        stripped = self.strip(prompt, separators)
        if stripped is not None:
            return stripped, None
        found = self.separator_in(prompt, separators)
        if found is None:
            return prompt, None
        return prompt, (f"the prompt holds the separator {found!r} other than as a literal suffix: strip it where the "
                        f"prompt is built, as `ft-migrate data convert --to chat` strips it from the training prompts")

    def strip(self, node: cst.BaseExpression, separators) -> cst.BaseExpression | None:
        """``node`` without the separator it ends with literally, or None."""
        if node.lpar:
            inner = self.strip(node.with_changes(lpar=[], rpar=[]), separators)
            if inner is None or isinstance(inner, (cst.Name, cst.Attribute, cst.Subscript, cst.Call)):
                return inner
            return inner.with_changes(lpar=node.lpar, rpar=node.rpar)
        if isinstance(node, cst.SimpleString):
            value = string_value(node)
            rest, sep = split_ending(value, separators) if value is not None else (None, None)
            if sep is None or not rest:
                return None
            prefix, quote = node.prefix, node.quote
            body = _cut(node.value[len(prefix) + len(quote): -len(quote)], prefix, quote, rest)
            return None if body is None else node.with_changes(value=f"{prefix}{quote}{body}{quote}")
        if isinstance(node, cst.FormattedString):
            last = node.parts[-1] if node.parts else None
            if not isinstance(last, cst.FormattedStringText):
                return None
            prefix = node.start[: -len(node.end)].replace("f", "").replace("F", "")
            value = _evaluate(last.value, prefix, node.end)
            rest, sep = split_ending(value, separators) if value is not None else (None, None)
            if sep is None or (not rest and len(node.parts) == 1):
                return None
            body = _cut(last.value, prefix, node.end, rest)
            if body is None:
                return None
            return node.with_changes(parts=[*node.parts[:-1], *([last.with_changes(value=body)] if body else [])])
        if isinstance(node, (cst.ConcatenatedString, cst.BinaryOperation)):
            if isinstance(node, cst.BinaryOperation) and not isinstance(node.operator, cst.Add):
                return None
            if self.only_separator(node.right, separators):
                return node.left
            right = None if isinstance(node.right, cst.Name) else self.strip(node.right, separators)
            return None if right is None else node.with_changes(right=right)
        return None

    def only_separator(self, node: cst.BaseExpression, separators) -> bool:
        """``node`` is a separator literal, or a name bound to one."""
        value = string_value(node)
        if value is None and isinstance(node, cst.Name):
            constant = self.command.alias_value(node)
            value = string_value(constant) if constant is not None else None
        if value is None:
            return False
        rest, sep = split_ending(value, separators)
        return sep is not None and not rest

    def separator_in(self, node: cst.CSTNode, separators, depth: int = 0) -> str | None:
        """A separator in ``node``'s strings, or in what a name in it is bound to."""
        for child in _walk(node):
            text = None
            if isinstance(child, cst.SimpleString):
                text = string_value(child)
            elif isinstance(child, cst.FormattedStringText):
                text = child.value
            elif isinstance(child, cst.Name) and depth < 3:
                value = self.command.alias_value(child)
                found = self.separator_in(value, separators, depth + 1) if value is not None else None
                if found is not None:
                    return found
            for sep in separators if text else ():
                if sep in text or sep.encode("unicode_escape").decode() in text:
                    return sep
        return None


def _not_text(value: cst.BaseExpression) -> bool:
    """A literal that is no string: a number, a dict or set, bytes, None/True/False."""
    if isinstance(value, (cst.Integer, cst.Float, cst.Imaginary, cst.Dict, cst.Set, cst.DictComp, cst.SetComp)):
        return True
    if isinstance(value, cst.SimpleString):
        return "b" in value.prefix.lower()
    return isinstance(value, cst.Name) and value.value in ("None", "True", "False")


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


def _evaluate(body: str, prefix: str, quote: str) -> str | None:
    """The value of a string literal's source ``body`` (without its quotes)."""
    try:
        value = ast.literal_eval(f"{prefix}{quote}{body}{quote}")
    except (SyntaxError, ValueError):
        return None
    return value if isinstance(value, str) else None


def _cut(body: str, prefix: str, quote: str, rest: str) -> str | None:
    """The start of the literal source ``body`` that spells ``rest`` (its value without the
    separator), however the separator is spelled: ``\\n`` escapes or real newlines."""
    for end in range(len(body), -1, -1):
        value = _evaluate(body[:end], prefix, quote)
        if value == rest:
            return body[:end]
        if value is not None and len(value) < len(rest):
            return None
    return None


def _walk(node: cst.CSTNode):
    yield node
    for child in node.children:
        yield from _walk(child)


class CompletionsToChatCommand(MigrationCommand):
    ID = "FX008"
    RULE = "FT020"
    DESCRIPTION = "Move completions calls to chat completions where the model's replacement is a chat model."
    METADATA_DEPENDENCIES = (QualifiedNameProvider, ScopeProvider, ParentNodeProvider)
    TRIGGERS = ("Completion", "completions")

    # -- what flows from a moved call ---------------------------------------
    def visit_Module(self, node: cst.Module) -> None:
        self.planner = Planner(self)
        self._kinds: dict[cst.CSTNode, tuple[str, str]] = {}  # bound name -> (kind, generation)
        command = self

        class Collect(cst.CSTVisitor):
            def visit_Call(self, n: cst.Call) -> None:
                command.planner.plan(n)

            def visit_Assign(self, n: cst.Assign) -> None:
                if len(n.targets) == 1 and isinstance(n.targets[0].target, cst.Name):
                    command._bind(n.targets[0].target, command._kind(n.value))

            def visit_For(self, n: cst.For) -> None:
                if isinstance(n.target, cst.Name):
                    command._bind(n.target, command._element(n.iter))

            def visit_CompFor(self, n: cst.CompFor) -> None:
                if isinstance(n.target, cst.Name):
                    command._bind(n.target, command._element(n.iter))

        # A function of this module that returns a moved call's response (every ``return``
        # of it) makes its callers' values responses too; helpers may call helpers.
        self._helpers: dict[str, tuple[str, str]] = {}

        class Returns(cst.CSTVisitor):
            def visit_FunctionDef(self, n: cst.FunctionDef) -> None:
                values: list[cst.BaseExpression | None] = []

                class Collect(cst.CSTVisitor):
                    def visit_FunctionDef(self, inner: cst.FunctionDef) -> bool:
                        return inner is n

                    def visit_Lambda(self, inner: cst.Lambda) -> bool:
                        return False

                    def visit_Return(self, r: cst.Return) -> None:
                        values.append(r.value)

                n.visit(Collect())
                kinds = {command._kind(v) if v is not None else None for v in values}
                if len(kinds) == 1 and None not in kinds:
                    command._helpers[n.name.value] = kinds.pop()

        while True:
            known = (dict(self._kinds), dict(self._helpers))
            node.visit(Collect())
            node.visit(Returns())
            if (self._kinds, self._helpers) == known:
                break
        # The constants and defaults that hold the model of moved calls only: the target
        # is written there; where others read them too, it is written in the call instead.
        moved = [p for p in self.planner.plans.values() if p is not None and p.move and p.model_node is not None]
        self._constants = {p.model_node: p.model for p in moved
                           if all(q.model == p.model for q in moved if q.model_node is p.model_node)
                           and self._only_feeds_moved(p.model_node)}

    def _bind(self, target: cst.Name, kind: tuple[str, str] | None) -> None:
        if kind is not None:
            self._kinds[target] = kind

    def _moved(self, call: cst.BaseExpression) -> Plan | None:
        if isinstance(call, cst.Await):
            call = call.expression
        plan = self.planner.plan(call) if isinstance(call, cst.Call) else None
        return plan if plan is not None and plan.move and plan.stream is not None else None

    def _kind(self, value: cst.BaseExpression) -> tuple[str, str] | None:
        """What ``value`` is: a moved call's "response" or "stream", a "choice" of a
        response or a "delta" choice of a streamed chunk; None for anything else."""
        plan = self._moved(value)
        if plan is not None:
            return ("stream" if plan.stream else "response"), plan.generation
        call = value.expression if isinstance(value, cst.Await) else value
        if isinstance(call, cst.Call) and isinstance(call.func, cst.Name) and not self.qualified(call.func):
            helper = getattr(self, "_helpers", {}).get(call.func.value)  # a function of this module
            if helper is not None:
                return helper
        if isinstance(value, cst.Name):
            nodes = self.assigned_nodes(value)
            kinds = {self._kinds.get(n) for n in nodes}
            return kinds.pop() if nodes and len(kinds) == 1 else None
        inner = _indexed(value)
        acc = _access(inner) if inner is not None else None
        if acc is not None and acc[1] == "choices":
            return self._choice(self._kind(acc[0]))
        return None

    @staticmethod
    def _choice(of: tuple[str, str] | None) -> tuple[str, str] | None:
        if of is None or of[0] not in ("response", "chunk"):
            return None
        return ("choice" if of[0] == "response" else "delta"), of[1]

    def _element(self, iterable: cst.BaseExpression) -> tuple[str, str] | None:
        """What a loop over ``iterable`` binds: chunks of a stream, choices of a response."""
        kind = self._kind(iterable)
        if kind is not None and kind[0] == "stream":
            return "chunk", kind[1]
        acc = _access(iterable)
        if acc is not None and acc[1] == "choices":
            return self._choice(self._kind(acc[0]))
        return None

    # -- the call -----------------------------------------------------------
    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        plan = self.planner.plans.get(original_node)
        if plan is None:
            return updated_node
        if plan.move and plan.until:
            self.todo(plan.until, plan.rule)
        for rule, todo in plan.todos:
            self.todo(todo, rule)
        if not plan.move:
            return updated_node
        if self._returned(original_node):
            self.todo("the response is returned: code that reads choices[i][\"text\"] from it must read "
                      "choices[i][\"message\"][\"content\"] (a streamed chunk: choices[i][\"delta\"])", plan.rule)
        func = self._chat_func(original_node.func, updated_node.func, plan.generation)
        if func is None:
            self.todo("the call goes through a local alias of openai.Completion: move it to chat completions by hand",
                      plan.rule)
            return updated_node
        self.count_site()
        quote = self.string_quote(original_node)
        args = []
        for arg in updated_node.args:
            key = _keyword(arg)
            if key in MODEL_ARGS:
                arg = arg.with_changes(keyword=cst.Name("model"))
                if plan.model is not None and isinstance(arg.value, cst.SimpleString):
                    arg = arg.with_changes(value=with_string_value(arg.value, plan.model))
                elif plan.model is not None and plan.model_node not in self._constants:
                    arg = arg.with_changes(value=cst.SimpleString(f"{quote}{plan.model}{quote}"))
            elif key == "prompt":
                arg = arg.with_changes(keyword=cst.Name("messages"), value=self._messages(plan.content, quote))
            args.append(arg)
        return updated_node.with_changes(func=func, args=args)

    def _returned(self, call: cst.Call) -> bool:
        """The call's response leaves the function (``return`` of it or of a name bound to it)."""
        node: cst.CSTNode = call
        parent = self.get_metadata(ParentNodeProvider, node, None)
        if isinstance(parent, cst.Await):
            node, parent = parent, self.get_metadata(ParentNodeProvider, parent, None)
        if isinstance(parent, cst.Return):
            return True
        if not (isinstance(parent, cst.Assign) and len(parent.targets) == 1
                and isinstance(parent.targets[0].target, cst.Name)):
            return False
        target = parent.targets[0].target
        try:
            scope = self.get_metadata(ScopeProvider, target, None)
        except KeyError:
            return False
        for assignment in scope[target.value] if scope is not None else ():
            if isinstance(assignment, Assignment) and assignment.node is target:
                return any(isinstance(self.get_metadata(ParentNodeProvider, ref.node, None), cst.Return)
                           for ref in assignment.references)
        return False

    def _chat_func(self, original: cst.Attribute, updated: cst.Attribute,
                   generation: str) -> cst.BaseExpression | None:
        spec = self.catalog.completions
        if generation == "v1":
            receiver = updated.value
            for part in spec.v1_replacement.split(".")[:-1]:
                receiver = receiver.with_changes(value=cst.Attribute(receiver.value, cst.Name(part)))
            return updated.with_changes(value=receiver)
        module, _, old = spec.v0_legacy.rpartition(".")
        new_module, _, new = spec.v0_replacement.rpartition(".")
        receiver = original.value
        if isinstance(receiver, cst.Attribute) and receiver.attr.value == old and module == new_module \
                and module in self.qualified(receiver.value):
            return updated.with_changes(value=updated.value.with_changes(attr=cst.Name(new)))
        if isinstance(receiver, cst.Name):
            names = self.get_metadata(QualifiedNameProvider, receiver, set())
            if any(q.source is QualifiedNameSource.IMPORT and q.name == spec.v0_legacy for q in names):
                asname = None if receiver.value == old else receiver.value
                AddImportsVisitor.add_needed_import(self.context, new_module, new)
                RemoveImportsVisitor.remove_unused_import(self.context, module, old, asname=asname)
                return updated.with_changes(value=cst.Name(new))
        return None

    @staticmethod
    def _messages(content: cst.BaseExpression, quote: str) -> cst.List:
        def s(text: str) -> cst.SimpleString:
            return cst.SimpleString(f"{quote}{text}{quote}")

        space = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        message = cst.Dict([cst.DictElement(s("role"), s("user"), comma=space), cst.DictElement(s("content"), content)])
        return cst.List([cst.Element(message)])

    # -- the model where a name holds it -----------------------------------
    def leave_Param(self, original_node: cst.Param, updated_node: cst.Param) -> cst.Param:
        return self._constant(original_node.default, updated_node, "default")

    def leave_Assign(self, original_node: cst.Assign, updated_node: cst.Assign) -> cst.Assign:
        return self._constant(original_node.value, updated_node, "value")

    def _constant(self, literal, updated, attr: str):
        """Write the target into a literal that only moved calls read as their model."""
        if literal is None or literal not in self._constants:
            return updated
        self.count_site()
        return updated.with_changes(**{attr: with_string_value(getattr(updated, attr), self._constants[literal])})

    def _only_feeds_moved(self, literal: cst.SimpleString) -> bool:
        """Every read of the name ``literal`` is bound to is the model of a moved call."""
        moved_values = {a.value for call, p in self.planner.plans.items() if p is not None and p.move
                        for a in call.args if _keyword(a) in MODEL_ARGS}
        for call, plan in self.planner.plans.items():
            if plan is None or plan.model_node is not literal:
                continue
            for arg in call.args:
                if _keyword(arg) not in MODEL_ARGS or not isinstance(arg.value, cst.Name):
                    continue
                if arg.value is literal:
                    continue
                try:
                    scope = self.get_metadata(ScopeProvider, arg.value, None)
                except KeyError:
                    return False
                for assignment in scope[arg.value.value] if scope is not None else ():
                    if isinstance(assignment, Assignment) and not all(
                            ref.node in moved_values for ref in assignment.references):
                        return False
        return True

    # -- reads of the answer ------------------------------------------------
    def leave_Subscript(self, original_node: cst.Subscript, updated_node: cst.Subscript) -> cst.BaseExpression:
        return self._read(original_node, updated_node)

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.BaseExpression:
        return self._read(original_node, updated_node)

    def _read(self, original: cst.BaseExpression, updated: cst.BaseExpression) -> cst.BaseExpression:
        acc = _access(original)
        if acc is None or acc[1] != "text":
            return updated
        kind = self._kind(acc[0])
        if kind is None or kind[0] not in ("choice", "delta"):
            return updated
        self.count_site()
        base = updated.value
        quote = self.string_quote(original)
        if kind[0] == "choice":
            return _key(_key(base, "message", original, quote), "content", original, quote)
        delta = _key(base, "delta", original, quote)
        if isinstance(original, cst.Subscript) or kind[1] == "v0":
            return cst.Call(cst.Attribute(delta, cst.Name("get")),
                            [cst.Arg(cst.SimpleString(f"{quote}content{quote}"),
                                     comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
                             cst.Arg(cst.SimpleString(f"{quote}{quote}"))])
        text = cst.BooleanOperation(cst.Attribute(delta, cst.Name("content")), cst.Or(),
                                    cst.SimpleString(f"{quote}{quote}"))
        parent = self.get_metadata(ParentNodeProvider, original, None)
        if not isinstance(parent, (cst.Arg, cst.Assign, cst.AugAssign, cst.Return, cst.Element, cst.DictElement,
                                   cst.ListComp, cst.SetComp, cst.GeneratorExp)):
            text = text.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        return text


def _key(base: cst.BaseExpression, key: str, like: cst.BaseExpression, quote: str) -> cst.BaseExpression:
    """``base[key]`` or ``base.key``, in the style of ``like``."""
    if isinstance(like, cst.Attribute):
        return cst.Attribute(base, cst.Name(key))
    return cst.Subscript(base, [cst.SubscriptElement(cst.Index(cst.SimpleString(f"{quote}{key}{quote}")))])
