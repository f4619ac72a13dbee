"""One training example: which format it is in, and whether the API would accept it.

The prompt/completion rules are those of the legacy ``prepare_data`` tool; the chat
rules are the error counters of OpenAI's data-prep script, whose names are kept as
the reason codes so users can match them to OpenAI's docs, applied to the version
of the chat format the target model takes (catalog ``[data.chat_formats]``).
A rejected example raises :class:`Reject` whose text starts with that code.
"""

from __future__ import annotations

from migrator.catalog import ChatFormat

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


def chat_example(value: object, fmt: ChatFormat) -> tuple[list[dict], list[str], dict]:
    """``(messages, ignored top-level keys, accepted top-level keys)`` of a chat example in ``fmt``.

    ``fmt`` (the target model's version of the format, from the catalog) says
    which roles, message keys and top-level keys exist; the data-prep script's
    checks apply to all of them, and what the format adds is checked for the
    shape OpenAI documents: ``weight`` 0 or 1, a ``function_call`` or
    ``tool_calls`` instead of content on an assistant message, a ``tool`` message
    naming its ``tool_call_id``, ``tools``/``functions`` lists of definitions.
    """
    if not isinstance(value, dict):
        raise Reject(f"data_type: the line is {_type_name(value)}, not a JSON object")
    messages = value.get("messages")
    if messages is None and ("prompt" in value or "completion" in value):
        raise Reject("wrong_format: a prompt/completion example in a chat file")
    if not isinstance(messages, list):
        raise Reject('missing_messages_list: no "messages" list')
    has_assistant = False
    for i, message in enumerate(messages, 1):
        _check_message(i, message, fmt)
        if message["role"] == "assistant":
            has_assistant = True
    if not has_assistant:
        raise Reject("example_missing_assistant_message: no assistant message")
    extra: list[str] = []
    line: dict = {}
    if len(value) > 1:
        for key, item in value.items():
            if key == "messages":
                continue
            if key in fmt.line_keys:
                _check_line_key(key, item)
                line[key] = item
            else:
                extra.append(key)
    return messages, extra, line


CALLS = ("function_call", "tool_calls")


def _check_message(i: int, message: object, fmt: ChatFormat) -> None:
    if not isinstance(message, dict):
        raise Reject(f"data_type: message {i} is {_type_name(message)}, not a JSON object")
    if "role" not in message:
        raise Reject(f'message_missing_key: message {i} has no "role"')
    unknown = [k for k in message if k not in fmt.message_keys]
    if unknown:
        raise Reject(f"message_unrecognized_key: message {i} has {', '.join(map(repr, unknown))}")
    role = message["role"]
    if not isinstance(role, str) or role not in fmt.roles:
        raise Reject(f"unrecognized_role: message {i} has role {role!r}")
    for key in message:
        allowed = fmt.key_roles.get(key)
        if allowed is not None and role not in allowed:
            raise Reject(f"message_unrecognized_key: message {i} has {key!r}, which only "
                         f"{'/'.join(allowed)} messages take")
    calls = [k for k in CALLS if k in message]
    if "content" not in message and not calls:
        raise Reject(f'message_missing_key: message {i} has no "content"')
    for key in fmt.required.get(role, ()):
        if key not in message:
            raise Reject(f'message_missing_key: message {i} ({role}) has no "{key}"')
    content = message.get("content")
    if calls:
        if len(calls) > 1:
            raise Reject(f'invalid_call: message {i} has both "function_call" and "tool_calls"')
        if content is not None and not isinstance(content, str):
            raise Reject(f"missing_content: message {i} content is {_type_name(content)}, not a string")
        _check_calls(i, calls[0], message[calls[0]])
    elif not isinstance(content, str) or not content:
        raise Reject(f"missing_content: message {i} content is {_type_name(content) if content != '' else 'empty'}")
    for key in ("name", "tool_call_id"):
        if key in message and (not isinstance(message[key], str) or not message[key]):
            raise Reject(f'data_type: message {i} "{key}" is {_type_name(message[key])}, not a non-empty string')
    if "weight" in message and (type(message["weight"]) is not int or message["weight"] not in (0, 1)):
        raise Reject(f'invalid_weight: message {i} "weight" is {message["weight"]!r}, not 0 or 1')


def _check_call(where: str, call: object) -> None:
    """A ``{"name", "arguments"}`` call, both strings (the arguments are JSON text)."""
    if not isinstance(call, dict):
        raise Reject(f"invalid_call: {where} is {_type_name(call)}, not a JSON object")
    for key in ("name", "arguments"):
        if not isinstance(call.get(key), str):
            raise Reject(f'invalid_call: {where} "{key}" is {_type_name(call.get(key))}, not a string')
    if not call["name"]:
        raise Reject(f'invalid_call: {where} "name" is empty')


def _check_calls(i: int, key: str, calls: object) -> None:
    if key == "function_call":
        _check_call(f"message {i} function_call", calls)
        return
    if not isinstance(calls, list) or not calls:
        raise Reject(f"invalid_call: message {i} tool_calls is {_type_name(calls) if calls != [] else 'empty'}, "
                     "not a list of calls")
    for n, call in enumerate(calls, 1):
        where = f"message {i} tool call {n}"
        if not isinstance(call, dict):
            raise Reject(f"invalid_call: {where} is {_type_name(call)}, not a JSON object")
        if not isinstance(call.get("id"), str) or not call["id"]:
            raise Reject(f'invalid_call: {where} has no "id"')
        if call.get("type") != "function":
            raise Reject(f'invalid_call: {where} "type" is {call.get("type")!r}, not "function"')
        _check_call(f"{where} function", call.get("function"))


def _check_definition(where: str, definition: object) -> None:
    if not isinstance(definition, dict):
        raise Reject(f"invalid_tools: {where} is {_type_name(definition)}, not a JSON object")
    if not isinstance(definition.get("name"), str) or not definition["name"]:
        raise Reject(f'invalid_tools: {where} has no "name"')
    if "description" in definition and not isinstance(definition["description"], str):
        raise Reject(f'invalid_tools: {where} "description" is {_type_name(definition["description"])}, not a string')
    if "parameters" in definition and not isinstance(definition["parameters"], dict):
        raise Reject(f'invalid_tools: {where} "parameters" is {_type_name(definition["parameters"])}, not an object')


def _check_line_key(key: str, value: object) -> None:
    if key == "parallel_tool_calls":
        if not isinstance(value, bool):
            raise Reject(f'data_type: "parallel_tool_calls" is {_type_name(value)}, not true or false')
        return
    if not isinstance(value, list):
        raise Reject(f'invalid_tools: "{key}" is {_type_name(value)}, not a list')
    for n, item in enumerate(value, 1):
        if key == "functions":
            _check_definition(f"function {n}", item)
            continue
        if not isinstance(item, dict) or item.get("type") != "function":
            got = item.get("type") if isinstance(item, dict) else item
            raise Reject(f'invalid_tools: tool {n} "type" is {got!r}, not "function"')
        _check_definition(f"tool {n} function", item.get("function"))
