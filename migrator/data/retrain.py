"""What re-training on a legacy training file takes on the as-of date: the model, and the
``data convert`` command that makes the file it trains on.

``fix`` prints it for every prompt/completion file in the tree it rewrites and ``report``
shows it beside the file's cost, so the code half and the data half of a migration name
the same model and the same file.  The model is :func:`migrator.data.target.default_model`'s,
the one ``data check`` prices the file on (the lifecycle resolver's answer for the date).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import PurePath

from migrator.catalog import Catalog
from migrator.data.target import default_model, no_model_reason

# The name ``data convert`` output is given beside its input, by target format.
SUFFIX = {"chat": ".chat.jsonl", "completion": ".clean.jsonl"}


@dataclass(frozen=True)
class Retrain:
    path: str
    format: str  # the file's format: "completion" or "chat"
    target: str | None  # the model to fine-tune; None when no model takes new jobs that day
    to: str | None  # the format ``data convert`` writes; None when the file needs no conversion
    command: str | None
    note: str | None = None  # why there is no target

    def as_json(self) -> dict:
        return {"target": self.target, "to": self.to, "command": self.command, "note": self.note}

    def sentence(self) -> str:
        """One line for a terminal: the file, the model and the command."""
        kind = "prompt/completion" if self.format == "completion" else "chat"
        if self.target is None:
            return f"{self.path} ({kind} data): {self.note}"
        if self.command is None:
            return f"{self.path} ({kind} data): re-train on {self.target} as it is (`ft-migrate data check` it first)"
        return f"{self.path} ({kind} data): re-train on {self.target} after `{self.command}`"


def output_name(path: str, to: str) -> str:
    """``data/train.jsonl`` → ``data/train.chat.jsonl`` (or ``.clean.jsonl`` for completion data)."""
    p = PurePath(path)
    stem = p.name[: -len(p.suffix)] if p.suffix.lower() == ".jsonl" else p.name
    return str(p.with_name(stem + SUFFIX[to]))


def plan(path: str, fmt: str, catalog: Catalog) -> Retrain:
    """How to re-train on the file at ``path`` (shown as given) whose format is ``fmt``."""
    model = default_model(catalog, fmt)
    if model is None:
        return Retrain(path, fmt, None, None, None, no_model_reason(catalog))
    # Legacy prompt/completion data is always converted: to chat, or cleaned of what the
    # new completion models do not need; chat data for a chat model is used as it is.
    to = model.format if fmt == "completion" or model.format != fmt else None
    if to is None:
        return Retrain(path, fmt, model.id, None, None)
    command = shlex.join(["ft-migrate", "data", "convert", "--to", to, path, "-o", output_name(path, to)])
    return Retrain(path, fmt, model.id, to, command)
