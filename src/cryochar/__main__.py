"""``python -m cryochar`` runs the command line."""

from cryochar.cli import main

main()
