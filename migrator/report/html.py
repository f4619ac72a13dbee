"""The report as one self-contained HTML page: inline CSS and SVG, no network.

A manager opens it from a mail attachment or prints it, so nothing may load from
elsewhere (no fonts, scripts, stylesheets or images) and ``@media print`` turns
the page into clean black-on-white pages.  Everything that comes from the user's
files is escaped with :func:`html.escape`.
"""

from __future__ import annotations

import datetime as dt
import re
from html import escape

from migrator.report import fmt
from migrator.report.timeline import render_svg

CSS = """
:root { --ink: #1a202c; --muted: #4a5568; --line: #e2e8f0; --soft: #f7fafc; --accent: #2b6cb0;
        --bad: #c53030; --bad-bg: #fff5f5; --warn: #b7791f; --warn-bg: #fffaf0; --ok: #2f855a; --ok-bg: #f0fff4; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.5; font-size: 15px;
       font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "DejaVu Sans", sans-serif; }
.wrap { max-width: 1080px; margin: 0 auto; padding: 0 28px; }
header.top { background: #1a365d; color: #fff; padding: 28px 0 24px; }
header.top .eyebrow { margin: 0 0 4px; font-size: 13px; letter-spacing: .06em; text-transform: uppercase; opacity: .8; }
header.top h1 { margin: 0; font-size: 26px; font-weight: 650; }
main { padding-bottom: 40px; }
section { margin-top: 36px; }
h2 { font-size: 19px; margin: 0 0 12px; padding-bottom: 6px; border-bottom: 2px solid var(--line); }
p { margin: 0 0 12px; }
.headline { margin-top: 28px; padding: 20px 24px; border-radius: 10px; border-left: 6px solid var(--bad);
            background: var(--bad-bg); }
.headline.upcoming { border-left-color: var(--warn); background: var(--warn-bg); }
.headline.clean { border-left-color: var(--ok); background: var(--ok-bg); }
.headline .lead { font-size: 20px; font-weight: 650; margin: 0 0 16px; }
.stats { display: grid; grid-template-columns: repeat(auto-fit, minmax(128px, 1fr)); gap: 10px; }
.stat { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
.stat .num { display: block; font-size: 24px; font-weight: 700; font-variant-numeric: tabular-nums; }
.stat .lbl { display: block; font-size: 13px; color: var(--muted); }
.stat.bad .num { color: var(--bad); } .stat.ok .num { color: var(--ok); } .stat.warn .num { color: var(--warn); }
.timeline { display: block; max-width: 100%; height: auto; }
table { width: 100%; border-collapse: collapse; font-size: 14px; margin: 4px 0 8px; }
th, td { text-align: left; vertical-align: top; padding: 7px 10px; border-bottom: 1px solid var(--line); }
th { background: var(--soft); font-weight: 600; color: var(--muted); font-size: 13px; white-space: nowrap; }
tbody tr:nth-child(even) td { background: #fbfcfe; }
td.rule { white-space: nowrap; }
td.cost, th.cost { text-align: right; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace;
            font-size: 13px; }
td code { overflow-wrap: break-word; }
.scroll { overflow-x: auto; }
pre { background: #1a202c; color: #edf2f7; padding: 14px 16px; border-radius: 8px; overflow-x: auto;
      white-space: pre-wrap; overflow-wrap: anywhere; margin: 0 0 12px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600;
         white-space: nowrap; }
.badge.fix { background: var(--ok-bg); color: var(--ok); border: 1px solid #9ae6b4; }
.badge.manual { background: var(--warn-bg); color: var(--warn); border: 1px solid #f6e05e; }
.none { color: var(--muted); font-style: italic; }
.note { color: var(--muted); font-size: 13px; }
footer { margin-top: 48px; padding: 16px 0 32px; border-top: 1px solid var(--line); color: var(--muted);
         font-size: 13px; }
@media print {
  @page { margin: 14mm; }
  body { font-size: 10.5pt; }
  .wrap { max-width: none; padding: 0; }
  header.top { background: none; color: var(--ink); padding: 0 0 8px; border-bottom: 2px solid var(--ink); }
  .headline, .stat { break-inside: avoid; }
  section { break-inside: auto; }
  h2 { break-after: avoid; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; }
  pre { background: none; color: var(--ink); border: 1px solid var(--line); }
  .scroll { overflow: visible; }
  tbody tr:nth-child(even) td { background: none; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def e(value: object) -> str:
    return escape(str(value), quote=True)


def prose(value: str) -> str:
    """Escaped text whose `backticked` parts (commands in messages and rule help) show as code.

    Escaping comes first, so a backtick in a user's string can only ever produce a
    ``<code>`` element around already-escaped text.
    """
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", e(value))


def _table(header: list[tuple[str, str]], rows: list[list[str]], table_id: str) -> str:
    """``header``: (label, css class) pairs; cells are already-escaped HTML."""
    classes = [c for _, c in header]
    head = "".join(f'<th class="{c}">{e(label)}</th>' if c else f"<th>{e(label)}</th>" for label, c in header)
    body = "\n".join("<tr>" + "".join(f'<td class="{c}">{cell}</td>' if c else f"<td>{cell}</td>"
                                      for cell, c in zip(row, classes)) + "</tr>" for row in rows)
    return (f'<div class="scroll"><table id="{table_id}">\n<thead><tr>{head}</tr></thead>\n'
            f'<tbody>\n{body}\n</tbody>\n</table></div>')


def _stat(num: object, label: str, tone: str = "") -> str:
    return f'<div class="stat {tone}"><span class="num">{e(num)}</span><span class="lbl">{e(label)}</span></div>'


def _headline(doc: dict) -> str:
    h, s = doc["headline"], doc["summary"]
    tone = "clean" if not h["total_call_sites"] else "upcoming" if h["state"] == "upcoming" else ""
    days = h["days_since_shutdown"]
    sites = "call site" + "s" * (h["call_sites"] != 1)
    stats = [_stat(h["call_sites"], f"{sites} broken by the shutdown" if days >= 0 else f"{sites} that will break",
                   "bad" if h["call_sites"] else "ok"),
             _stat(s["files_with_findings"], "file affected" if s["files_with_findings"] == 1 else "files affected"),
             _stat(s["fixable"], "fixable by ft-migrate fix", "ok"),
             _stat(s["manual"], "needs a person" if s["manual"] == 1 else "need a person",
                   "warn" if s["manual"] else "ok"),
             _stat(abs(days), ("day" + "s" * (abs(days) != 1)) + (" since the shutdown" if days >= 0
                                                                  else " until the shutdown"),
                   "bad" if days > 0 else "warn")]
    if s["errors"]:
        stats.append(_stat(s["errors"], "file with errors" if s["errors"] == 1 else "files with errors", "warn"))
    return (f'<section class="headline {tone}" id="headline">\n<p class="lead">{e(h["text"])}</p>\n'
            f'<div class="stats">{"".join(stats)}</div>\n</section>')


def _fix(doc: dict) -> str:
    fix = doc["fix"]
    out = ['<section id="fix">', "<h2>Fix automatically</h2>"]
    if fix["command"]:
        n, k = fix["call_sites"], len(fix["files"])
        out.append(f"<p>{n} call site{'s' * (n != 1)} in {k} file{'s' * (k != 1)} can be rewritten safely by "
                   "<code>ft-migrate fix</code>. Preview the diff, then apply it:</p>")
        out.append(f'<pre><code>{e(fix["preview"])}\n{e(fix["command"])}</code></pre>')
    else:
        out.append('<p class="none">Nothing here can be rewritten automatically.</p>' if doc["findings"]
                   else '<p class="none">No findings: nothing to fix.</p>')
    out.append("</section>")
    return "\n".join(out)


def _manual(doc: dict) -> str:
    out = ['<section id="manual">', "<h2>Needs a person</h2>"]
    if doc["manual"]:
        rows = [[f"<code>{e(fmt.location(m))}</code>", e(m["rule"]), f"<code>{e(m['legacy'])}</code>",
                 prose(m["what_to_do"])] for m in doc["manual"]]
        out.append(_table([("Where", ""), ("Rule", ""), ("Legacy", ""), ("What to do", "")], rows, "manual-table"))
    else:
        out.append('<p class="none">Nothing: every finding can be fixed automatically.</p>' if doc["findings"]
                   else '<p class="none">No findings: nothing needs a person.</p>')
    out.append("</section>")
    return "\n".join(out)


def _files(doc: dict) -> str:
    out = ['<section id="files">', "<h2>Findings by file</h2>"]
    if doc["files"]:
        rows = [[f"<code>{e(f['path'])}</code>", str(f["findings"]), str(f["fixable"]), str(f["manual"]),
                 e(", ".join(f["rules"]))] for f in doc["files"]]
        out.append(_table([("File", ""), ("Call sites", "num"), ("Fixable", "num"), ("Manual", "num"),
                           ("Rules", "")], rows, "files-table"))
    else:
        out.append('<p class="none">No findings.</p>')
    out.append("</section>")
    return "\n".join(out)


def _rules(doc: dict) -> str:
    out = ['<section id="rules">', "<h2>Findings by rule</h2>"]
    if doc["rules"]:
        rows = [[f"<strong>{e(r['rule'])}</strong><br><span class=\"note\">{e(r['name'])}</span>",
                 str(r["findings"]), str(r["fixable"]), str(r["manual"]), prose(r["summary"]), prose(r["help"])]
                for r in doc["rules"]]
        out.append(_table([("Rule", "rule"), ("Call sites", "num"), ("Fixable", "num"), ("Manual", "num"),
                           ("What it flags", ""), ("What to do", "")], rows, "rules-table"))
    else:
        out.append('<p class="none">No findings.</p>')
    out.append("</section>")
    return "\n".join(out)


def _models(doc: dict) -> str:
    out = ['<section id="models">', "<h2>Models in use</h2>"]
    if doc["models"]:
        out.append(f'<p class="note">Replacements as of {e(doc["as_of"])}. Prices are US dollars per 1K tokens, '
                   'from the catalog.</p>')
        rows = [[f"<code>{e(m['model'])}</code>", str(m["call_sites"]),
                 f"<code>{e(m['replacement'])}</code>" if m["replacement"] else '<span class="none">none</span>',
                 e(_path_forward(m)), e(fmt.price(m["price_before"])), e(fmt.price(m["price_after"])), e(m["note"])]
                for m in doc["models"]]
        out.append(_table([("Legacy model", ""), ("Call sites", "num"), ("Replacement", ""), ("Path forward", ""),
                           ("Price before", ""), ("Price after", ""), ("Note", "")], rows, "models-table"))
    else:
        out.append('<p class="none">No legacy model names found.</p>')
    out.append("</section>")
    return "\n".join(out)


def _path_forward(m: dict) -> str:
    """What to do about one model on the report's date, with the options when OpenAI has none."""
    text = m["path_forward"]
    if m["options"]:
        text += " Options: " + "; ".join(m["options"]) + "."
    return text


def _cost_cell(entry: dict, file_format: str) -> str:
    if entry["usd"] is None:
        return f'<span class="none">{e(fmt.NO_PRICE)}</span>'
    return (f'<strong>{e(fmt.money(entry["usd"]))}</strong><br>'
            f'<span class="note">{e(fmt.cost_basis(entry, file_format))}</span>')


def _training(doc: dict) -> str:
    training = doc["training"]
    out = ['<section id="training">', "<h2>Re-training cost</h2>"]
    if training["files"] and not training["candidates"]:
        out.append(f'<p class="none">No model takes new fine-tuning jobs on {e(doc["as_of"])}: see the path '
                   "forward of each legacy model above.</p>")
    if training["files"]:
        out.append('<p class="note">Estimated cost of one fine-tuning job per training file and candidate model '
                   "(catalog training price × billable tokens × epochs).</p>")
        rows = []
        for t in training["files"]:
            costs = {c["model"]: _cost_cell(c, t["format"]) for c in t["costs"]}
            rows.append([f"<code>{e(t['file'])}</code>", e(t["format"]), e(fmt.examples(t)),
                         *(costs.get(m, "") for m in training["candidates"])])
        header = [("Training file", ""), ("Format", ""), ("Examples", "num"),
                  *((m, "cost") for m in training["candidates"])]
        out.append(_table(header, rows, "training-table"))
        steps = fmt.retrain_steps(training["files"])
        if steps:
            out.append(f"<p>To re-train as of {e(doc['as_of'])}, convert each legacy file, then fine-tune the "
                       "model named:</p>")
            out.append('<pre><code>' + e("\n".join(steps)) + "</code></pre>")
    else:
        out.append('<p class="none">No training file found in the scanned tree; name one with '
                   "<code>--data FILE</code>.</p>")
    out.append("</section>")
    return "\n".join(out)


def _shim(doc: dict) -> str:
    shim = doc["shim"]
    lines = [shim["command"], *(f"export {k}={v}" for k, v in shim["environment"].items())]
    return ('<section id="shim">\n<h2>Keep unmodified code running: the shim</h2>\n'
            f'<p>{e(shim["explanation"])}</p>\n<pre><code>{e(chr(10).join(lines))}</code></pre>\n</section>')


def _all_findings(doc: dict) -> str:
    if not doc["findings"]:
        return ""
    rows = [[f"<code>{e(fmt.location(f))}</code>", e(f["rule"]), f"<code>{e(f['legacy'])}</code>", prose(f["message"]),
             '<span class="badge fix">fixable</span>' if f["fixable"] else '<span class="badge manual">manual</span>']
            for f in doc["findings"]]
    return ('<section id="findings">\n<h2>All findings</h2>\n'
            + _table([("Where", ""), ("Rule", ""), ("Legacy", ""), ("Message", ""), ("", "")], rows, "findings-table")
            + "\n</section>")


def _errors(doc: dict) -> str:
    if not doc["errors"]:
        return ""
    rows = [[f"<code>{e(x['path'])}</code>", e(x["reason"])] for x in doc["errors"]]
    return ('<section id="errors">\n<h2>Files with errors</h2>\n'
            + _table([("File", ""), ("Reason", "")], rows, "errors-table") + "\n</section>")


def _repositories(doc: dict) -> str:
    if "repositories" not in doc:
        return ""
    repos = doc["repositories"]
    rows = [[f"<code>{e(r['repository'])}</code>", e(r["as_of"] or ""), e(r["files_scanned"]), e(r["call_sites"]),
             e(r["fixable"]), e(r["manual"]), e(r["errors"]), e(r["training_files"]),
             ", ".join(f"<code>{e(m)}</code>" for m in r["fine_tuned_models"])] for r in repos["rows"]]
    header = [("Repository", ""), ("Scanned as of", ""), ("Files", "num"), ("Call sites", "num"),
              ("Fixable", "num"), ("Manual", "num"), ("Errors", "num"), ("Training files", "num"),
              ("Legacy fine-tuned models", "")]
    return ('<section id="repositories">\n<h2>Repositories</h2>\n'
            f'<p>{e(fmt.repositories_line(repos["totals"]))}</p>\n'
            + _table(header, rows, "repositories-table") + "\n</section>")


def render(doc: dict) -> str:
    svg = render_svg(doc["timeline"], dt.date.fromisoformat(doc["as_of"]), dt.date.fromisoformat(doc["shutdown"]))
    body = [
        _headline(doc), _repositories(doc),
        f'<section id="timeline">\n<h2>Timeline</h2>\n{svg}\n</section>',
        _fix(doc), _manual(doc), _files(doc), _rules(doc), _models(doc), _training(doc), _shim(doc),
        _all_findings(doc), _errors(doc),
    ]
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Migration report: legacy fine-tuning and GPT-3 models ({e(doc["as_of"])})</title>
<style>{CSS}</style>
</head>
<body>
<header class="top"><div class="wrap">
<p class="eyebrow">ft-migrate {e(doc["version"])} · migration report · as of {e(doc["as_of"])}</p>
<h1>Legacy fine-tuning and GPT-3 models</h1>
</div></header>
<main class="wrap">
{chr(10).join(part for part in body if part)}
</main>
<footer><div class="wrap">Generated by ft-migrate {e(doc["version"])}. Dates, replacements and prices come from
its catalog (shutdown {e(doc["shutdown"])}); each entry names its source.</div></footer>
</body>
</html>
"""
