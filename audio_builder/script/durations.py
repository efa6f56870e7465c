"""Durations as people write them ("1m30s", "1.5s", "500ms") and exact sample counts.

Time is planned in integer samples at RATE so that sums never drift (pydub issue #83).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

from .. import RATE

_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|h|m|s)\s*")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_ORDER = ("h", "m", "s", "ms")
_UNIT_MS = {"h": 3_600_000, "m": 60_000, "s": 1000, "ms": 1}


def parse_count(text: str) -> Decimal:
    """A plain decimal number (digits and one point): no signs, exponents or '_'."""
    if not _NUMBER.fullmatch(text.strip()):
        raise ValueError(f"'{text}' is not a number")
    return Decimal(text.strip())


def parse_ms(text: str | float) -> int:
    """Milliseconds of a duration; raises ValueError with a short reason.

    Accepts 500ms, 3s, 1.5s, 2m, 1m30s, 1h, and a bare number of seconds.
    """
    if isinstance(text, bool):
        raise ValueError("expected a duration like 30s, 2m or 1m30s")
    if isinstance(text, (int, float)):
        if not math.isfinite(text) or text < 0:
            raise ValueError("a duration must be a finite number of seconds, 0 or more")
        return round(Decimal(str(text)) * 1000)
    s = text.strip().lower()
    if not s:
        raise ValueError("empty duration")
    if _NUMBER.fullmatch(s):
        return round(Decimal(s) * 1000)
    pos, total, units = 0, Decimal(0), []
    for m in _PART.finditer(s):
        if m.start() != pos:
            break
        units.append(m.group(2))
        try:
            total += Decimal(m.group(1)) * _UNIT_MS[m.group(2)]
        except InvalidOperation:  # pragma: no cover - the regex admits only digits
            break
        pos = m.end()
    if pos != len(s) or not units:
        raise ValueError(f"'{text}' is not a duration (write e.g. 500ms, 3s, 1.5s, 2m, 1m30s)")
    if len(set(units)) != len(units):
        raise ValueError(f"'{text}' repeats a unit")
    if units != sorted(units, key=_ORDER.index):
        raise ValueError(f"'{text}': write the larger unit first, e.g. 1m30s")
    return round(total)


def ms_to_samples(ms: int, rate: int = RATE) -> int:
    """Exact sample count of a millisecond duration (rounded once, half up)."""
    return (ms * rate + 500) // 1000


def clock(seconds: float) -> str:
    """m:ss.s, as players show it (rounded first: 299.96 s is 5:00.0, never 4:60.0)."""
    m, s = divmod(round(seconds, 1), 60)
    return f"{int(m)}:{s:04.1f}"


def format_duration(seconds: float) -> str:
    """Human form for messages and tables: 9m58.4s, 45s, 1h02m."""
    if seconds < 60:
        return f"{seconds:.1f}s".replace(".0s", "s")
    m, s = divmod(round(seconds, 1), 60)
    if m >= 60:
        h, m = divmod(int(m), 60)
        return f"{h}h{m:02d}m{int(s):02d}s"
    sec = f"{s:04.1f}".replace(".0", "") if s % 1 else f"{int(s):02d}"
    return f"{int(m)}m{sec}s"
