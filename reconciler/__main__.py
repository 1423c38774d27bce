"""``python -m reconciler`` is the same as the ``reconciler`` console script."""

from reconciler.cli.commands import main

main()
