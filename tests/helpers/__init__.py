"""Shared test code: manifests, emulators, clocks, processes, checks on the service.

Test files and conftest.py files import from here; no test module is imported as a library.
conftest.py files only declare fixtures built from these helpers.
"""
