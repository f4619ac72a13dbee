"""Shell scripts, Makefiles, Dockerfiles, Markdown and CI YAML.

All of them carry commands; the commands themselves are read by the shell lexer
of :mod:`migrator.scan.cli_lines` at their exact place in the file.  What differs
per format is only where commands are and what else the format can say:

- a Makefile expands ``$(VAR)`` before the shell sees the recipe, and assigns
  variables with ``:=``/``?=``;
- a Dockerfile has ``ENV NAME value`` and the JSON exec form ``RUN ["openai", ...]``;
- in Markdown, code (fenced or indented blocks, inline code spans) holds
  commands, and so do list items and ``$ `` prompt lines written as plain text;
  a legacy endpoint URL matters anywhere; findings there are documentation,
  never rewritten by ``fix``;
- CI YAML is a config file whose string values may be command lines
  (:func:`migrator.scan.config.scan_config` does both).
"""

from __future__ import annotations

import dataclasses
import json
import re

from migrator.catalog import Catalog
from migrator.findings import Finding
from migrator.scan import cli_lines
from migrator.scan.common import LineIndex, endpoint_finding, endpoint_matches, model_finding


def scan_shell(text: str, path: str, catalog: Catalog) -> list[Finding]:
    return cli_lines.scan_command_text(text, path, catalog)


def scan_yaml(text: str, path: str, catalog: Catalog) -> list[Finding]:
    # loaded on use: PyYAML only for YAML files
    from migrator.scan.config import scan_config

    return scan_config(text, path, catalog, "yaml")


# -- Makefile ------------------------------------------------------------------------------------

_MAKE_REF = re.compile(r"\$\([A-Za-z_][\w.-]*\)|\$\{[A-Za-z_][\w.-]*\}|\$[@<^+?*%]")
_MAKE_ASSIGN = re.compile(r"^[ \t]*(?:(?:export|override)[ \t]+)*(?P<name>[A-Za-z_][\w.-]*)[ \t]*"
                          r"(?:::=|:=|\?=|\+=|!=|=)[ \t]*(?P<value>[^\s#]+)[ \t]*(?:#.*)?$", re.MULTILINE)


def scan_makefile(text: str, path: str, catalog: Catalog) -> list[Finding]:
    """Recipes and variable values; ``$(VAR)`` references are opaque words of the same length."""
    masked = _MAKE_REF.sub(lambda m: cli_lines.PLACEHOLDER * len(m.group()), text.replace("$$", cli_lines.PLACEHOLDER + "$"))
    found = {(f.rule, f.line, f.column): f for f in cli_lines.scan_command_text(masked, path, catalog)}
    index = LineIndex(text)
    for mt in _MAKE_ASSIGN.finditer(text):
        if cli_lines.MODEL_VARIABLE.match(mt.group("name")):
            f = model_finding(mt.group("value"), path, index.span(mt.start("value"), mt.end("value")), catalog,
                              fixable=False, context=f"assigned to {mt.group('name')}")
            if f is not None:
                found.setdefault((f.rule, f.line, f.column), f)
    return sorted(found.values(), key=Finding.sort_key)


# -- Dockerfile ------------------------------------------------------------------------------------

_DOCKER_ENV = re.compile(r"^[ \t]*ENV[ \t]+(?P<name>[A-Za-z_]\w*)[ \t]+(?P<quote>[\"']?)(?P<value>[^\s=\"']+)(?P=quote)"
                         r"[ \t]*\r?$", re.MULTILINE | re.IGNORECASE)
_DOCKER_EXEC = re.compile(r"^[ \t]*(?:RUN|CMD|ENTRYPOINT)[ \t]+(?P<argv>\[.*\])[ \t]*\r?$",
                          re.MULTILINE | re.IGNORECASE)
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def scan_dockerfile(text: str, path: str, catalog: Catalog) -> list[Finding]:
    """Shell-form instructions, ``ENV NAME value`` and the JSON exec form of RUN/CMD/ENTRYPOINT."""
    found = {(f.rule, f.line, f.column): f for f in cli_lines.scan_command_text(text, path, catalog)}
    index = LineIndex(text)
    extra: list[Finding] = []
    for mt in _DOCKER_ENV.finditer(text):
        if cli_lines.MODEL_VARIABLE.match(mt.group("name")):
            f = model_finding(mt.group("value"), path, index.span(mt.start("value"), mt.end("value")), catalog,
                              fixable=False, context=f"assigned to {mt.group('name')}")
            extra.extend([f] if f else [])
    for mt in _DOCKER_EXEC.finditer(text):
        try:
            argv = json.loads(mt.group("argv"))
        except json.JSONDecodeError:
            continue  # not the exec form after all: Docker runs it through the shell, as lexed above
        literals = list(_JSON_STRING.finditer(mt.group("argv")))
        if not isinstance(argv, list) or len(literals) != len(argv) or not all(isinstance(a, str) for a in argv):
            continue
        base = mt.start("argv")
        words = [_json_word(a, base + lit.start(), base + lit.end()) for a, lit in zip(argv, literals)]
        extra.extend(cli_lines.words_findings([words], text, index, path, catalog))
    for f in extra:
        found.setdefault((f.rule, f.line, f.column), f)
    return sorted(found.values(), key=Finding.sort_key)


def _json_word(value: str, start: int, end: int) -> cli_lines.Word:
    """A JSON string literal as a positioned word (exact when it has no escapes)."""
    if end - start - 2 == len(value):
        return cli_lines.Word(value, list(range(start + 1, end - 1)), list(range(start + 2, end)), quoted=True)
    return cli_lines.Word(value, [start] * len(value), [end] * len(value), quoted=True)


# -- Markdown ------------------------------------------------------------------------------------

_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\s`]*)[^\n]*$", re.MULTILINE)
_INLINE = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_PYTHON_INFO = frozenset({"python", "py", "python3", "ipython", "pycon", "ipython3"})
# A command written as plain text where a reader would run it: a list item that is (or
# ends in) the command, or a line starting with a `$ ` prompt.  Prose that only names
# the commands ("we used the openai api fine_tunes commands") has no `fine_tunes.<verb>`.
_PROSE_COMMAND = re.compile(
    r"^[ \t]*(?:(?:[-*+]|\d{1,3}[.)])[ \t]+(?:[^\n`]*?[:>][ \t]*|[^\n`]*?\b(?:with|run|use)[ \t]+)?|\$[ \t]+)"
    r"(?P<command>openai[ \t]+(?:api[ \t]+fine_tunes\.\w+|tools[ \t]+fine_tunes\.prepare_data)\b[^\n]*)$",
    re.MULTILINE)
# A prompt a README writes before a command in a code block: `>`, `>>`, `PS C:\\app>`, `C:\\app>`
# (a `$` prompt is a word the shell lexer passes over).
_PROMPT = re.compile(r"^[ \t]*(?:>>?|PS(?:[ \t][^>\n]*)?>|[A-Za-z]:\\[^>\n]*>)(?=[ \t])", re.MULTILINE)
_JS_INFO = frozenset({"js", "javascript", "ts", "typescript", "jsx", "tsx", "node", "mjs"})


def scan_markdown(text: str, path: str, catalog: Catalog) -> list[Finding]:
    """Commands in code (blocks and spans), endpoint URLs anywhere; nothing in HTML comments."""
    index = LineIndex(text)
    prose = _HTML_COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)
    found: dict[tuple, Finding] = {}

    def add(findings: list[Finding]) -> None:
        for f in findings:
            found.setdefault((f.rule, f.line, f.column), dataclasses.replace(f, fixable=False))

    code_mask = list(prose)
    for start, end, info in _code_blocks(prose):
        add(_code_block(prose, start, end, info, index, path, catalog))
        code_mask[start:end] = re.sub(r"[^\n]", " ", prose[start:end])
    outside = "".join(code_mask)
    for mt in _INLINE.finditer(outside):
        add(cli_lines.region_findings(prose, mt.start(2), mt.end(2), index, path, catalog))
    plain = _INLINE.sub(lambda m: " " * len(m.group()), outside)
    for mt in _PROSE_COMMAND.finditer(plain):
        add(cli_lines.region_findings(prose, mt.start("command"), mt.end("command"), index, path, catalog))
    for start, end, url in endpoint_matches(outside, catalog):
        add([f for f in [endpoint_finding(url, path, index.span(start, end), catalog, fixable=False)] if f])
    return sorted(found.values(), key=Finding.sort_key)


def _code_blocks(text: str) -> list[tuple[int, int, str]]:
    """(start, end, info string) of fenced and indented code blocks' contents."""
    blocks: list[tuple[int, int, str]] = []
    pos = 0
    fenced: list[tuple[int, int]] = []
    while True:
        opening = _FENCE.search(text, pos)
        if opening is None:
            break
        fence = opening.group("fence")
        closing = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*\r?$", re.MULTILINE)
        start = opening.end() + 1
        close = closing.search(text, start)
        end = close.start() if close else len(text)
        blocks.append((min(start, len(text)), end, opening.group("info").lower()))
        fenced.append((opening.start(), close.end() if close else len(text)))
        pos = close.end() if close else len(text)
    # Indented blocks: runs of lines indented 4+ columns after a blank line, outside fences.
    offset, previous_blank, run_start = 0, True, None
    for line in text.splitlines(keepends=True):
        inside = any(a <= offset < b for a, b in fenced)
        indented = not inside and line.startswith(("    ", "\t")) and line.strip()
        if indented and (previous_blank or run_start is not None):
            run_start = offset if run_start is None else run_start
        elif line.strip() and run_start is not None:
            blocks.append((run_start, offset, ""))
            run_start = None
        previous_blank = not line.strip()
        offset += len(line)
    if run_start is not None:
        blocks.append((run_start, offset, ""))
    return blocks


def _code_block(text: str, start: int, end: int, info: str, index: LineIndex, path: str,
                catalog: Catalog) -> list[Finding]:
    """A code block is read as what its info string says: Python, JavaScript, or shell-like text."""
    if start >= end:
        return []
    line_offset = index.point(start)[0] - 1
    shift = (lambda fs: [dataclasses.replace(f, line=f.line + line_offset, end_line=f.end_line + line_offset)
                         for f in fs])
    if info in _PYTHON_INFO:
        # loaded on use: LibCST only for a Python code block
        from migrator.scan.python import scan_python_lines

        return shift(scan_python_lines(text[start:end], path, catalog))
    if info in _JS_INFO:
        # loaded on use: only for a JavaScript code block
        from migrator.scan.javascript import scan_javascript

        return shift(scan_javascript(text[start:end], path, catalog))
    # a prompt before a command (`>> openai tools ...`) is no shell redirection: blanked, places kept
    masked = _PROMPT.sub(lambda m: " " * len(m.group()), text[start:end])
    return cli_lines.region_findings(text[:start] + masked + text[end:], start, end, index, path, catalog)
