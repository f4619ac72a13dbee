"""The report as GitHub-flavoured Markdown, for pull requests and issues.

Everything that comes from the user's files (paths, legacy strings, messages) is
escaped: a pipe would split a table cell, ``<`` would open HTML, and ``*``, ``_``
or backticks would turn a path into emphasis or code.  Commands go in fenced
blocks whose fence is longer than any backtick run inside them.
"""

from __future__ import annotations

import re

from migrator.report import fmt

# Characters that would start emphasis, code, a link or strike-through, or split a table cell.
_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def text(value: object) -> str:
    """Inline text safe in a paragraph or a table cell."""
    s = str(value).replace("\r", " ").replace("\n", " ")
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL.sub(r"\\\1", s)


def prose(value: str) -> str:
    """Like :func:`text`, but `backticked` parts of messages and rule help stay code spans.

    Inside a code span nothing is interpreted, so only the pipe needs escaping (GFM
    splits table cells before it parses spans).
    """
    out = []
    for i, part in enumerate(re.split(r"`([^`\r\n]+)`", value)):
        out.append("`" + part.replace("|", "\\|") + "`" if i % 2 else text(part))
    return "".join(out)


def fenced(lines: list[str], lang: str = "sh") -> list[str]:
    ticks = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, ticks + 1)
    return [fence + lang, *lines, fence]


def table(header: list[str], rows: list[list[str]], align: str = "") -> list[str]:
    """``align``: one character per column, ``l`` or ``r``."""
    align = align or "l" * len(header)
    rule = ["---:" if a == "r" else "---" for a in align]
    return ["| " + " | ".join(r) + " |" for r in (header, rule, *rows)]


def render(doc: dict) -> str:
    out: list[str] = ["# Migration report: legacy fine-tuning and GPT-3 models", ""]
    out += [f"**{text(doc['headline']['text'])}**", "", text(fmt.summary_line(doc)), ""]

    if "repositories" in doc:
        repos = doc["repositories"]
        out += ["## Repositories", "", text(fmt.repositories_line(repos["totals"])), ""]
        rows = [[text(r["repository"]), text(r["as_of"] or ""), str(r["files_scanned"]), str(r["call_sites"]),
                 str(r["fixable"]), str(r["manual"]), str(r["errors"]), str(r["training_files"]),
                 text(", ".join(r["fine_tuned_models"]))] for r in repos["rows"]]
        out += table(["Repository", "Scanned as of", "Files", "Call sites", "Fixable", "Manual", "Errors",
                      "Training files", "Legacy fine-tuned models"], rows, "llrrrrrrl") + [""]

    out += ["## Timeline", ""]
    rows = []
    for e in doc["timeline"]:
        if e["kind"] == "as-of":
            rows.append([f"**{e['date']}**", f"**{text(e['label'])}**"])
        else:
            rows.append([e["date"], text(e["label"])])
    out += table(["Date", "Event"], rows) + [""]

    fix = doc["fix"]
    out += ["## Fix automatically", ""]
    if fix["command"]:
        n, k = fix["call_sites"], len(fix["files"])
        out += [f"{n} call site{'s' * (n != 1)} in {k} file{'s' * (k != 1)} can be rewritten safely by "
                "`ft-migrate fix`. Preview the diff, then apply it:", ""]
        out += fenced([fix["preview"], fix["command"]]) + [""]
    else:
        out += ["Nothing here can be rewritten automatically." if doc["findings"]
                else "No findings: nothing to fix.", ""]

    out += ["## Needs a person", ""]
    if doc["manual"]:
        rows = [[text(fmt.location(m)), m["rule"], text(m["legacy"]), prose(m["what_to_do"])] for m in doc["manual"]]
        out += table(["Where", "Rule", "Legacy", "What to do"], rows) + [""]
    else:
        out += ["Nothing: every finding can be fixed automatically." if doc["findings"]
                else "No findings: nothing needs a person.", ""]

    out += ["## Findings by file", ""]
    if doc["files"]:
        rows = [[text(f["path"]), str(f["findings"]), str(f["fixable"]), str(f["manual"]), ", ".join(f["rules"])]
                for f in doc["files"]]
        out += table(["File", "Call sites", "Fixable", "Manual", "Rules"], rows, "lrrrl") + [""]
    else:
        out += ["No findings.", ""]

    out += ["## Findings by rule", ""]
    if doc["rules"]:
        rows = [[r["rule"], text(r["name"]), str(r["findings"]), str(r["fixable"]), str(r["manual"]),
                 prose(r["summary"]), prose(r["help"])] for r in doc["rules"]]
        out += table(["Rule", "Name", "Call sites", "Fixable", "Manual", "What it flags", "What to do"], rows,
                     "llrrrll") + [""]
    else:
        out += ["No findings.", ""]

    out += ["## Models in use", ""]
    if doc["models"]:
        rows = [[text(m["model"]), str(m["call_sites"]), text(m["replacement"] or "none"),
                 text(m["path_forward"] + (" Options: " + "; ".join(m["options"]) + "." if m["options"] else "")),
                 fmt.price(m["price_before"]), fmt.price(m["price_after"]), text(m["note"])]
                for m in doc["models"]]
        out += [f"Replacements as of {doc['as_of']}. Prices are US dollars per 1K tokens, from the catalog.", ""]
        out += table(["Legacy model", "Call sites", "Replacement", "Path forward", "Price before", "Price after",
                      "Note"], rows, "lrlllll") + [""]
    else:
        out += ["No legacy model names found.", ""]

    training = doc["training"]
    out += ["## Re-training cost", ""]
    if training["files"] and not training["candidates"]:
        out += [f"No model takes new fine-tuning jobs on {doc['as_of']}: see the path forward of each "
                "legacy model above.", ""]
    if training["files"]:
        out += ["Estimated cost of one fine-tuning job per training file and candidate model "
                "(catalog training price × billable tokens × epochs).", ""]
        rows = []
        for t in training["files"]:
            costs = {c["model"]: fmt.cost(c, t["format"]) for c in t["costs"]}
            rows.append([text(t["file"]), text(t["format"]), fmt.examples(t),
                         *(costs.get(m, "") for m in training["candidates"])])
        out += table(["Training file", "Format", "Examples", *training["candidates"]], rows,
                     "llr" + "r" * len(training["candidates"])) + [""]
        steps = fmt.retrain_steps(training["files"])
        if steps:
            out += [f"To re-train as of {doc['as_of']}, convert each legacy file, then fine-tune the model named:", ""]
            out += fenced(steps) + [""]
    else:
        out += ["No training file found in the scanned tree; name one with `--data FILE`.", ""]

    shim = doc["shim"]
    out += ["## Keep unmodified code running: the shim", "", text(shim["explanation"]), ""]
    out += fenced([shim["command"], *(f"export {k}={v}" for k, v in shim["environment"].items())]) + [""]

    if doc["errors"]:
        out += ["## Files with errors", ""]
        out += table(["File", "Reason"], [[text(e["path"]), text(e["reason"])] for e in doc["errors"]]) + [""]

    out += ["---", "", f"Generated by ft-migrate {doc['version']}; dates, replacements and prices "
            f"from its catalog (shutdown {doc['shutdown']})."]
    return "\n".join(out) + "\n"
