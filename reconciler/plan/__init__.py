"""The pure planner: from (desired, recorded, observed) data to an immutable Plan.

Nothing in this package opens a file descriptor to the network or takes a lock: it imports only
:mod:`reconciler.model`, :mod:`reconciler.errors` and its own modules (checked by
``tests/test_architecture.py``). ``planfile`` reads and writes saved plans as plain JSON files.
"""
