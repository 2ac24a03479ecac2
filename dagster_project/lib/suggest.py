"""``did_you_mean``: the one way every message of the command line and the scenario definitions
suggests a known word for an unknown one."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """'; did you mean X?' (up to three, 'X or Y') for a word close to some candidates, else ''.
    Case does not matter; candidates that start with the word come first."""
    lowered = {c.lower(): c for c in sorted(set(candidates))}
    key = word.lower()
    close = [c for c in lowered if c.startswith(key) and c != key][:3] if key else []
    close += [c for c in difflib.get_close_matches(key, list(lowered), n=3, cutoff=0.6) if c not in close]
    return f"; did you mean {' or '.join(lowered[c] for c in close[:3])}?" if close else ""
