"""The COS state backend: state versions, a journal and a lease lock as objects in a bucket."""
