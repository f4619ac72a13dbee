"""``python -m migrator`` runs the ``ft-migrate`` command line."""

from migrator.cli import main

main()
