"""Finding training files in the scanned tree: the documented discovery rule."""

from __future__ import annotations

from migrator.data import discover as discovery
from migrator.lifecycle import fine_tunable_models
from migrator.report import figures, training

COMPLETION = '{"prompt": "a ->", "completion": " b"}\n'
CHAT = '{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}\n'


def test_discovery_rule(tree):
    tree({
        "data/train.jsonl": "\n  \n" + COMPLETION,  # blank lines before the first example
        "data/chat.JSONL": CHAT,
        "data/bom.jsonl": "\ufeff" + COMPLETION,
        "data/log.jsonl": '{"event": "x"}\n',  # JSON, but not an example
        "data/half.jsonl": '{"prompt": "only"}\n',  # prompt without completion
        "data/list.jsonl": "[1, 2]\n",
        "data/bad.jsonl": "not json\n",
        "data/empty.jsonl": "",
        "data/train.json": COMPLETION,  # not .jsonl
        "ignored/train.jsonl": COMPLETION,
        ".gitignore": "ignored/\n",
        "node_modules/pkg/train.jsonl": COMPLETION,
        "skipme/train.jsonl": COMPLETION,
    })
    assert discovery.discover(["."], excludes=("skipme",)) == ["data/bom.jsonl", "data/chat.JSONL", "data/train.jsonl"]


def test_named_files_come_first_without_duplicates(tree):
    tree({"data/train.jsonl": COMPLETION, "elsewhere.txt": COMPLETION})
    assert training.training_files(["data"], ("elsewhere.txt", "data/train.jsonl")) == [
        "elsewhere.txt", "data/train.jsonl"]


def test_files_over_the_size_cap_are_not_discovered(tree, monkeypatch):
    tree({"data/train.jsonl": COMPLETION})
    monkeypatch.setattr(discovery, "MAX_DISCOVERED_BYTES", len(COMPLETION) - 1)
    assert discovery.discover(["."]) == []


def test_no_training_files_means_no_tokenizer_and_no_entries():
    from migrator.catalog import load_catalog

    assert training.price_files([], load_catalog(), ["babbage-002"]) == ([], [])


def test_a_candidate_without_a_training_price_is_said_plainly(tree):
    from migrator.catalog import load_catalog
    from migrator.report import fmt

    new_model = ('[models.tuna-001]\nstatus = "current"\ngroup = "base"\nfine_tunable = true\n'
                 'format = "completion"\nsource = "BRIEF"\n')
    root = tree({"data/train.jsonl": COMPLETION, "cat.toml": new_model})
    cat = load_catalog([str(root / "cat.toml")])
    assert [m.id for m in fine_tunable_models(cat)] == ["babbage-002", "davinci-002", "gpt-3.5-turbo", "tuna-001"]
    entries, errors = training.price_files(["data/train.jsonl"], cat, ["babbage-002", "tuna-001"])
    assert errors == []
    assert entries[0]["costs"][0]["usd"] == 0.00003  # $0.0004 per 1K × 3 tokens × 25 epochs
    unpriced = entries[0]["costs"][1]
    assert unpriced == {"model": "tuna-001", "format": "completion", "examples": None, "tokens": None,
                        "epochs": None, "usd": None}
    assert fmt.cost(unpriced, "completion") == "no price in the catalog"
