"""统计 `/stats` for banner and league users: warnings by township and rule, and the trend.

Why ECharts: a well-kept chart library, vendored into the package
(`aidwatch/vendor/echarts.min.js`), so the page works with no internet. The numbers
go into the page as a JSON data block (no inline script: the CSP forbids it) and
`static/stats.js` draws them; the same numbers are in tables below the charts.
"""

from __future__ import annotations

from collections import Counter

from fastapi import APIRouter, Request
from fastapi.responses import Response

from aidwatch.workspace.app import render
from aidwatch.workspace.audit import audit_request
from aidwatch.workspace.dependencies import StatsUser
from aidwatch.workspace.scope import Principal
from aidwatch.workspace.warehouse import request_snapshot

router = APIRouter(tags=["stats"])


def trend(request: Request, principal: Principal) -> list[dict]:
    """Warnings seen per run (as_of) within the user's area, from marts.warning_history."""
    where, params = "", []
    if principal.role == "banner":
        where, params = "where substr(region_code, 1, 6) = ?", [principal.region_code]
    with request.app.state.warehouse.cursor() as cursor:
        rows = cursor.execute(
            f"select as_of, count(distinct warning_key) from marts.warning_history {where} "
            "group by as_of order by as_of",
            params,
        ).fetchall()
    return [{"as_of": as_of.isoformat(), "count": count} for as_of, count in rows]


@router.get("/stats")
def stats(request: Request, principal: StatsUser) -> Response:
    snapshot = request_snapshot(request)
    rows = [r for r in snapshot.warnings if principal.covers_warning(r) and r.get("status") != "resolved"]
    by_township: dict[str, Counter] = {}
    for row in rows:
        name = snapshot.region_name(row.get("township_code")) if row.get("township_code") else (
            snapshot.region_name(row.get("banner_code")) + "（旗级）")
        by_township.setdefault(name, Counter())[row.get("severity")] += 1
    townships = sorted(by_township.items(), key=lambda item: -sum(item[1].values()))
    rule_counts = Counter((r["rule_id"], r.get("rule_name_zh") or "") for r in rows)
    rules = sorted(rule_counts.items(), key=lambda item: (-item[1], item[0]))
    data = {
        "townships": [{"name": name, "high": c["high"], "medium": c["medium"], "low": c["low"]}
                      for name, c in townships],
        "rules": [{"name": f"{rule} {name}", "count": count} for (rule, name), count in rules],
        "trend": trend(request, principal),
    }
    audit_request(request, "view_stats", principal.region_code or "league")
    from aidwatch.workspace.feed_health import read_feed_health
    from aidwatch.workspace.routers.feedback import rule_dismissals_for  # issue 16 (IND-13)

    return render(request, "stats.html", {
        "data": data, "open_total": len(rows), "as_of": snapshot.as_of,
        "region_label": snapshot.region_name(principal.region_code),
        "rule_dismissals": rule_dismissals_for(request, principal),
        "feed_health": read_feed_health(request.app.state.home, snapshot.as_of),  # issue 18
    })
