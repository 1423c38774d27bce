"""The command line: click commands over :mod:`reconciler.engine.workflow`, and terminal output.

The console script is ``reconciler.cli.commands:main``; ``python -m reconciler`` runs the same.
"""
