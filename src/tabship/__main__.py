"""``python -m tabship``: the same as the ``tabship`` command."""

from tabship.cli import main

main()
