"""The timeline SVG: every event drawn, labels in separate lanes, the shaded stretch."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

from migrator.report.timeline import render_svg

SVG = "{http://www.w3.org/2000/svg}"
EVENTS = [
    {"date": "2023-07-06", "kind": "announcement", "label": "GPT-3 models deprecation announced", "source": "s"},
    {"date": "2023-08-22", "kind": "announcement", "label": "/v1/fine-tunes deprecated", "source": "s"},
    {"date": "2024-01-04", "kind": "shutdown", "label": "shut down", "source": "s"},
]


def events(as_of: str) -> list[dict]:
    return [*EVENTS, {"date": as_of, "kind": "as-of", "label": "as of this report", "source": None}]


def parse(as_of: str) -> ET.Element:
    return ET.fromstring(render_svg(events(as_of), dt.date.fromisoformat(as_of), dt.date(2024, 1, 4)))


def groups(root: ET.Element) -> dict[str, dict]:
    """date -> {"x": marker x, "y": label y, "kind": ...} for each event group."""
    out = {}
    for g in root.iter(SVG + "g"):
        date_text, label_text = g.findall(SVG + "text")
        line = g.find(SVG + "line")
        out[date_text.text] = {"x": float(line.get("x1")), "y": float(date_text.get("y")),
                               "kind": g.get("class").split()[1], "label": label_text.text}
    return out


def test_every_event_is_drawn_in_date_order():
    g = groups(parse("2026-11-25"))
    assert list(g) == ["2023-07-06", "2023-08-22", "2024-01-04", "2026-11-25"]
    assert [v["kind"] for v in g.values()] == ["announcement", "announcement", "shutdown", "as-of"]
    xs = [v["x"] for v in g.values()]
    assert xs == sorted(xs)
    assert g["2026-11-25"]["label"] == "as of this report"


def test_close_announcements_get_separate_lanes():
    g = groups(parse("2026-11-25"))
    assert g["2023-07-06"]["y"] != g["2023-08-22"]["y"]


def test_broken_stretch_is_shaded_and_captioned():
    svg = render_svg(events("2026-11-25"), dt.date(2026, 11, 25), dt.date(2024, 1, 4))
    assert '<rect class="span"' in svg
    assert ">broken for 1056 days</text>" in svg


def test_days_left_before_the_shutdown():
    svg = render_svg(events("2023-12-01"), dt.date(2023, 12, 1), dt.date(2024, 1, 4))
    assert ">34 days left</text>" in svg
    assert re.findall(r">(Jul 2023|Oct|2024)</text>", svg) == ["Jul 2023", "Oct", "2024"]


def test_labels_are_escaped_and_the_svg_is_well_formed():
    evil = [{"date": "2024-01-04", "kind": "shutdown", "label": "<script>&", "source": None},
            {"date": "2024-02-01", "kind": "as-of", "label": "as of this report", "source": None}]
    svg = render_svg(evil, dt.date(2024, 2, 1), dt.date(2024, 1, 4))
    assert "&lt;script&gt;&amp;" in svg
    assert ET.fromstring(svg).tag == SVG + "svg"
