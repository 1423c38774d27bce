"""The effects: observe the service, apply a plan, submit jobs exactly once, track them.

The engine drives the pure planner (:mod:`reconciler.plan`) with facts read through the remote
Protocols and records what it does through the state writer; ``workflow`` composes the flows the
CLI and the Python API run.
"""
