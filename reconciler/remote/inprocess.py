"""An httpx transport that calls a WSGI app in this process (``endpoint: embedded``, tests).

It lives here so that httpx stays inside ``reconciler.remote``.
"""

from __future__ import annotations

from typing import Any

import httpx


def wsgi_transport(app: Any) -> httpx.BaseTransport:
    """Requests go straight to ``app`` with no socket; a raised exception is a lost reply."""
    return httpx.WSGITransport(app=app)
