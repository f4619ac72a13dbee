"""The HTML report opened in a real headless Chromium (Debian's ``chromium`` package).

The DOM Chromium renders must hold the headline, the tables and the timeline SVG,
and a screenshot is saved to ``test-artifacts/report.png`` for people to look at.
Chromium runs with networking features off and a throw-away profile; the page
itself references nothing outside the file.  Without Chromium the test is skipped
with the install command on a developer's machine, so the README's test command
passes on a fresh machine; in CI (``CI=true``, where ``.ci/run`` installs Chromium)
it fails instead, so the coverage is never lost silently.  ``FT_MIGRATE_NO_BROWSER=1``
skips it everywhere.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.report.conftest import LEGACY_APP, REPO

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT = 120  # seconds: a bound on a hung browser, not a performance assertion


def locate_chromium() -> str:
    """Debian's chromium; without it a skip naming the install command, or a failure in CI."""
    if os.environ.get("FT_MIGRATE_NO_BROWSER") == "1":
        pytest.skip("FT_MIGRATE_NO_BROWSER=1: the headless browser test is disabled")
    path = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
    if path is None:
        message = "Chromium is needed to test the HTML report: install it with `apt-get install -y chromium`"
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail(message + " (CI must run this test)")
        pytest.skip(message)
    return path


@pytest.fixture
def chromium() -> str:
    return locate_chromium()


def test_missing_chromium_is_skipped_with_the_install_command_but_fails_in_ci(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(os.path, "exists", lambda path: False)
    monkeypatch.delenv("FT_MIGRATE_NO_BROWSER", raising=False)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="install it with `apt-get install -y chromium`$"):
        locate_chromium()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"apt-get install -y chromium` \(CI must run this test\)"):
        locate_chromium()
    monkeypatch.setenv("FT_MIGRATE_NO_BROWSER", "1")
    with pytest.raises(pytest.skip.Exception, match="FT_MIGRATE_NO_BROWSER=1"):
        locate_chromium()


def run_chromium(chromium: str, profile, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=TIMEOUT, check=False)


def test_html_report_renders_in_chromium(chromium, report, monkeypatch, tmp_path):
    monkeypatch.chdir(LEGACY_APP)
    page = tmp_path / "report.html"
    result = report(".", "--as-of", "2024-03-01", "-o", str(page))
    assert result.exit_code == 1, result.output
    url = page.as_uri()

    dom = run_chromium(chromium, tmp_path / "profile-dom", "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr
    html = dom.stdout
    assert "call sites in" in html and "depend on what OpenAI shut down on 2024-01-04: broken since 2024-01-04 " \
                                       "(57 days)." in html
    for table in ("files-table", "rules-table", "findings-table", "models-table", "manual-table", "training-table"):
        assert f'<table id="{table}">' in html, table
    assert '<svg class="timeline"' in html
    for date in ("2023-07-06", "2023-08-22", "2024-01-04", "2024-03-01"):
        assert f">{date}</text>" in html, date
    assert "broken for 57 days" in html
    assert "ft-migrate shim serve" in html

    artifacts = REPO / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    shot = artifacts / "report.png"
    shot.unlink(missing_ok=True)
    png = run_chromium(chromium, tmp_path / "profile-shot", f"--screenshot={shot}", "--window-size=1280,2000", url)
    assert png.returncode == 0, png.stderr
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
