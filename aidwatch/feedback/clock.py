"""The feedback clock: Beijing time, without tzinfo.

Why its own module: officials in Alxa League judge "today" (no verification in the
future) and the build compares the day a record was made with as_of, both in local
dates. Every caller reads the time through `clock.local_now()` (module attribute, not
a from-import), so a test can set the day the officials work on.
"""

from __future__ import annotations

import datetime as dt

from aidwatch import league_calendar


def local_now() -> dt.datetime:
    """Now in Beijing time, without tzinfo (how recorded_at is stored and delivered)."""
    return league_calendar.league_now().replace(tzinfo=None, microsecond=0)


def local_today() -> dt.date:
    return local_now().date()
