"""Vietnam time (UTC+07:00): how legal dates and times are shown.

Instants are stored in UTC; documents, reports and the number register show
or count them in Vietnam time (Decree 30/2020/NĐ-CP; the register's year
rolls at 00:00 on 1 January, Vietnam time).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

VIETNAM_TIME = timezone(timedelta(hours=7), "ICT")


def vietnam_time(at: datetime) -> datetime:
    """Return ``at`` in Vietnam time; ``at`` must be timezone-aware."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("times must be timezone-aware")
    return at.astimezone(VIETNAM_TIME)


def iso_vietnam(at: datetime) -> str:
    """Return ``at`` as ISO 8601 in Vietnam time, e.g. 2025-03-05T14:30:00+07:00."""
    return vietnam_time(at).isoformat(timespec="seconds")
