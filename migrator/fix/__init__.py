"""`ft-migrate fix`: the runner, the notebook/command-line/pin fixers and the click command."""
