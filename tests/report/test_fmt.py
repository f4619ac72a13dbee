"""The wording shared by the HTML and Markdown renderers."""

from __future__ import annotations

from migrator.report import fmt


def test_money():
    assert [fmt.money(v) for v in (0, 0.00003, 0.00014, 0.0021, 0.5, 1, 1234.5)] == [
        "$0.0000", "< $0.0001", "$0.0001", "$0.0021", "$0.5000", "$1.00", "$1,234.50"]


def test_rate_keeps_the_decimals_a_price_needs():
    assert [fmt.rate(v) for v in (0.0004, 0.002, 0.02, 0.2, 0.012, 1.0)] == [
        "$0.0004", "$0.002", "$0.02", "$0.20", "$0.012", "$1.00"]


def test_price_says_plainly_when_there_is_none():
    assert fmt.price(None) == "no price in the catalog"
    assert fmt.price({"training": 0.006, "input": 0.012, "output": None}) == (
        "training $0.006 · input $0.012 · output: no price in the catalog")


def test_location_of_a_notebook_cell():
    assert fmt.location({"path": "a.py", "line": 3, "cell": None}) == "a.py:3"
    assert fmt.location({"path": "n.ipynb", "line": 2, "cell": 4}) == "n.ipynb cell 4:2"


def test_examples_and_rejections():
    assert fmt.examples({"examples": 1200, "rejected": 0}) == "1,200"
    assert fmt.examples({"examples": 6, "rejected": 8}) == "6 (8 rejected)"
