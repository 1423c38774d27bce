"""GET Bucket key walk: prefix, marker, max-keys and the ``delimiter`` roll-up.

With a delimiter, every key whose remainder after ``prefix`` contains it is rolled up into one
CommonPrefixes entry (prefix + remainder up to and including the first delimiter), and the keys
under it are not listed (COS GET Bucket). Entries are walked in key order; a common prefix takes
the place of its first key, counts as one entry towards ``max-keys``, and is only returned when
it sorts after ``marker`` (so a NextMarker that is a common prefix resumes after all its keys).
"""

from __future__ import annotations

import sqlite3

from .store import Row

#: Appended to a common prefix to skip past every key under it (largest code point).
_PAST = "\U0010ffff"


def common_prefix(key: str, prefix: str, delimiter: str | None) -> str | None:
    """The CommonPrefixes entry ``key`` rolls up into, or None when it is listed as itself."""
    if not delimiter:
        return None
    at = key.find(delimiter, len(prefix))
    return None if at < 0 else key[: at + len(delimiter)]


def walk(
    db: sqlite3.Connection,
    bucket: str,
    prefix: str,
    marker: str,
    max_keys: int,
    delimiter: str | None,
) -> tuple[list[Row | str], bool]:
    """Up to ``max_keys`` entries after ``marker``: object rows or common-prefix strings,
    and whether more remain (IsTruncated)."""
    items: list[Row | str] = []
    cursor = marker
    batch = max_keys + 1
    while len(items) <= max_keys:
        rows = db.execute(
            "SELECT key, etag, length(data) AS size, modified FROM objects "
            "WHERE bucket = ? AND key > ? AND substr(key, 1, ?) = ? ORDER BY key LIMIT ?",
            (bucket, cursor, len(prefix), prefix, batch),
        ).fetchall()
        jumped = False
        for row in rows:
            rolled = common_prefix(str(row["key"]), prefix, delimiter)
            if rolled is None:
                items.append(dict(row))
                cursor = str(row["key"])
            else:
                if rolled > marker:
                    items.append(rolled)
                cursor, jumped = rolled + _PAST, True
                break  # re-query past every key under this common prefix
            if len(items) > max_keys:
                break
        if not jumped and len(rows) < batch:
            break
    return items[:max_keys], len(items) > max_keys
