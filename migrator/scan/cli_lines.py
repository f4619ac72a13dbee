"""Legacy `openai` CLI calls, pip pins and endpoint URLs in shell-like text.

Shell scripts, Makefile recipes, Dockerfile ``RUN`` lines, CI ``run:`` blocks,
Markdown code blocks, notebook ``!`` lines and Python strings that hold a command
all speak the same small language.  A regex over lines would report commented-out
commands, miss a ``-m curie`` after a backslash continuation and give wrong
columns inside quotes, so this module lexes the text the way a POSIX shell splits
words (quotes, escapes, ``#`` comments, ``;``/``&&``/``|`` chains, ``$(...)`` and
backticks as nested commands, redirections) while remembering the source offset of
every character of every word.  The analysis then reads argv lists, which is also
how Python's ``subprocess.run([...])`` arguments arrive (:func:`command_findings`).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, replace

from migrator.catalog import Catalog
from migrator.findings import Finding
from migrator.scan.common import LineIndex, Span, endpoint_finding, endpoint_matches, finding, model_finding
from migrator.scan.deps import requirement_finding

PLACEHOLDER = "\uFFFC"  # a character standing for text not known statically ($VAR, $(...))

# Global options of the v0 `openai` CLI that take a value (`openai -b URL -k KEY api ...`).
_GLOBAL_VALUED = frozenset({"-b", "--api-base", "-k", "--api-key", "-o", "--organization", "-p", "--proxy"})
_MODEL_FLAGS = frozenset({"-m", "--model", "-e", "--engine"})
_ID_FLAGS = frozenset({"-i", "--id"})
# Any program's long option naming a model (`python train.py --base-model curie`).
_GENERIC_MODEL_FLAG = re.compile(r"^--(?:[\w-]*[-_])?(?:model|engine)(?:[-_](?:name|id))?$", re.IGNORECASE)
# Shell variables whose value is a model (`MODEL=curie`, `export FT_BASE_MODEL=ada`).
MODEL_VARIABLE = re.compile(r"^(?:\w*_)?(?:model|engine)(?:_(?:name|id))?$", re.IGNORECASE)
_ASSIGNMENT = re.compile(r"^([A-Za-z_]\w*)=(.*)$", re.DOTALL)
_SHELL_VAR = re.compile(r"\$\{[^}\s]*\}|\$[A-Za-z_]\w*|\$[0-9@*#?]|\{\{[^}]*\}\}")
_PIP = re.compile(r"^pip(?:\d+(?:\.\d+)?)?$")
# pip install options that consume the next word.
_PIP_VALUED = frozenset({
    "-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-i", "--index-url",
    "--extra-index-url", "-f", "--find-links", "-t", "--target", "--prefix", "--root", "--src",
    "--upgrade-strategy", "--platform", "--python-version", "--implementation", "--abi",
    "--cache-dir", "--progress-bar", "--log", "--proxy", "--retries", "--timeout",
    "--exists-action", "--trusted-host", "--cert", "--client-cert", "--only-binary",
    "--no-binary", "-C", "--config-settings", "--report", "--global-option", "--install-option",
})
_HTTP_CLIENTS = frozenset({"curl", "wget", "http", "https", "xh", "xhs"})
_HTTP_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
_CURL_DATA = re.compile(r"^(?:-d|--data(?:-raw|-binary|-urlencode|-ascii)?|-F|--form|--json)(?:=|$)")
_JSON_MODEL = re.compile(r'"model"\s*:\s*"([^"\\]*)"')


@dataclass
class Word:
    """One shell word: its value and, per character, the source offsets it came from.

    ``starts``/``ends`` are None when the positions are unknown (an argv list from
    Python), in which case every finding falls on the caller's span.
    """

    value: str
    starts: list[int] | None = None
    ends: list[int] | None = None
    quoted: bool = False

    def normalized(self) -> "Word":
        """Shell/CI variables (``$ID``, ``${ID}``, ``${{ x }}``) become one placeholder each."""
        if "$" not in self.value and "{{" not in self.value:
            return self
        value, starts, ends, last = [], [], [], 0
        for mt in _SHELL_VAR.finditer(self.value):
            value.append(self.value[last:mt.start()])
            value.append(PLACEHOLDER)
            if self.starts is not None:
                starts.extend(self.starts[last:mt.start()] + [self.starts[mt.start()]])
                ends.extend(self.ends[last:mt.start()] + [self.ends[mt.end() - 1]])
            last = mt.end()
        value.append(self.value[last:])
        if self.starts is not None:
            starts.extend(self.starts[last:])
            ends.extend(self.ends[last:])
            return Word("".join(value), starts, ends, self.quoted)
        return Word("".join(value), None, None, self.quoted)


@dataclass
class _Builder:
    chars: list[str] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    started: bool = False
    quoted: bool = False

    def add(self, ch: str, start: int, end: int) -> None:
        self.chars.append(ch)
        self.starts.append(start)
        self.ends.append(end)
        self.started = True



class _Lexer:
    """Split shell-like text into simple commands (argv lists of positioned words).

    Forgiving where a shell would refuse: an unterminated quote is a literal
    character, an unmatched ``)`` ends the command, an unclosed ``$(`` ends with
    the text.  ``$(...)`` and backticks are commands of their own; in the outer
    word they leave one placeholder character.
    """

    def __init__(self, text: str):
        self.text = text
        self.out: list[list[Word]] = []
        self.command: list[Word] = []
        self.word = _Builder()
        self.stack: list[tuple[list[Word], _Builder, str, int]] = []  # outer command, word, closer, start
        self.drop_next = False  # the next word is a redirection target, not an argument

    def end_word(self) -> None:
        w = self.word
        if w.started:
            if self.drop_next:
                self.drop_next = False
            else:
                self.command.append(Word("".join(w.chars), w.starts, w.ends, w.quoted))
        self.word = _Builder()

    def end_command(self) -> None:
        self.end_word()
        if self.command:
            self.out.append(self.command)
        self.command = []

    def open_nested(self, closer: str, at: int) -> None:
        self.stack.append((self.command, self.word, closer, at))
        self.command, self.word = [], _Builder()

    def close_nested(self, end: int) -> None:
        self.end_command()
        self.command, self.word, _, opened = self.stack.pop()
        self.word.add(PLACEHOLDER, opened, end)

    def run(self) -> list[list[Word]]:
        text, n, i = self.text, len(self.text), 0
        while i < n:
            c = text[i]
            if c == "\\":
                if text.startswith("\n", i + 1):
                    i += 2
                elif text.startswith("\r\n", i + 1):
                    i += 3
                else:
                    self.word.add(text[i + 1] if i + 1 < n else c, i, min(i + 2, n))
                    i += 2
            elif c in " \t\r\f\v":
                self.end_word()
                i += 1
            elif c == "\n":
                self.end_command()
                i += 1
            elif c == "#" and not self.word.started:
                j = text.find("\n", i)
                i = n if j < 0 else j
            elif c == "'":
                i = self.single_quoted(i)
            elif c == '"':
                i = self.double_quoted(i)
            elif c == "`":
                if self.stack and self.stack[-1][2] == "`":
                    self.close_nested(i + 1)
                else:
                    self.open_nested("`", i)
                i += 1
            elif c == "$" and text.startswith("(", i + 1):
                self.open_nested(")", i)
                i += 2
            elif c == ")" and self.stack and self.stack[-1][2] == ")":
                self.close_nested(i + 1)
                i += 1
            elif c == "&" and text.startswith(">", i + 1):
                self.end_word()
                self.drop_next = True
                i += 2
            elif c in ";&|()":
                self.end_command()
                i += 1
            elif c in "<>":
                if "".join(self.word.chars).isdigit():
                    self.word = _Builder()  # a file descriptor number, as in 2>&1
                self.end_word()
                i += 1
                while i < n and text[i] in "<>&|":
                    i += 1
                self.drop_next = True
            else:
                self.word.add(c, i, i + 1)
                i += 1
        while self.stack:
            self.close_nested(n)
        self.end_command()
        return self.out

    def single_quoted(self, i: int) -> int:
        j = self.text.find("'", i + 1)
        if j < 0:
            self.word.add("'", i, i + 1)
            return i + 1
        for k in range(i + 1, j):
            self.word.add(self.text[k], k, k + 1)
        self.word.started = self.word.quoted = True
        return j + 1

    def double_quoted(self, i: int) -> int:
        text, n = self.text, len(self.text)
        chars: list[tuple[str, int, int]] = []
        j = i + 1
        while j < n:
            c = text[j]
            if c == '"':
                for ch, s, e in chars:
                    self.word.add(ch, s, e)
                self.word.started = self.word.quoted = True
                return j + 1
            if c == "\\" and j + 1 < n and text[j + 1] in '"\\$`\n':
                if text[j + 1] != "\n":
                    chars.append((text[j + 1], j, j + 2))
                j += 2
                continue
            chars.append((c, j, j + 1))
            j += 1
        self.word.add('"', i, i + 1)
        return i + 1


def split_commands(text: str) -> list[list[Word]]:
    return _Lexer(text).run()


# -- positions -----------------------------------------------------------------------------


class _Locator:
    """Word characters to spans (or one fixed span when positions are unknown)."""

    def __init__(self, text: str | None, index: LineIndex | None = None, fixed: Span | None = None):
        self.text = text
        self.index = index
        self.fixed = fixed

    def span(self, word: Word, i: int = 0, j: int | None = None) -> Span:
        """The span of ``word.value[i:j]``, widened to the quotes around it if any."""
        if self.fixed is not None or word.starts is None or not word.value:
            return self.fixed or self.index.span(0, 1)
        j = len(word.value) if j is None else j
        start, end = word.starts[i], word.ends[j - 1]
        text = self.text
        if (start > 0 and end < len(text) and text[start - 1] in "\"'" and text[end] == text[start - 1]
                and (i == 0 or word.ends[i - 1] < start - 1)):
            start, end = start - 1, end + 1
        return self.index.span(start, end)


# -- analysis ------------------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def worth_lexing(catalog: Catalog) -> re.Pattern[str]:
    """Text with none of these cannot hold a finding: skip the lexer (most text)."""
    models = "|".join(re.escape(m) for m in sorted(catalog.legacy_models, key=len, reverse=True))
    return re.compile(rf"openai|/v1/|/fine-tunes|:ft-|(?<![\w.-])(?:{models})(?![\w.-])")


def scan_command_text(text: str, path: str, catalog: Catalog, *, cell: int | None = None,
                      line_offset: int = 0) -> list[Finding]:
    """Findings in shell-like ``text``; lines are shifted by ``line_offset``, cells set to ``cell``."""
    if not worth_lexing(catalog).search(text):
        return []
    loc = _Locator(text, LineIndex(text, line_offset=line_offset, cell=cell))
    return _Analysis(path, catalog, loc).run(split_commands(text))


def region_findings(text: str, start: int, end: int, index: LineIndex, path: str,
                    catalog: Catalog) -> list[Finding]:
    """Findings in ``text[start:end]`` (a YAML scalar, a Markdown code block), placed in the whole text."""
    part = text[start:end]
    if not worth_lexing(catalog).search(part):
        return []
    commands = split_commands(part)
    for words in commands:
        for w in words:
            w.starts = [s + start for s in w.starts]
            w.ends = [e + start for e in w.ends]
    return _Analysis(path, catalog, _Locator(text, index)).run(commands)


def command_findings(argv: list[str], path: str, span: Span, catalog: Catalog) -> list[Finding]:
    """Findings for an already-split argv (``subprocess.run([...])``), all placed at ``span``."""
    words = [Word(a, quoted=True) for a in argv]
    return _Analysis(path, catalog, _Locator(None, fixed=span)).run([words])


def words_findings(commands: list[list[Word]], text: str, index: LineIndex, path: str,
                   catalog: Catalog) -> list[Finding]:
    """Findings for argv lists whose words another parser located in ``text`` (YAML lists, JSON exec form)."""
    return _Analysis(path, catalog, _Locator(text, index)).run(commands)


class _Analysis:
    def __init__(self, path: str, catalog: Catalog, loc: _Locator):
        self.path = path
        self.catalog = catalog
        self.loc = loc
        self.found: dict[tuple, Finding] = {}

    def add(self, f: Finding | None) -> None:
        if f is not None:
            self.found.setdefault((f.rule, f.line, f.column, f.legacy), f)

    def run(self, commands: list[list[Word]]) -> list[Finding]:
        for words in commands:
            self.command(words)
        return sorted(self.found.values(), key=Finding.sort_key)

    def command(self, words: list[Word]) -> None:
        used: set[int] = set()  # indexes of words already explained by an openai/pip invocation
        for k, w in enumerate(words):
            name = w.value.rsplit("/", 1)[-1]
            if name.lstrip("@+-") == "openai":
                used |= self.openai(words, k)
            elif _PIP.match(name.lstrip("@+-")) or (name == "pip" and k and words[k - 1].value == "-m"):
                used |= self.pip(words, k)
        for k, w in enumerate(words):
            if k in used:
                continue
            if w.quoted and " " in w.value.strip() and "openai" in w.value:
                self.nested(w)
                continue
            self.generic(words, k)
            self.urls(words, k)

    # -- openai ... ---------------------------------------------------------------------
    def openai(self, words: list[Word], k: int) -> set[int]:
        """``openai [global flags] api|tools <command> [args]`` starting at ``words[k]``."""
        j = k + 1
        while j < len(words) and words[j].value.startswith("-"):
            j += 2 if words[j].value in _GLOBAL_VALUED else 1
        if j + 1 >= len(words) or words[j].value not in ("api", "tools"):
            return set()
        group, cmd_word = words[j].value, words[j + 1]
        cmd, args = cmd_word.value, words[j + 2:]
        offset = len(words[k].value) - len(words[k].value.rsplit("/", 1)[-1].lstrip("@+-"))
        head = self.loc.span(words[k], offset)
        tail = self.loc.span(cmd_word)
        span = Span(head.line, head.column, tail.end_line, tail.end_column, head.cell)
        if group == "tools":
            if cmd in self.catalog.cli.tools:
                self.add(self.tool_finding(cmd, span))
        else:
            if cmd in self.catalog.cli.commands:
                self.add(self.command_finding(cmd, args, span))
            self.model_flags(cmd, args)
        return set(range(k, len(words)))

    def command_finding(self, cmd: str, args: list[Word], span: Span) -> Finding:
        cli = self.catalog.cli
        repl = cli.commands[cmd]
        shut = self.catalog.shutdown.isoformat()
        msg = f"`openai api {cmd}` calls the legacy /v1/fine-tunes endpoint, shut down on {shut}"
        if repl:
            msg += f"; use `openai api {repl}` (openai>={self.catalog.dependency['v0_minimum']})"
        else:
            msg += f"; it has no equivalent: {cli.notes.get(cmd, 'remove it')}"
        dropped = set(cli.create_flags.dropped) if cmd.endswith(".create") else set()
        if cmd.endswith(".events"):
            dropped |= set(cli.create_flags.events_dropped)
        present = [a.value.split("=", 1)[0] for a in args if a.value.split("=", 1)[0] in dropped]
        if repl and present:
            present = list(dict.fromkeys(present))
            verb = "has" if len(present) == 1 else "have"
            msg += f"; {', '.join(present)} {verb} no equivalent and must be dropped"
        return finding(self.path, span, "FT040", "cli", f"openai api {cmd}",
                       f"openai api {repl}" if repl else None, bool(repl), msg)

    def tool_finding(self, cmd: str, span: Span) -> Finding:
        cli = self.catalog.cli
        repl = cli.tools[cmd]
        msg = f"`openai tools {cmd}` prepares data for the legacy fine-tunes endpoint only"
        note = cli.tools_notes.get(cmd)
        msg += f"; {note}" if note else ""
        return finding(self.path, span, "FT041", "cli", f"openai tools {cmd}",
                       f"openai tools {repl}" if repl else None, False, msg)

    def model_flags(self, cmd: str, args: list[Word]) -> None:
        """``-m/--model/-e/--engine`` values (and ``-i`` of ``models.*``) are model ids."""
        flags = _MODEL_FLAGS | (_ID_FLAGS if cmd.startswith("models.") else frozenset())
        purpose = "fine-tuning" if cmd.endswith(".create") and cmd.startswith("fine_tun") else "inference"
        for i, a in enumerate(args):
            v = a.value
            if v in flags and i + 1 < len(args):
                self.model_value(args[i + 1], 0, f"passed as {v} to `openai api {cmd}`", True, purpose)
            elif v.startswith("--") and v.split("=", 1)[0] in flags and "=" in v:
                flag = v.split("=", 1)[0]
                self.model_value(a, len(flag) + 1, f"passed as {flag} to `openai api {cmd}`", True, purpose)
            elif len(v) > 2 and v[:2] in flags and not v.startswith("--"):
                self.model_value(a, 2, f"passed as {v[:2]} to `openai api {cmd}`", True, purpose)

    def model_value(self, w: Word, start: int, context: str, fixable: bool, purpose: str = "inference") -> None:
        name = w.value[start:]
        if name:
            self.add(model_finding(name, self.path, self.loc.span(w, start), self.catalog,
                                   fixable=fixable, context=context, purpose=purpose))

    # -- pip install ---------------------------------------------------------------------
    def pip(self, words: list[Word], k: int) -> set[int]:
        rest = words[k + 1:]
        if not rest or rest[0].value != "install":
            return set()
        skip = False
        for w in rest[1:]:
            v = w.value
            if skip:
                skip = False
            elif v.startswith("-"):
                skip = v in _PIP_VALUED
            else:
                # fix bumps no pin in a script (a notebook's pip lines: see scan.notebook)
                self.add(requirement_finding(v, self.path, self.loc.span(w), self.catalog, False))
        return set(range(k, len(words)))

    # -- anything else ---------------------------------------------------------------------
    def generic(self, words: list[Word], k: int) -> None:
        """``MODEL=curie`` assignments and ``--model curie`` options of any program."""
        w = words[k]
        v = w.value
        mt = _ASSIGNMENT.match(v)
        if mt and MODEL_VARIABLE.match(mt.group(1)):
            self.model_value(w, len(mt.group(1)) + 1, f"assigned to {mt.group(1)}", False)
            return
        flag = v.split("=", 1)[0]
        if _GENERIC_MODEL_FLAG.match(flag):
            if "=" in v:
                self.model_value(w, len(flag) + 1, f"passed as {flag}", False)
            elif k + 1 < len(words):
                self.model_value(words[k + 1], 0, f"passed as {flag}", False)
        if k and _CURL_DATA.match(words[k - 1].value) and "model" in v:
            for mt in _JSON_MODEL.finditer(v):
                self.model_value_at(w, mt.start(1), mt.end(1), "in the request body")

    def model_value_at(self, w: Word, i: int, j: int, context: str) -> None:
        self.add(model_finding(w.value[i:j], self.path, self.loc.span(w, i, j), self.catalog,
                               fixable=False, context=context))

    def urls(self, words: list[Word], k: int) -> None:
        w = words[k].normalized()
        method = None
        for start, end, url in endpoint_matches(w.value, self.catalog):
            if method is None:
                method = _http_method(words, k)
            shown = re.sub(f"{PLACEHOLDER}+", "{id}", url)
            self.add(endpoint_finding(shown, self.path, self.loc.span(w, start, end), self.catalog,
                                      method=method or None, fixable=False))

    def nested(self, w: Word) -> None:
        """A quoted word that is itself a command line (``bash -c "openai api ..."``)."""
        for words in split_commands(w.value):
            if w.starts is not None:
                for sub in words:
                    sub.starts = [w.starts[s] for s in sub.starts]
                    sub.ends = [w.ends[e - 1] for e in sub.ends]
            else:
                for sub in words:
                    sub.starts = sub.ends = None
            self.command(words)


def _http_method(words: list[Word], k: int) -> str:
    """The HTTP method of the request a curl/wget/httpie command sends to ``words[k]`` ('' if unknown)."""
    prog_at = next((i for i in range(k) if words[i].value.rsplit("/", 1)[-1] in _HTTP_CLIENTS), None)
    if prog_at is None:
        return ""
    prog = words[prog_at].value.rsplit("/", 1)[-1]
    values = [w.value for w in words[prog_at + 1:]]
    if prog == "curl":
        for i, v in enumerate(values):
            if v in ("-X", "--request") and i + 1 < len(values):
                return values[i + 1].upper()
            if v.startswith("--request="):
                return v.split("=", 1)[1].upper()
            if v.startswith("-X") and len(v) > 2:
                return v[2:].upper()
        if any(v in ("-I", "--head") for v in values):
            return "HEAD"
        return "POST" if any(_CURL_DATA.match(v) for v in values) else "GET"
    if prog == "wget":
        for i, v in enumerate(values):
            if v == "--method" and i + 1 < len(values):
                return values[i + 1].upper()
            if v.startswith("--method="):
                return v.split("=", 1)[1].upper()
        return "POST" if any(v.startswith(("--post-data", "--post-file")) for v in values) else "GET"
    between = [w.value for w in words[prog_at + 1:k]]
    for v in between:
        if v in _HTTP_METHODS:
            return v
    after = [w.value for w in words[k + 1:]]
    return "POST" if any(re.match(r"^[\w.-]+(?::?=|@)", v) for v in after) else "GET"


# -- notebook %pip lines ---------------------------------------------------------------------------------


def pip_install_findings(line_text: str, path: str, span: Span, catalog: Catalog) -> list[Finding]:
    """FT050 for a notebook ``%pip install ...`` line; ``span`` is where ``line_text`` sits (one line)."""
    if "openai" not in line_text.lower():
        return []
    command = re.sub(r"^(\s*)[%!]", r"\1 ", line_text, count=1)
    shifted = []
    for f in scan_command_text(command, path, catalog, line_offset=span.line - 1):
        if f.rule == "FT050":
            shifted.append(replace(f, column=f.column + span.column - 1,
                                  end_column=f.end_column + span.column - 1, cell=span.cell))
    return shifted
