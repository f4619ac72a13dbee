"""Wording shared by the HTML and Markdown renderers, so both read the same."""

from __future__ import annotations

NO_PRICE = "no price in the catalog"


def money(value: float) -> str:
    """US dollars: cents from $1 up, four decimals below (training small files costs fractions of a cent)."""
    if 0 < value < 0.0001:
        return "< $0.0001"
    return f"${value:,.2f}" if value >= 1 else f"${value:.4f}"


def rate(value: float) -> str:
    """A per-1K-token price with as many decimals as it needs, at least two ($0.0004, $0.02)."""
    text = f"{value:.6f}".rstrip("0")
    whole, _, frac = text.partition(".")
    return f"${whole}.{frac.ljust(2, '0')}"


def price(p: dict | None) -> str:
    """``training $0.006 · input $0.012 · output $0.012`` per 1K tokens, or that there is none."""
    if p is None:
        return NO_PRICE
    parts = [f"{k} {rate(v)}" if v is not None else f"{k}: {NO_PRICE}" for k, v in p.items()]
    return " · ".join(parts)


def location(item: dict) -> str:
    """``path:line``, or ``path cell N:line`` for a notebook."""
    if item.get("cell"):
        return f"{item['path']} cell {item['cell']}:{item['line']}"
    return f"{item['path']}:{item['line']}"


def cost_basis(entry: dict, file_format: str) -> str:
    """What a re-training cost is made of: epochs × billable tokens, and any conversion."""
    text = f"{entry['epochs']} epochs × {entry['tokens']['billable']:,} tokens"
    if entry["format"] != file_format:
        text += f", after conversion to {entry['format']}"
    return text


def cost(entry: dict, file_format: str) -> str:
    """One candidate model's re-training cost cell: dollars (epochs × billable tokens)."""
    if entry["usd"] is None:
        return NO_PRICE
    return f"{money(entry['usd'])} ({cost_basis(entry, file_format)})"


def examples(entry: dict) -> str:
    """Valid examples of a training file, and how many lines were rejected."""
    text = f"{entry['examples']:,}"
    return text + f" ({entry['rejected']:,} rejected)" if entry["rejected"] else text


def summary_line(doc: dict) -> str:
    s = doc["summary"]
    parts = [f"As of {doc['as_of']}", f"{s['files_scanned']} file{'s' * (s['files_scanned'] != 1)} scanned",
             f"{s['fixable']} fixable by ft-migrate fix",
             f"{s['manual']} {'needs' if s['manual'] == 1 else 'need'} a person"]
    if s["errors"]:
        parts.append(f"{s['errors']} not fully scanned")
    return " · ".join(parts)


def path_forward(model: dict) -> str:
    """What to do about one model on the report's date, with the options when OpenAI has none."""
    text = model["path_forward"]
    if model["options"]:
        text += " Options: " + "; ".join(model["options"]) + "."
    return text


def retrain_steps(files: list[dict]) -> list[str]:
    """The shell lines that prepare each training file for re-training: a comment naming the
    file and the model, then its ``data convert`` command (files that need none are left out)."""
    out = []
    for t in files:
        step = t.get("retrain") or {}
        if step.get("command"):
            out += [f"# {t['file']}: re-train on {step['target']}", step["command"]]
    return out


def repositories_line(totals: dict) -> str:
    """The merged report's one-line count of repositories, call sites and fine-tunes."""
    n, hit = totals["repositories"], totals["repositories_with_findings"]
    models = len(totals["fine_tuned_models"])
    return (f"{hit} of {n} repositor{'ies' if n != 1 else 'y'} depend on the legacy API: "
            f"{totals['call_sites']} call sites ({totals['fixable']} fixable, {totals['manual']} manual), "
            f"{models} legacy fine-tuned model{'s' * (models != 1)}, {totals['training_files']} training "
            f"file{'s' * (totals['training_files'] != 1)}.")
