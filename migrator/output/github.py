"""GitHub Actions workflow commands: one ``::warning`` annotation per finding.

A step that prints ``::warning file=a.py,line=3,col=1,title=FT010::message`` puts
the message on that line of the pull request's diff.  Values are escaped as the
Actions toolkit escapes them (``@actions/core``, ``command.ts``): in the message
``%``, CR and LF; in a property also ``:`` and ``,``, which would otherwise end
the property.  Notebook findings sit on the ``.ipynb`` line holding the cell's
source line (as in SARIF), with the cell and line in the message; files that
could not be scanned are ``::error`` annotations on the file.
"""

from __future__ import annotations

from migrator.output.paths import printable
from migrator.output.sarif import SourceLines
from migrator.scan.runner import ScanResult


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(kind: str, properties: dict[str, object], message: str) -> str:
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::{kind} {props}::{escape_data(message)}"


def render(result: ScanResult) -> str:
    lines = []
    source = SourceLines()
    for f in result.findings:
        if f.cell is None:
            where = {"file": printable(f.path), "line": f.line, "col": f.column}
            message = f.message
        else:
            region, _ = source.region(f)
            where = {"file": printable(f.path), "line": region["startLine"]}
            message = f"cell {f.cell}, line {f.line}: {f.message}"
        lines.append(command("warning", {**where, "title": f.rule}, message))
    for e in result.errors:
        lines.append(command("error", {"file": printable(e.path), "title": "ft-migrate"}, e.reason))
    return "".join(line + "\n" for line in lines)
