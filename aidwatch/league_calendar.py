"""The league's calendar: which day it is in Alxa League, whatever the server's time zone.

Why one place: as_of is a day on the league's calendar. A cron job that runs `aidwatch run`
at 06:00 Beijing time on a server kept in UTC (22:00 the day before) would otherwise build
for yesterday, while the health check, the officials' feedback and the Airflow DAG (which
takes its logical date in this zone) all work on today.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

LEAGUE_ZONE = ZoneInfo("Asia/Shanghai")


def league_now() -> dt.datetime:
    """Now in the league's time zone (aware)."""
    return dt.datetime.now(LEAGUE_ZONE)


def league_today() -> dt.date:
    """Today on the league's calendar: the default as_of of every command."""
    return league_now().date()
