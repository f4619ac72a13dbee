"""``ft-migrate scan``: one scanner per kind of file, a prefilter, a parallel runner.

Kept empty of imports so that the light scanners (config, text) do not pay for
LibCST when imported on their own.
"""
