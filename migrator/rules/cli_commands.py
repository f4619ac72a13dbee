"""FT040/FT041 in Python: legacy ``openai`` CLI commands run from code (fixed by FX007).

``subprocess.run(["openai", "api", "fine_tunes.create", ...])`` and its kin, and a
string (or f-string) that holds such a command line.  A name passed after ``-m`` is
a model whose value :mod:`migrator.rules.legacy_models` follows.
"""

from __future__ import annotations

import ast
import dataclasses

from migrator.code_shapes import ARGV_RUNNERS, CLI_HINT, cli_model_slots, runs_openai_api
from migrator.rules import Family, rule
from migrator.rules.facts import PLACEHOLDER, Arg
from migrator.rules.legacy_models import LegacyModels
from migrator.scan import cli_lines

# What runs a command line: the argv runners fix knows, and those that take a shell string.
SUBPROCESS_CALLS = ARGV_RUNNERS | {"os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput"}


@rule("FT040", "FT041", fixes=("FX007",), order=20)
class CliCommands(Family):
    def call(self, node: ast.Call, names: set[str], args: list[Arg]) -> None:
        if names & SUBPROCESS_CALLS and args:
            keyword, value, _ = args[0]
            self.argv(value, bool(names & ARGV_RUNNERS) and keyword is None)

    def argv(self, arg: ast.expr, runner: bool) -> None:
        """An argv list; fix (FX007) rewrites it when a runner it knows gets it first, every
        element is known to be one word, and it runs ``openai api``."""
        f = self.facts
        if not isinstance(arg, (ast.List, ast.Tuple)):
            return
        argv = [f.literal_text(e) for e in arg.elts]
        rewritten = runner and not any(isinstance(e, ast.Starred) for e in arg.elts) and runs_openai_api(argv)
        for i in cli_model_slots([None if word == PLACEHOLDER else word for word in argv], " "):
            if isinstance(arg.elts[i], ast.Name):
                f.rule(LegacyModels).cli_model_name(arg.elts[i], " ".join(argv))
        if argv and any(f.simple(e) for e in arg.elts):
            for found in cli_lines.command_findings(argv, f.path, f.span(arg), f.catalog):
                f.add(found if rewritten else dataclasses.replace(found, fixable=False))
            for e in arg.elts:
                if isinstance(e, (ast.Constant, ast.JoinedStr)):
                    f.handled.add(id(e))

    def fstring(self, node: ast.JoinedStr, text: str) -> None:
        """f"openai api fine_tunes.create -m {model}": the name's value is a model."""
        for i in cli_model_slots([v.value if isinstance(v, ast.Constant) else None for v in node.values]):
            expression = node.values[i].value  # type: ignore[attr-defined]
            if isinstance(expression, ast.Name):
                self.facts.rule(LegacyModels).cli_model_name(expression, text)

    def string_text(self, node: ast.AST, text: str) -> bool:
        if not CLI_HINT.search(text):
            return False
        f = self.facts
        span = f.span(node)
        # a command held in a string is for a person to change: fix rewrites argv lists only
        for found in cli_lines.scan_command_text(text.replace(PLACEHOLDER, "X"), f.path, f.catalog):
            f.add(dataclasses.replace(found, line=span.line, column=span.column, end_line=span.end_line,
                                      end_column=span.end_column, fixable=False))
        return True
