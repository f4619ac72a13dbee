"""Rewriting ``openai api fine_tunes.*`` command lines (shell, Makefile, Markdown, notebooks).

The legacy CLI commands call ``/v1/fine-tunes``; the same ``openai`` 0.28 CLI has
``fine_tuning.job.*`` (singular ``job``) for the jobs API.  A command line is
rewritten token by token so that everything around it (quoting, backslash
continuations, other commands on the line, the user's spacing) stays as written:

* the command name is mapped through the catalog (``cli.commands``);
* for ``create``, flags with no equivalent are removed with their values and
  named in a TODO; ``-m``/``--model`` is mapped like an SDK ``model=`` (the legacy
  default ``curie`` is written explicitly, since the new command sends what it is
  given); a legacy create followed the job until it finished unless
  ``--no_follow`` was given, the new one never does, so that gets a TODO too;
* ``events --stream`` loses the flag; ``follow`` and ``delete`` have no
  equivalent and keep a TODO saying what to do instead.

TODO markers go on their own line above the command (``# TODO(ft-migrate FT040):
...``), never twice.  In Markdown only fenced code blocks are touched: prose
stays prose.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Mapping

from migrator.todo_markers import todo_key, todo_text
from migrator.advice import for_model as advise
from migrator.catalog import Catalog
from migrator.code_shapes import runs_openai_api

COMMAND_RE = re.compile(r"(?<![\w./-])openai(?P<globals>(?:[ \t]+-\S+(?:[ \t]+(?!api\b)[^\s-]\S*)?)*)"
                        r"[ \t]+api[ \t]+(?P<cmd>fine_tunes\.\w+)")
# One shell word: quoted pieces or plain characters; separators keep backslash continuations.
WORD_RE = re.compile(r"""(?:"(?:[^"\\]|\\.)*"|'[^']*'|\$\([^)\n]*\)|\$\{[^}\n]*\}|`[^`\n]*`|[^\s;&|()#'"`])+""")
SEP_RE = re.compile(r"(?:[ \t]|\\\r?\n)+")
FENCE_RE = re.compile(r"^[ \t]*(```|~~~)")


@dataclass
class _Rewrite:
    text: str
    todos: list[str]
    sites: int


def transform_text(data: bytes, kind: str, catalog: Catalog, model_map: Mapping[str, str]) -> tuple[bytes, int]:
    """The migrated bytes of a shell script, Makefile, Dockerfile or Markdown file."""
    bom = data.startswith(b"\xef\xbb\xbf")
    text = data[3:].decode("utf-8") if bom else data.decode("utf-8")
    out, sites = rewrite_lines(text, catalog, model_map, makefile=kind == "makefile",
                               markdown=kind == "markdown")
    if out == text:
        return data, 0
    return (b"\xef\xbb\xbf" if bom else b"") + out.encode("utf-8"), sites


def rewrite_lines(text: str, catalog: Catalog, model_map: Mapping[str, str], *, makefile: bool = False,
                  markdown: bool = False, prefix: str = "") -> tuple[str, int]:
    """Rewrite every legacy command in ``text``; ``prefix`` is what starts a command
    line in this context (``!`` in a notebook cell), kept in front of TODO lines' indent."""
    if "fine_tunes." not in text:
        return text, 0
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    sites = 0
    in_fence = not markdown
    i = 0
    while i < len(lines):
        line = lines[i]
        if markdown and FENCE_RE.match(line):
            in_fence = not in_fence
            out.append(line)
            i += 1
            continue
        # A logical line: physical lines joined by trailing backslashes.
        j = i
        while lines[j].rstrip("\r\n").endswith("\\") and j + 1 < len(lines):
            j += 1
        logical = "".join(lines[i:j + 1])
        if in_fence and _live_command(logical):
            rewrite = _rewrite_logical(logical, catalog, model_map)
            if rewrite.sites or rewrite.todos:
                indent = "" if makefile else re.match(r"[ \t]*", line).group(0)
                newline = "\r\n" if line.endswith("\r\n") else "\n"
                previous = _markers_above(out)
                for todo in rewrite.todos:
                    if todo_key(todo) not in previous:
                        out.append(f"{indent}{todo}{newline}")
                sites += rewrite.sites
                logical = rewrite.text
        out.append(logical)
        i = j + 1
    return "".join(out), sites


def _markers_above(out: list[str]) -> set[tuple[str, str]]:
    """The keys of the TODO markers in the comment lines just above the next line
    (a marker is recognised by rule and target, whatever other comments sit between)."""
    keys = set()
    for line in reversed(out):
        stripped = line.strip()
        if not stripped.startswith("#"):
            break
        key = todo_key(stripped)
        if key is not None:
            keys.add(key)
    return keys


def rewrite_argv(words: list[str], catalog: Catalog, model_map: Mapping[str, str]
                 ) -> tuple[list[str], list[str], int]:
    """An argv list (``subprocess.run(["openai", "api", "fine_tunes.create", ...])``)
    rewritten exactly like the same command line: ``(words, TODO lines, sites)``."""
    line = " ".join(shlex.quote(w) for w in words)
    if not runs_openai_api(words) or not _live_command(line):
        return words, [], 0
    rewrite = _rewrite_logical(line, catalog, model_map)
    return shlex.split(rewrite.text), rewrite.todos, rewrite.sites


def _live_command(logical: str) -> bool:
    """A legacy command that is not inside a ``#`` comment (commented-out code is not code)."""
    m = COMMAND_RE.search(logical)
    if m is None:
        return False
    line_start = logical.rfind("\n", 0, m.start()) + 1
    return re.search(r"(?:^|\s)#", logical[line_start:m.start()]) is None


def _rewrite_logical(text: str, catalog: Catalog, model_map: Mapping[str, str]) -> _Rewrite:
    todos: list[str] = []
    sites = 0
    pieces: list[str] = []
    pos = 0
    for m in COMMAND_RE.finditer(text):
        if m.start() < pos:
            continue
        legacy = m.group("cmd")
        replacement = catalog.cli_command(legacy)
        note = catalog.cli.notes.get(legacy, "")
        end = _command_end(text, m.end())
        args = text[m.end():end]
        if not replacement:
            if replacement == "":
                todos.append(todo_text("FT040", f"`openai api {legacy}` has no equivalent in the "
                                                f"fine-tuning jobs API: {note or 'remove it'}"))
            pieces.append(text[pos:end])
            pos = end
            continue
        if legacy.endswith(".create"):
            args = _create_args(args, catalog, model_map, todos)
        elif legacy.endswith(".events"):
            args = _drop_flags(args, set(catalog.cli.create_flags.events_dropped), set(), set())[0]
        pieces.append(text[pos:m.start("cmd")] + replacement + args)
        pos = end
        sites += 1
    pieces.append(text[pos:])
    return _Rewrite("".join(pieces), todos, sites)


def _command_end(text: str, start: int) -> int:
    """Where the command's arguments end: a shell operator, a comment or the line end."""
    pos = start
    while pos < len(text):
        sep = SEP_RE.match(text, pos)
        if sep:
            pos = sep.end()
            continue
        word = WORD_RE.match(text, pos)
        if not word:
            break
        pos = word.end()
    # Do not swallow the trailing separator (the newline stays outside).
    while pos > start and text[pos - 1] in " \t":
        pos -= 1
    return pos


def _tokens(args: str) -> list[tuple[str, str]]:
    """``[(separator, word), ...]`` such that joining them gives back ``args``."""
    out = []
    pos = 0
    while pos < len(args):
        sep = SEP_RE.match(args, pos)
        s = sep.group(0) if sep else ""
        pos = sep.end() if sep else pos
        word = WORD_RE.match(args, pos)
        if not word:
            out.append((s + args[pos:], ""))
            break
        out.append((s, word.group(0)))
        pos = word.end()
    return out


def _drop_flags(args: str, dropped: set[str], boolean: set[str], multiple: set[str]
                ) -> tuple[str, list[str]]:
    """``args`` without the ``dropped`` flags and their values; the names removed."""
    tokens = _tokens(args)
    kept: list[tuple[str, str]] = []
    removed: list[str] = []
    i = 0
    while i < len(tokens):
        sep, word = tokens[i]
        flag = word.split("=", 1)[0]
        if flag in dropped:
            removed.append(flag)
            i += 1
            if "=" not in word and flag not in boolean:
                i += 1  # its value
                while flag in multiple and i < len(tokens) and not tokens[i][1].startswith("-"):
                    i += 1
            continue
        kept.append((sep, word))
        i += 1
    return "".join(s + w for s, w in kept), removed


def _unquote(word: str) -> tuple[str, str]:
    if len(word) >= 2 and word[0] == word[-1] and word[0] in "\"'":
        return word[1:-1], word[0]
    return word, ""


def _create_args(args: str, catalog: Catalog, model_map: Mapping[str, str], todos: list[str]) -> str:
    flags = catalog.cli.create_flags
    follows = "--no_follow" not in args
    args, removed = _drop_flags(args, set(flags.dropped), set(flags.boolean), set(flags.multiple))
    removed = [f for f in removed if f != "--no_follow"]
    if removed:
        todos.append(todo_text("FT040", f"removed {', '.join(dict.fromkeys(removed))}: "
                                        f"{catalog.request_fields['dropped_reason']}"))
    tokens = _tokens(args)
    has_model = False
    for k, (sep, word) in enumerate(tokens):
        flag, eq, inline = word.partition("=")
        if flag not in ("-m", "--model"):
            continue
        has_model = True
        if eq:
            value, quote = _unquote(inline)
            new = _map_model(value, catalog, model_map, todos)
            if new:
                tokens[k] = (sep, f"{flag}={quote}{new}{quote}")
        elif k + 1 < len(tokens):
            value, quote = _unquote(tokens[k + 1][1])
            new = _map_model(value, catalog, model_map, todos)
            if new:
                tokens[k + 1] = (tokens[k + 1][0], f"{quote}{new}{quote}")
    if not has_model:
        default = catalog.request_fields["default_model"]
        model = _map_model(default, catalog, model_map, todos)
        at = next((k + 2 for k, (_, w) in enumerate(tokens) if w in ("-t", "--training_file")), None)
        if at is None:
            at = next((k + 1 for k, (_, w) in enumerate(tokens) if w.startswith("--training_file=")), 0)
        if model is not None:
            tokens[at:at] = [(" ", "-m"), (" ", model)]
    if follows:
        todos.append(todo_text("FT040", "the legacy create followed the job until it finished; "
                                        "fine_tuning.job.create returns at once: poll "
                                        "`openai api fine_tuning.job.get -i ID` if later steps need the model"))
    return "".join(s + w for s, w in tokens)


def _map_model(name: str, catalog: Catalog, model_map: Mapping[str, str], todos: list[str]) -> str | None:
    """The model a legacy ``fine_tunes.create`` line fine-tunes on the catalog's date, or None
    (with a TODO) where no swap is safe; a shut-down model is never written."""
    if name in model_map:
        return model_map[name]
    model = catalog.legacy_model(name)
    if model is not None:
        advice = advise(catalog, name, "fine-tuning")
        res = advice.resolution
        if advice.write and model.fixable:
            if res.valid_until is not None or res.format_change is not None or res.caveats:
                todos.append(todo_text("FT040", f"{name!r} was shut down: {advice.text}"))
            return advice.write
        todos.append(todo_text("FT020", f"model {name!r} was shut down; {advice.text}"))
        return None
    if catalog.fine_tuned_base(name) is not None:
        advice = advise(catalog, name, "fine-tuning")
        how = f" and pass --model-map {name}=<new ft:... name>" if advice.target else ""
        todos.append(todo_text("FT021", f"{name!r} was fine-tuned through the legacy endpoint and shut down "
                                        f"with it; {advice.extended(how)}"))
    return None
