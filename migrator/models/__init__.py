"""``ft-migrate models``: the models' lifecycle on a date, and live shutdown dates (see :mod:`migrator.live`)."""
