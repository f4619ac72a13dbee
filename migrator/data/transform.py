"""Turning one example into the other format (prompt/completion ⇄ chat).

OpenAI publishes no recipe, so these are ft-migrate's own rules, chosen to be
reversible wherever that is possible:

* completion → chat: user = the prompt without the file's separator; assistant =
  the completion without the file's stop sequence and then one leading space;
  an optional fixed system message first.
* completion → completion (cleaning for babbage-002/davinci-002): the separator,
  the leading space and the stop sequence are added where missing; other keys
  are dropped.
* chat → completion: only ``[system,] user, assistant`` examples of role and content alone;
  prompt = (system + blank line +) user + separator, completion = space +
  assistant + stop sequence.
* chat → chat: the messages as checked, plus the system message if given and the
  example has none; the line's ``tools``/``functions``/``parallel_tool_calls`` are kept.

Each function raises :class:`~migrator.data.examples.Reject` when the example
has no faithful image in the target format.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

from migrator.data.examples import CHAT, Reject

SYSTEM_JOINER = "\n\n"


def completion_to_chat(prompt: str, completion: str, separator: str | None, stop: str | None,
                       system: str | None) -> list[dict]:
    # split_ending's rule for a single ending, spelled out: this runs for every example converted
    user = prompt[:len(prompt) - len(separator)] if separator and prompt.endswith(separator) else prompt
    assistant = completion[:len(completion) - len(stop)] if stop and completion.endswith(stop) else completion
    if assistant[:1] == " ":
        assistant = assistant[1:]
    if not user:
        raise Reject("empty_prompt: no user message is left once the separator is removed; "
                     "keep open-ended data on babbage-002/davinci-002 (--to completion)")
    if not assistant:
        raise Reject("empty_completion: nothing is left once the stop sequence and leading space are removed")
    if system:
        return [{"role": "system", "content": system}, {"role": "user", "content": user},
                {"role": "assistant", "content": assistant}]
    return [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]


def clean_completion(prompt: str, completion: str, separator: str, stop: str) -> tuple[str, str]:
    if not prompt.endswith(separator):
        prompt += separator
    if not completion.startswith(" "):
        completion = " " + completion
    if not completion.endswith(stop):
        completion += stop
    return prompt, completion


def chat_prompt_parts(messages: list[dict], line: Mapping | None = None) -> tuple[str, str]:
    """``(prompt text, assistant text)`` of a chat example that maps to prompt/completion.

    Names, weights, function or tool calls and a line's ``tools`` have no place in
    a prompt/completion pair: such an example is rejected rather than stripped.
    """
    roles = [m["role"] for m in messages]
    if roles not in (["user", "assistant"], ["system", "user", "assistant"]) or line or any(
            len(m) != 2 or "content" not in m for m in messages):
        raise Reject("not_reversible: only [system,] user, assistant examples with nothing but role and "
                     "content map to one prompt and completion")
    texts = [m["content"] for m in messages]
    prompt = texts[-2] if len(texts) == 2 else texts[0] + SYSTEM_JOINER + texts[1]
    return prompt, texts[-1]


def chat_to_completion(messages: list[dict], separator: str, stop: str,
                       line: Mapping | None = None) -> tuple[str, str]:
    prompt, assistant = chat_prompt_parts(messages, line)
    return prompt + separator, " " + assistant + stop


def clean_chat(messages: list[dict], system: str | None) -> list[dict]:
    out = [dict(m) for m in messages]
    if system and not any(m["role"] == "system" for m in out):
        out.insert(0, {"role": "system", "content": system})
    return out


@dataclass(frozen=True)
class Plan:
    """How ``convert`` rewrites every example of one file (sent as is to its worker processes).

    ``source`` is the file's format, ``to`` the output's; ``separator`` and
    ``stop`` are the file's own (completion → chat strips them) or those to add
    (→ completion); a chat → chat plan has neither.
    """

    source: str
    to: str
    separator: str | None
    stop: str | None
    system: str | None

    def builder(self) -> Callable[[tuple], dict]:
        """The function that makes the output object of one checked example (a
        :class:`~migrator.data.analysis.Reader` payload): this plan's branch, chosen
        once, since it runs for every example of the file."""
        separator, stop, system = self.separator, self.stop, self.system
        if self.source == CHAT:
            if self.to == CHAT:
                return lambda payload: {"messages": clean_chat(payload[0], system), **payload[2]}

            def to_completion(payload) -> dict:
                prompt, completion = chat_to_completion(payload[0], separator, stop, payload[2])
                return {"prompt": prompt, "completion": completion}
            return to_completion
        if self.to == CHAT:
            return lambda payload: {"messages": completion_to_chat(payload[0], payload[1], separator, stop, system)}

        def cleaned(payload) -> dict:
            prompt, completion = clean_completion(payload[0], payload[1], separator, stop)
            return {"prompt": prompt, "completion": completion}
        return cleaned
