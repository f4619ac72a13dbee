"""FT040/FT041 in Python: legacy ``openai`` CLI commands run from code (fixed by FX007).

``subprocess.run(["openai", "api", "fine_tunes.create", ...])`` and its kin, and a
string (or f-string) that holds such a command line.  A name passed after ``-m`` is
a model whose value :mod:`migrator.rules.legacy_models` follows.
"""

from __future__ import annotations

import ast
import re

from migrator.findings import Finding
from migrator.rules import Family, rule
from migrator.rules.facts import PLACEHOLDER, Arg
from migrator.rules.legacy_models import LegacyModels
from migrator.scan import cli_lines

SUBPROCESS_CALLS = frozenset({
    "subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output",
    "subprocess.Popen", "os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput",
})
CLI_HINT = re.compile(r"\bopenai\b.*\bfine_tunes\.")
# In a command line built in an f-string: the expression right after a model flag.
CLI_MODEL_FLAG = re.compile(r"(?:^|\s)(?:-m|--model|-e|--engine)[ =]$")


@rule("FT040", "FT041", fixes=("FX007",), order=20)
class CliCommands(Family):
    def call(self, node: ast.Call, names: set[str], args: list[Arg]) -> None:
        if names & SUBPROCESS_CALLS and args:
            self.argv(args[0][1])

    def argv(self, arg: ast.expr) -> None:
        f = self.facts
        if not isinstance(arg, (ast.List, ast.Tuple)):
            return
        argv = [f.literal_text(e) for e in arg.elts]
        if CLI_HINT.search(" ".join(argv)):
            for flag, e in zip(argv, arg.elts[1:]):
                if CLI_MODEL_FLAG.search(" " + flag + " ") and isinstance(e, ast.Name):
                    f.rule(LegacyModels).cli_model_name(e, " ".join(argv))
        if argv and any(f.simple(e) for e in arg.elts):
            for found in cli_lines.command_findings(argv, f.path, f.span(arg), f.catalog):
                f.add(found)
            for e in arg.elts:
                if isinstance(e, (ast.Constant, ast.JoinedStr)):
                    f.handled.add(id(e))

    def fstring(self, node: ast.JoinedStr, text: str) -> None:
        """f"openai api fine_tunes.create -m {model}": the name's value is a model."""
        if not CLI_HINT.search(text):
            return
        before = ""
        for value in node.values:
            if isinstance(value, ast.Constant):
                before += value.value
            elif isinstance(value.value, ast.Name) and CLI_MODEL_FLAG.search(before):
                self.facts.rule(LegacyModels).cli_model_name(value.value, text)
            else:
                before += PLACEHOLDER

    def string_text(self, node: ast.AST, text: str) -> bool:
        if not CLI_HINT.search(text):
            return False
        f = self.facts
        span = f.span(node)
        for found in cli_lines.scan_command_text(text.replace(PLACEHOLDER, "X"), f.path, f.catalog):
            f.add(Finding(**{**found.__dict__, "line": span.line, "column": span.column,
                             "end_line": span.end_line, "end_column": span.end_column}))
        return True
