"""reconciler: Tencent Cloud CI snapshot templates and snapshot jobs as code."""

__version__ = "0.1.0"

__all__ = ["__version__"]
