"""The replay check in CI: the warnings are right on every date, not only on as_of.

One small simulated league (4 months of deliveries up to TEST_AS_OF), ingested once;
the warnings built at four as_of dates (an end of month, a 1st, a mid-month and
as_of itself, the day the planted standards change) in one warehouse, in date
order as daily runs would; each build is compared with the truth that applies on
its date (simulator/truth_check.py). Any wrong warning on any date fails, and the
table (recall, precision, severity agreement per rule per date) is printed.
`make verify` runs the same check on a year and at least twelve dates.
"""

from __future__ import annotations

from datetime import date

import pytest

from simulator.generate import simulate
from simulator.truth_check import format_table, replay, wrong_on_any_date
from tests.fixtures.simulated import TEST_AS_OF, TEST_SCALE, TEST_SEED

REPLAY_MONTHS = 4
REPLAY_DATES = [date(2026, 8, 31), date(2026, 10, 1), date(2026, 10, 15), TEST_AS_OF]


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    root = tmp_path_factory.mktemp("replay")
    inbox = simulate(root / "inbox", as_of=TEST_AS_OF, seed=TEST_SEED, scale=TEST_SCALE, months=REPLAY_MONTHS)
    return replay(inbox, root / "home", REPLAY_DATES)


@pytest.mark.slow
def test_every_rule_right_on_every_replayed_date(replayed):
    table = format_table(replayed)
    print("\n" + table)
    assert sorted(replayed) == sorted(REPLAY_DATES)
    wrong = wrong_on_any_date(replayed)
    assert not wrong, "\n".join(line for line in table.splitlines() if not line.rstrip().endswith("%"))


@pytest.mark.slow
def test_every_rule_is_judged_on_as_of(replayed):
    """On as_of every rule of the catalogue has planted subjects to be judged on."""
    on_as_of = replayed[TEST_AS_OF]
    assert len(on_as_of) == 39, sorted(on_as_of)
    assert all(score.planted > 0 for score in on_as_of.values()), format_table({TEST_AS_OF: on_as_of})
