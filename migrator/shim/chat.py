"""Legacy completions answered by chat completions, where no completion model is left.

After the last completion-format model is shut down, ``POST /v1/completions``
has nothing to answer with, so a legacy call (``Completion.create(prompt=...)``)
whose model resolves to a chat model on the catalog's date is sent to chat
completions as one user message and its answer is rebuilt as the
``text_completion`` object (or the stream of them) old clients parse.  The
prompt loses the training separator it ends with by the same rule ``data
convert`` strips it from the training prompts and ``fix`` strips it from the
code (:func:`migrator.data.conventions.split_ending`), so the runtime input
matches the converted training data.

Which request fields chat completions have no equal for is the catalog's
``[completions.no_equal]``, the table ``fix`` reads too.  Pure functions over
decoded JSON; the adapters call :class:`ChatAnswers` on what the upstream sends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import orjson

from migrator.advice import for_model as advise, moved
from migrator.catalog import Catalog
from migrator.data.conventions import split_ending
from migrator.lifecycle import resolve, status

from .mapping import MappingError, ModelChoice, error_body

CHAT_PATH = "/v1/chat/completions"
COMPLETION_OBJECT = "text_completion"
USAGE_KEYS = ("prompt_tokens", "completion_tokens", "total_tokens")
FORMATS = ("completion", "chat")


def chat_route(name: str, cat: Catalog, model_map: Mapping[str, str]) -> ModelChoice | None:
    """The chat model a completions call on ``name`` goes to on the catalog's date, or
    None when the call stays on completions.

    The user's mapping wins (a chat model or a fine-tune of one).  A chat model
    asked on completions goes to chat as it is.  A model shut down by the date
    (or one the user sent elsewhere with ``--target``) goes where the resolver
    says when that is a chat model.  A fine-tune is never swapped for a base
    model (its training would be lost): one whose base is shut down is refused
    with what to do.  A model the catalog does not know goes to chat once no
    completion-format model is alive, since nothing else could answer it.
    """
    if name in model_map:
        mapped = model_map[name]
        return ModelChoice(mapped, f"--model-map {name}={mapped}", chat=True) \
            if cat.format_of(mapped) == FORMATS[1] else None
    fmt = cat.format_of(name)
    if fmt == FORMATS[1]:
        return ModelChoice(name, "a chat model", chat=True)
    if cat.base_of(name) is not None:
        shutdown, dead = status(cat, name)
        if dead and cat.fine_tuned_base(name) is None:  # legacy fine-tunes: mapping.map_model says what to do
            advice = advise(cat, name, "fine-tuning")
            raise MappingError(
                f"The model `{name}` is a fine-tune of {cat.base_of(name)}, shut down on "
                f"{shutdown.date.isoformat()}, and the shim has no mapping for it: {advice.text}; then start the "
                f"shim with --model-map '{name}=<new ft: model>'.", param="model", code="model_not_found", status=404)
        return None
    if fmt is None:
        if cat.format_alive(FORMATS[0]):
            return None
        return ModelChoice(name, f"no completion-format model is left on {cat.as_of.isoformat()}", chat=True)
    res = resolve(cat, name, "inference")
    if res.target is None or res.format_change != FORMATS:
        return None
    if not (res.explicit or status(cat, name)[1] or cat.legacy_model(name)):
        return None  # alive, only retiring: it still answers on completions
    return ModelChoice(res.target, moved(cat, res), chat=True)


@dataclass
class ChatRequest:
    body: dict
    no_equal: list[str] = field(default_factory=list)  # fields asked for that chat completions cannot do
    notes: list[str] = field(default_factory=list)


def chat_request(legacy: dict, model: str, cat: Catalog) -> ChatRequest:
    """The chat completions body for a legacy completions body (``model`` already chosen).

    Nulls mean "the default" and are left out (the v0 CLI sends them); ``false``
    asks for nothing either (``echo=False``).  Every other field chat completions
    take goes over as it is (``max_tokens``, ``temperature``, ``stop``, ``n``,
    ``stream``...); the catalog's no-equal fields are listed in ``no_equal`` for
    the caller to refuse or drop.  A prompt that is not one text is refused:
    chat completions answer one conversation per call.
    """
    no_equal_fields = cat.completions.no_equal
    prompt = legacy.get("prompt")
    if prompt is None:
        raise MappingError("Missing required parameter: prompt (chat completions need the text to answer).",
                           param="prompt")
    if isinstance(prompt, list):
        raise MappingError(
            f"prompt is a list of {len(prompt)} prompts: chat completions answer one conversation per call, so one "
            f"call per prompt would change what comes back; send one prompt per request.", param="prompt")
    if not isinstance(prompt, str):
        raise MappingError(f"prompt must be a string or a list, not {_kind(prompt)}.", param="prompt")
    n, stream = legacy.get("n"), legacy.get("stream")
    if stream is True and isinstance(n, int) and not isinstance(n, bool) and n > 1:
        raise MappingError(f"n={n} with stream=true: the shim streams one choice per request when it answers "
                           f"with chat completions; ask for n=1, or without stream.", param="n")
    content, separator = split_ending(prompt, cat.data["separators"])
    out = ChatRequest({"model": model, "messages": [{"role": "user", "content": content if content else prompt}]})
    if separator is not None and content:
        out.notes.append(f"separator {separator!r} stripped from the end of the prompt")
    for key, value in legacy.items():
        if key in ("model", "prompt") or value is None or value is False and key in no_equal_fields:
            continue
        if key in no_equal_fields:
            out.no_equal.append(key)
        else:
            out.body[key] = value
    return out


def no_equal_text(names: list[str], cat: Catalog) -> str:
    """``echo (chat completions do not return the prompt); suffix (...)``"""
    return "; ".join(f"{k} ({cat.completions.no_equal[k]})" for k in names)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


# ---------------------------------------------------------------------------
# Answers: chat.completion → text_completion, chat.completion.chunk → text_completion chunk
# ---------------------------------------------------------------------------
def legacy_completion(chat: Any) -> dict | None:
    """A chat completion as the legacy ``text_completion``; None when ``chat`` is not one."""
    choices = _choices(chat)
    if choices is None:
        return None
    usage = chat.get("usage")
    return {**_head(chat),
            "choices": [_choice(c, i, c.get("message")) for i, c in enumerate(choices)],
            "usage": {k: usage[k] for k in USAGE_KEYS if k in usage} if isinstance(usage, dict) else None}


def legacy_chunk(chunk: Any) -> dict | None | bool:
    """A streamed chat chunk as a legacy stream chunk; None when it carries nothing a
    legacy client would see (the opening role-only chunk, a usage-only chunk);
    False when ``chunk`` is not a chat chunk at all."""
    choices = _choices(chunk)
    if choices is None:
        return False
    out = [_choice(c, i, c.get("delta")) for i, c in enumerate(choices)]
    out = [c for c in out if c["text"] or c["finish_reason"] is not None]
    return {**_head(chunk), "choices": out} if out else None


def _choices(value: Any) -> list[dict] | None:
    if not isinstance(value, dict):
        return None
    choices = value.get("choices")
    if not isinstance(choices, list) or not all(isinstance(c, dict) for c in choices):
        return None
    return choices


def _head(value: dict) -> dict:
    return {"id": value.get("id"), "object": COMPLETION_OBJECT, "created": value.get("created"),
            "model": value.get("model")}


def _choice(choice: dict, position: int, message: Any) -> dict:
    text = message.get("content") if isinstance(message, dict) else None
    if not isinstance(text, str):  # a refusal instead of an answer, or nothing
        refusal = message.get("refusal") if isinstance(message, dict) else None
        text = refusal if isinstance(refusal, str) else ""
    index = choice.get("index")
    return {"text": text, "index": index if isinstance(index, int) else position, "logprobs": None,
            "finish_reason": choice.get("finish_reason")}


def _dumps(obj: Any) -> bytes:
    return b"data: " + orjson.dumps(obj) + b"\n\n"


class ChatAnswers:
    """What an adapter calls on the upstream's answer to a translated call."""

    def whole(self, value: Any) -> dict | None:
        """A JSON answer; None when it is not a chat completion (the adapter answers 502)."""
        return legacy_completion(value)

    def events(self, block: bytes) -> bytes:
        """Whole server-sent events (``data: ...`` blocks) as legacy events: one line of
        JSON each, ``[DONE]`` kept, comments and ``event:``/``id:``/``retry:`` fields
        (which old clients choke on) left out.  An error event, or one that is not a
        chat chunk, goes out as the error envelope old clients raise on."""
        out = bytearray()
        for data in _event_data(block):
            if data.strip() == b"[DONE]":
                out += b"data: [DONE]\n\n"
                continue
            try:
                value = orjson.loads(data)
            except ValueError:
                value = None
            if isinstance(value, dict) and value.get("error"):
                err = value["error"]
                err = err if isinstance(err, dict) else {"message": str(err)}
                out += _dumps(error_body(str(err.get("message") or "error while streaming"),
                                         str(err.get("type") or "server_error"), err.get("param"), err.get("code")))
                continue
            chunk = legacy_chunk(value)
            if chunk is False:
                out += _dumps(error_body("The upstream API sent a stream event that is not a chat completion "
                                         "chunk.", "server_error"))
            elif chunk is not None:
                out += _dumps(chunk)
        return bytes(out)


def _event_data(block: bytes) -> list[bytes]:
    """The data of each event in ``block`` (several ``data:`` lines of one event joined by newlines)."""
    events: list[bytes] = []
    current: list[bytes] | None = None
    for line in block.replace(b"\r\n", b"\n").split(b"\n"):
        if not line:
            if current is not None:
                events.append(b"\n".join(current))
            current = None
            continue
        name, _, value = line.partition(b":")
        if name == b"data":
            (current := current if current is not None else []).append(value[1:] if value[:1] == b" " else value)
    if current is not None:
        events.append(b"\n".join(current))
    return events


CHAT_ANSWERS = ChatAnswers()
