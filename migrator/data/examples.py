"""One training example: which format it is in, and whether the API would accept it.

The prompt/completion rules are those of the legacy ``prepare_data`` tool; the chat
rules are the error counters of OpenAI's August-2023 data-prep script (spec §g),
whose names are kept as the reason codes so users can match them to OpenAI's docs.
A rejected example raises :class:`Reject` whose text starts with that code.
"""

from __future__ import annotations

COMPLETION = "completion"
CHAT = "chat"


class Reject(Exception):
    """The example cannot be used; ``str()`` is ``"<code>: <explanation>"``."""


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)


def detect_format(value: object) -> str | None:
    """``chat`` or ``completion`` for a JSON object, ``None`` for anything else."""
    if not isinstance(value, dict):
        return None
    return CHAT if "messages" in value else COMPLETION


def completion_example(value: object) -> tuple[str, str, list[str]]:
    """``(prompt, completion, extra keys)`` of a prompt/completion example."""
    if not isinstance(value, dict):
        raise Reject(f"data_type: the line is {_type_name(value)}, not a JSON object")
    if "messages" in value:
        raise Reject("wrong_format: a chat example in a prompt/completion file")
    for key in ("prompt", "completion"):
        if key not in value:
            raise Reject(f'missing_field: no "{key}"')
    prompt, completion = value["prompt"], value["completion"]
    if not isinstance(prompt, str):
        raise Reject(f'not_string: "prompt" is {_type_name(prompt)}, not a string')
    if not isinstance(completion, str):
        raise Reject(f'not_string: "completion" is {_type_name(completion)}, not a string')
    if not completion.strip():
        raise Reject("empty_completion: the completion is empty")
    extra = [k for k in value if k != "prompt" and k != "completion"] if len(value) > 2 else []
    return prompt, completion, extra


def chat_example(value: object, roles: tuple[str, ...], keys: tuple[str, ...]) -> tuple[list[dict], list[str]]:
    """``(messages, extra top-level keys)`` of a chat example, checked as §g says."""
    if not isinstance(value, dict):
        raise Reject(f"data_type: the line is {_type_name(value)}, not a JSON object")
    messages = value.get("messages")
    if messages is None and ("prompt" in value or "completion" in value):
        raise Reject("wrong_format: a prompt/completion example in a chat file")
    if not isinstance(messages, list):
        raise Reject('missing_messages_list: no "messages" list')
    has_assistant = False
    for i, message in enumerate(messages, 1):
        if not isinstance(message, dict):
            raise Reject(f"data_type: message {i} is {_type_name(message)}, not a JSON object")
        for key in ("role", "content"):
            if key not in message:
                raise Reject(f'message_missing_key: message {i} has no "{key}"')
        unknown = [k for k in message if k not in keys]
        if unknown:
            raise Reject(f"message_unrecognized_key: message {i} has {', '.join(map(repr, unknown))}")
        role = message["role"]
        if role not in roles:
            raise Reject(f"unrecognized_role: message {i} has role {role!r}")
        content = message["content"]
        if not isinstance(content, str) or not content:
            raise Reject(f"missing_content: message {i} content is {_type_name(content) if content != '' else 'empty'}")
        if "name" in message and not isinstance(message["name"], str):
            raise Reject(f'data_type: message {i} "name" is {_type_name(message["name"])}, not a string')
        if role == "assistant":
            has_assistant = True
    if not has_assistant:
        raise Reject("example_missing_assistant_message: no assistant message")
    extra = [k for k in value if k != "messages"] if len(value) > 1 else []
    return messages, extra
