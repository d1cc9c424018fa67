"""/stats shows banner and league users the feeds' health report of the data's as_of (issue 18)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from aidwatch.home import Home
from ingestion.contracts import get_feed
from ingestion.health import HealthProblem, health_report_path, write_health_report

REJECTED = HealthProblem(feed_id="ca_deaths", check="rejected", message="ca_deaths/x.csv was rejected",
                         file="ca_deaths/ca_deaths_20261127.csv")
OVERDUE = HealthProblem(feed_id="ps_vehicles", check="overdue", message="ps_vehicles is overdue by 5 days",
                        days_overdue=5)


@pytest.fixture
def health_report(workspace_app) -> Iterator[None]:
    """A report for the served warehouse's as_of: one rejected file alerting, one overdue feed known."""
    home: Home = workspace_app.state.home
    as_of = workspace_app.state.warehouse.snapshot().as_of
    path = health_report_path(home, as_of)
    before = path.read_bytes() if path.exists() else None
    write_health_report(home, as_of, [REJECTED, OVERDUE], 0.05, extra={
        "alerting": ["rejected:ca_deaths:ca_deaths/ca_deaths_20261127.csv"],
        "acknowledged": [{"key": "overdue:ps_vehicles", "until": (as_of + timedelta(days=30)).isoformat(),
                          "user": "steward", "reason": "公安系统升级"}],
    })
    yield
    if before is None:
        path.unlink()
    else:
        path.write_bytes(before)


@pytest.mark.parametrize("user", ["banner_a", "league"])
def test_stats_shows_the_feed_health(clients, health_report, user: str) -> None:
    page = clients[user].get("/stats")
    assert page.status_code == 200
    html = page.text
    assert 'data-testid="feed-health"' in html and "数据质量" in html
    alerting = html.split('data-testid="feed-health-alerting"')[1].split("</table>")[0]
    assert get_feed("ca_deaths").name_zh in alerting and "文件被拒收" in alerting
    assert "ca_deaths_20261127.csv" in alerting
    known = html.split('data-testid="feed-health-acknowledged"')[1].split("</table>")[0]
    assert get_feed("ps_vehicles").name_zh in known and "逾期 5 天" in known and "公安系统升级" in known


def test_stats_without_a_report_shows_no_health_section(clients, workspace_app) -> None:
    as_of = workspace_app.state.warehouse.snapshot().as_of
    assert not health_report_path(workspace_app.state.home, as_of).exists()
    assert 'data-testid="feed-health"' not in clients["league"].get("/stats").text
