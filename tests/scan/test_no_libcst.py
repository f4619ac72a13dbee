"""``scan`` reads code with CPython's own parser: LibCST, which only ``fix`` needs, is never imported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

PROBE = """
import json, sys
from migrator.cli import main
try:
    main(["scan", "--format", "json", "-o", sys.argv[2], "--no-cache", "--jobs", "1", sys.argv[1]])
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if m == "libcst" or m.startswith("libcst."))))
"""


def test_scan_of_every_fixture_imports_no_libcst(tmp_path: Path) -> None:
    out = tmp_path / "scan.json"
    proc = subprocess.run([sys.executable, "-c", PROBE, str(FIXTURES), str(out)], capture_output=True, text=True,
                          timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == []
    doc = json.loads(out.read_text())
    assert doc["summary"]["files_scanned"] > 100  # Python, notebooks and the rest
    assert {f["path"].rsplit(".", 1)[-1] for f in doc["findings"]} >= {"py", "ipynb", "sh", "md"}
