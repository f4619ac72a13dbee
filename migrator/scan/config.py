"""Legacy model names (and commands, URLs) in config files: YAML, TOML, JSON, INI, .env.

A config value is reported only when it is *exactly* a legacy model id or a
legacy fine-tuned name: ``model: curie`` is a finding, ``author: Ada Lovelace``
and a key named ``babbage`` are not.  String values that hold a command line or
a URL (a ``run:`` step, a package.json script, a tox ``commands``) go through
the shell lexer of :mod:`migrator.scan.cli_lines` at their place in the file.

The values of TOML, JSON, INI and .env files, with their exact places, come from
:mod:`migrator.scan.config_values`.  YAML keeps marks in PyYAML's node graph
(``yaml.compose``), so no second parser is needed.
"""

from __future__ import annotations

import re

import yaml

from migrator.catalog import Catalog
from migrator.findings import Finding
from migrator.scan import cli_lines
from migrator.scan.common import LineIndex, ScanFailure, model_finding
from migrator.scan.config_values import Value, env_values, ini_values, json_values, toml_values

def scan_config(text: str, path: str, catalog: Catalog, fmt: str) -> list[Finding]:
    """Findings in one config file of format ``yaml|toml|json|ini|env``."""
    index = LineIndex(text)
    found: dict[tuple, Finding] = {}
    if fmt == "yaml":
        values, argvs = _yaml_values(text)
        for words in argvs:
            for f in cli_lines.words_findings([words], text, index, path, catalog):
                found.setdefault((f.rule, f.line, f.column), f)
    else:
        values = {"toml": toml_values, "json": json_values, "ini": ini_values, "env": env_values}[fmt](text)
    worth = cli_lines.worth_lexing(catalog)
    for v in values:
        f = model_finding(v.text, path, index.span(v.start, v.end), catalog, fixable=False,
                          context=f'in config key "{v.dotted()}"') if v.text else None
        if f is None and (default := _PLACEHOLDER.match(v.text)) is not None:
            f = _default_finding(v, default, text, index, path, catalog)
        if f is not None:
            found.setdefault((f.rule, f.line, f.column), f)
        elif worth.search(v.text):
            for f in cli_lines.region_findings(text, v.inner_start, v.inner_end, index, path, catalog):
                found.setdefault((f.rule, f.line, f.column), f)
    return sorted(found.values(), key=Finding.sort_key)


# `${NAME:default}` (Spring, Quarkus), `${NAME:-default}` and `${NAME-default}` (shell, Compose):
# the default is the model used unless the variable is set.
_PLACEHOLDER = re.compile(r"^\$\{(?P<name>[A-Za-z_][\w.-]*)(?::-?|-)(?P<default>[^}]+)\}$")


def _default_finding(v: Value, default: re.Match, text: str, index: LineIndex, path: str,
                     catalog: Catalog) -> Finding | None:
    """The finding for a legacy model that is a placeholder's default, placed on the default
    (on the whole value if the value is written with escapes)."""
    start, end = v.start, v.end
    if text[v.inner_start:v.inner_end] == v.text:
        start, end = v.inner_start + default.start("default"), v.inner_start + default.end("default")
    return model_finding(default.group("default"), path, index.span(start, end), catalog, fixable=False,
                         context=f'default of ${{{default.group("name")}}} in config key "{v.dotted()}"')


# -- YAML ---------------------------------------------------------------------------------------


def _yaml_values(text: str) -> tuple[list[Value], list[list[cli_lines.Word]]]:
    """String scalars that are values (not keys), and sequences that spell an openai/pip argv."""
    try:
        documents = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1} column {mark.column + 1}: " if mark else ""
        raise ScanFailure(f"invalid YAML: {where}{exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise ScanFailure(f"invalid YAML: {exc}") from None
    values: list[Value] = []
    argvs: list[list[cli_lines.Word]] = []
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, tuple]] = [(d, ()) for d in reversed(documents) if d is not None]
    while stack:
        node, keys = stack.pop()
        if id(node) in seen:
            continue  # an alias of a node already visited
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            if node.tag == "tag:yaml.org,2002:str":
                start, end = _yaml_extent(text, node)
                quoted = node.style in ("'", '"')
                values.append(Value(keys, node.value, start, end, start + quoted, end - quoted))
        elif isinstance(node, yaml.SequenceNode):
            words = [_yaml_word(text, item) for item in node.value]
            if words and all(words) and any(w.value in ("openai", "pip", "pip3") for w in words):
                argvs.append(words)  # type: ignore[arg-type]
            stack.extend((item, keys + (i,)) for i, item in reversed(list(enumerate(node.value))))
        elif isinstance(node, yaml.MappingNode):
            for k, v in reversed(node.value):
                name = k.value if isinstance(k, yaml.ScalarNode) else "?"
                stack.append((v, keys + (name,)))
    return values, argvs


def _yaml_extent(text: str, node: yaml.ScalarNode) -> tuple[int, int]:
    """Where a scalar is written; its start mark sits on an anchor or tag written before it."""
    start, end = node.start_mark.index, node.end_mark.index
    if text[start] in "&!":
        if node.style in ("'", '"'):
            start = text.find(node.style, start)
        elif node.style is None and text.endswith(node.value, start, end):
            start = end - len(node.value)
    return start, end


def _yaml_word(text: str, node: yaml.Node) -> cli_lines.Word | None:
    """A scalar as a positioned shell word (exact when written without escapes)."""
    if not isinstance(node, yaml.ScalarNode):
        return None
    quoted = node.style in ("'", '"')
    start, end = _yaml_extent(text, node)
    start, end = start + quoted, end - quoted
    if end - start != len(node.value):
        return cli_lines.Word(node.value, [start] * len(node.value), [end] * len(node.value))
    return cli_lines.Word(node.value, list(range(start, end)), list(range(start + 1, end + 1)))
