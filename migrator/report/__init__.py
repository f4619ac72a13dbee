"""``ft-migrate report``: one document on what the 2024-01-04 shutdown broke.

The report is built once as plain data (:mod:`migrator.report.figures`: the scan's
JSON document plus the report's figures) and then rendered three ways from that
same data, so the HTML page, the Markdown for pull requests and the JSON for
machines can never disagree.
"""
