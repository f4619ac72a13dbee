"""Shapes of Python code that scan and fix both recognise, defined once for both.

Scan reports a site as fixable exactly when a codemod rewrites it, so the two must
agree on what a model-named option or Enum is and on the event helper fix writes.
Kept here, apart from both, so that neither imports the other.
"""

from __future__ import annotations

import re

# An option whose value is a model: ``-m``, ``--model``, ``--base-model``, ``--engine-id``...
MODEL_OPTION = re.compile(r"^(?:-m|--?(?:[\w-]*[-_])?(?:model|engine)(?:[-_](?:name|id))?)$", re.IGNORECASE)
ENUM_BASES = frozenset({"enum.Enum", "enum.StrEnum"})
# A name whose value is a model id: a variable, a parameter, a dict key or a keyword argument
# (``model``, ``engine``, ``model_name``, ``BASE_MODEL``, ``completion_engine``...).
MODEL_NAME = re.compile(r"^(?:model|engine|base_model|model_name|model_id|engine_id|fine_tuned_model|"
                        r"[a-z0-9_]*_model|[a-z0-9_]*_engine)$", re.IGNORECASE)


def model_named(name: str | None) -> bool:
    return name is not None and MODEL_NAME.match(name) is not None


# A legacy CLI command line, and in one built piece by piece (an f-string, an argv list) the
# text right before a value that is the command's model.
CLI_HINT = re.compile(r"\bopenai\b.*\bfine_tunes\.")
CLI_MODEL_FLAG = re.compile(r"(?:^|\s)(?:-m|--model|-e|--engine)[ =]$")


def cli_purpose(command: str) -> str:
    """What the model of a legacy CLI command line is for: "fine-tuning" for ``fine_tunes.create``."""
    return "fine-tuning" if re.search(r"\bfine_tunes\.create\b", command) else "inference"


def cli_model_slots(parts: list[str | None], joiner: str = "") -> list[int]:
    """Where a command line built from ``parts`` (literal text; None where an expression stands),
    joined by ``joiner`` (an f-string's pieces: ""; an argv list: " "), passes an expression as
    the legacy CLI's model: the indexes of the expressions right after ``-m``/``--model``/``-e``/
    ``--engine``, none unless the command runs the legacy fine-tunes CLI.  Scan and fix both
    follow the names found there to the model they hold."""
    texts = ["\uFFFC" if p is None else p for p in parts]  # a character standing for the expression
    if not CLI_HINT.search(joiner.join(texts)):
        return []
    slots, before = [], ""
    for i, (part, text) in enumerate(zip(parts, texts)):
        if part is None and CLI_MODEL_FLAG.search(before):
            slots.append(i)
        before += text + joiner
    return slots


# A dict with this key is the request of a fine-tuning create (either API: the SDK's ``**params``,
# an HTTP body): its "model" is a base model to fine-tune.
TRAINING_FILE = "training_file"
# The object a method's attributes are set on: ``self.model = "..."`` binds a model-named attribute.
SELF = "self"


def named_purpose(*names: str) -> str:
    """What the model a name holds is for, by the name: "fine-tuning" when one of ``names`` says so
    (``BASE_MODEL``, ``finetune_model``, ``FINE_TUNE_MODEL``), else "inference"."""
    tuning = any(k in n.lower() for n in names for k in ("base_model", "fine_tun", "finetun"))
    return "fine-tuning" if tuning else "inference"


# A call on one of the openai<1 SDK's API resources (``openai.Completion.create``,
# ``openai.Embedding.create``): there ``engine=`` picks a /v1/engines route, gone, and fix
# writes ``model=``.  A helper such as ``openai.embeddings_utils.get_embedding`` takes
# ``engine=`` as a parameter of its own, which must stay.
SDK_RESOURCE_CALL = re.compile(r"^openai\.[A-Z]\w*\.\w+$")

# Raw HTTP: the libraries whose calls FX006 rewrites, and the methods of theirs that send a request.
HTTP_LIBRARIES = ("requests", "httpx", "aiohttp")
HTTP_VERBS = ("get", "post", "put", "patch", "delete", "request")

# Why a fine-tunes create with a positional argument stays as it is: both SDKs' creates take
# keyword arguments only, so the fields of ``create(params)`` cannot be told apart.
POSITIONAL = "a positional argument: the fine-tuning jobs create takes keyword arguments only"

# What an index into a legacy listing of events now means: FX003's TODO there, and scan's finding,
# which stays after fix while that TODO stands above the index.
EVENT_INDEX = ("fine-tuning job events are listed newest-first (legacy: oldest-first) and paged: this index now "
               "counts from the newest; flip it or iterate reversed(...)")

def missing_field(key: str, entry: dict) -> str:
    """What FX003's TODO, and scan's finding, say of a field the job object does not have
    (a catalog ``response_fields`` entry that fix cannot rewrite where it stands)."""
    repl = f" ({entry['replacement']})" if entry["replacement"] else ""
    return f"the job object has no {key!r}{repl}: {entry['note']}"


# The generator fix writes for a loop over a legacy event stream, and the keywords of its job id.
EVENT_HELPER = "_ft_migrate_follow_events"
EVENT_ID_KEYWORDS = ("id", "fine_tune_id")


def model_named_enum(name: str, base_names: list[set[str]]) -> bool:
    """An Enum whose name says its members are models (``Model``, ``Engine``, ``ChatModels``);
    ``base_names`` holds the qualified names of each of its bases."""
    return re.search(r"(?i)model|engine", name) is not None and any(q & ENUM_BASES for q in base_names)

# The calls whose argv list fix (FX007) rewrites when it runs ``openai api ...``.
ARGV_RUNNERS = frozenset({"subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output",
                          "subprocess.Popen"})


def runs_openai_api(words: list[str]) -> bool:
    """Whether an argv list runs the legacy CLI (``openai api ...``), the lists FX007 rewrites."""
    return any(a == "openai" and b == "api" for a, b in zip(words, words[1:]))
