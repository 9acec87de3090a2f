"""Whether two wildcard patterns can match a common string."""

from __future__ import annotations

from functools import lru_cache

__all__ = ["globs_overlap"]


@lru_cache(maxsize=4096)
def globs_overlap(left: str, right: str) -> bool:
    """Return True when some string matches both glob patterns (``*`` and ``?``, case-sensitive).

    A breadth-first search over pairs of positions: a ``*`` on either side may
    absorb the other side's next character or match nothing.
    """
    seen = set()
    pending = [(0, 0)]
    while pending:
        i, j = pending.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        if i == len(left) and j == len(right):
            return True
        if i < len(left) and left[i] == "*":
            pending.append((i + 1, j))
            if j < len(right):
                pending.append((i, j + 1))
        if j < len(right) and right[j] == "*":
            pending.append((i, j + 1))
            if i < len(left):
                pending.append((i + 1, j))
        if i < len(left) and j < len(right) and left[i] != "*" and right[j] != "*":
            if left[i] == "?" or right[j] == "?" or left[i] == right[j]:
                pending.append((i + 1, j + 1))
    return False
