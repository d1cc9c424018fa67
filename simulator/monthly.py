"""Monthly rows kept compact: one entry per person, expanded one delivery at a time.

Why: hrss_insurance repeats every insured person in each of ~37 months (4.2 M rows at
scale 1, 42 M at scale 10). Held as one table, then formatted, it was the largest piece
of the simulator's memory. `MonthlyRows` keeps the persons (ID, amount) and the months
once; `rows_in_delivery` builds exactly the rows the whole table would deliver on one
extract date, in the same order, so the files are byte-identical to writing the table.

Row order of the expanded table: person by person, each person's months ascending
(`frame()`), like the background's `repeat_each` / `np.tile` frames it replaces.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from ingestion.contracts import Feed


@dataclass
class MonthlyRows:
    """Rows `(id_number, month, item, amount)` for every person x every month.

    `ids` and `amounts` have one entry per person; `months` and `delivered` (the date
    each month's row reaches the department's export) one per month.
    """

    ids: pd.Categorical
    item: str
    amounts: np.ndarray
    months: np.ndarray  # datetime64[D]
    delivered: np.ndarray  # datetime64[D]
    _birth_cache: np.ndarray | None = field(default=None, repr=False)
    _id_cache: np.ndarray | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.ids) * len(self.months)

    def _frame(
        self, person: np.ndarray, month: np.ndarray, delivered_on: np.ndarray, categorical: bool = True
    ) -> pd.DataFrame:
        n = len(person)
        if categorical:  # the whole table: millions of rows share the IDs
            ids = pd.Categorical.from_codes(self.ids.codes[person], categories=self.ids.categories)
        else:  # one delivery: merging categories with other parts would cost more than it saves
            ids = self._id_objects()[person]
        return pd.DataFrame(
            {
                "id_number": ids,
                "month": self.months[month],
                "item": pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=[self.item]),
                "amount": self.amounts[person],
                "_do": delivered_on,
                "_origin": pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=["bg"]),
            }
        )

    def frame(self) -> pd.DataFrame:
        """Every row (the whole table: for tests and small worlds)."""
        k, m = len(self.ids), len(self.months)
        person, month = np.repeat(np.arange(k), m), np.tile(np.arange(m), k)
        return self._frame(person, month, self.delivered[month])

    def delivery_slots(self, feed: Feed, extract_dates: list[date]) -> np.ndarray:
        """Per person x month, the index of the delivery that carries the row
        (len(extract_dates) = after the last one).

        The delivery date is pushed to the row's own dates as `derive._not_before_own_dates`
        does for a whole table: the month itself and the birth date in the ID.
        """
        own = [c for c in feed.columns if c.type in ("date", "month", "timestamp") and not c.future_ok]
        if [col.name for col in own] not in ([], ["month"]):
            raise ValueError(f"{feed.feed_id}: monthly rows know the month as their only date, not {own}")
        birth = self._births()
        latest = self.delivered if not own else np.fmax(self.delivered, self.months)
        due = np.fmax(latest[np.newaxis, :], birth[:, np.newaxis])  # fmax ignores NaT
        slots = np.searchsorted(np.array(extract_dates, dtype="datetime64[D]"), due, side="left")
        return slots.astype(np.int16)

    def rows_in_delivery(self, slots: np.ndarray, index: int) -> pd.DataFrame:
        """The rows delivered in delivery `index` (slots from `delivery_slots`), in table order."""
        person, month = np.nonzero(slots == index)  # row-major: person by person, months ascending
        due = np.fmax(np.fmax(self.delivered[month], self.months[month]), self._births()[person])
        return self._frame(person, month, due, categorical=False)

    def _births(self) -> np.ndarray:
        """Per person, the birth date in an 18-digit ID (NaT for others); computed once."""
        if self._birth_cache is None:
            ids = self.ids.categories
            texts = [f"{i[6:10]}-{i[10:12]}-{i[12:14]}" if len(i) == 18 else "NaT" for i in ids]
            births = np.array([*texts, "NaT"]).astype("datetime64[D]")
            self._birth_cache = births[self.ids.codes]  # code -1 (null) reads the last, NaT
        return self._birth_cache

    def _id_objects(self) -> np.ndarray:
        """Per person, the ID as a Python string (None for a missing one); computed once."""
        if self._id_cache is None:
            self._id_cache = np.asarray(self.ids, dtype=object)
            self._id_cache[pd.isna(self._id_cache)] = None
        return self._id_cache
