"""The local state backend: one JSON file, a journal beside it, and a lock file."""
