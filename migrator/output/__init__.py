"""Renderers of a scan result: text for people, JSON for machines, SARIF for code scanning."""
