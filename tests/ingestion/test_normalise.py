"""Value normalisation per feeds.md's value-type table (pure pandas, no GX)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from stdnum.cn import ric

from ingestion import normalise
from ingestion.contracts import get_feed, load_feeds
from ingestion.normalise import Context, check_digits, normalise_column
from tests.ingestion.deliveries import valid_id, wrong_check

CSV = Context(dt.date(2026, 11, 1), "csv")
XLSX = Context(dt.date(2026, 11, 1), "xlsx")


def run(feed_id: str, column: str, cells: list[str | None], ctx: Context = CSV):
    out = normalise_column(pd.Series(cells, dtype="str"), get_feed(feed_id).column(column), ctx)
    return out.values.tolist(), out.errors.tolist()


def test_check_digits_agree_with_stdnum() -> None:
    rng = np.random.default_rng(3)
    bodies = ["".join(map(str, rng.integers(0, 10, 17))) for _ in range(3000)]
    ours = check_digits(pd.Series(bodies, dtype="str"))
    theirs = [ric.calc_check_digit(b + "0") for b in bodies]
    assert list(ours) == theirs


def test_id_numbers_full_width_lower_x_spaces_and_15_digits() -> None:
    idn = valid_id("15292119800101123")
    x_id = next(i for i in (valid_id(f"11010519491231{n:03d}") for n in range(1000)) if i.endswith("X"))
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in idn)
    retired_county = valid_id("51070219700101001")  # Sichuan code, any county is fine
    values, errors = run("ca_members", "id_number", [
        idn, f"  {idn} ", full_width, x_id.lower(), "152921800101123", retired_county,
    ])
    assert values == [idn, idn, idn, x_id, valid_id("15292119800101123"), retired_county]
    assert all(pd.isna(e) for e in errors)


@pytest.mark.parametrize(("cell", "reason"), [
    (wrong_check(valid_id("15292119800101123")), "check digit is wrong"),
    ("152921198002301234", "birth date is not a real date"),
    (valid_id("15292120270101123"), "birth date is after the extract date"),
    ("15292119800101123", "17 digits"),
    ("1529211980010112AB", "17 digits"),
])
def test_invalid_id_numbers_say_why(cell: str, reason: str) -> None:
    values, errors = run("ca_members", "id_number", [cell])
    assert pd.isna(values[0])
    assert reason in errors[0]


def test_birth_on_the_extract_date_is_valid() -> None:
    values, errors = run("ca_members", "id_number", [valid_id("15292120261101123")])
    assert pd.isna(errors[0]) and values[0] is not None


def test_dates_in_every_listed_form() -> None:
    cells = ["2026-11-01", "2026/11/1", "20261101", "2026年11月1日", "２０２６－１１－０１", None]
    values, errors = run("ca_households", "approved_on", cells)
    assert values[:5] == [pd.Timestamp("2026-11-01")] * 5 and pd.isna(values[5])
    assert all(pd.isna(e) for e in errors)


def test_impossible_and_garbled_dates_are_errors() -> None:
    _, errors = run("ca_households", "approved_on", ["2026-02-30", "2026-13-01", "soon"])
    assert errors == ["not a valid date"] * 3


def test_dates_outside_the_listed_forms_are_errors_not_guesses() -> None:
    """feeds.md: nothing is "fixed" beyond the listed forms, so another separator is refused."""
    cells = ["2026.11.01", "2026-11/01", "2026 11 01", "01/11/2026", "2026年11月1", "2026-11-01 08:30",
             "20261101 00:00"]
    values, errors = run("ca_households", "approved_on", cells)
    assert errors == ["not a valid date"] * len(cells)
    assert all(pd.isna(v) for v in values)
    values, errors = run("ca_households", "approved_on", ["2026-11-01 00:00:00", "2026/11/1T00:00"], XLSX)
    assert values == [pd.Timestamp("2026-11-01")] * 2 and all(pd.isna(e) for e in errors)


def test_excel_serial_dates_only_in_xlsx() -> None:
    values, errors = run("ca_households", "approved_on", ["46327"], XLSX)
    assert values == [pd.Timestamp("2026-11-01")] and pd.isna(errors[0])
    _, errors = run("ca_households", "approved_on", ["46327"], CSV)
    assert errors == ["not a valid date"]


def test_months() -> None:
    cells = ["2026-11", "202611", "2026年11月", "2026-11-01", "2026-13"]
    values, errors = run("ca_payments", "pay_month", cells)
    assert values[:4] == [pd.Timestamp("2026-11-01")] * 4
    assert errors[4] == "not a valid month"
    values, errors = run("ca_payments", "pay_month", ["2026/11", "2026.11", "2026-11/01", "2026年11"])
    assert values[0] == pd.Timestamp("2026-11-01") and errors[1:] == ["not a valid month"] * 3


def test_money_forms_are_exact_decimals() -> None:
    cells = ["1234.5", "1,234.50", "1234.50元", "１２３４.５", "0.1", "12,34", "1.234", "abc"]
    values, errors = run("ca_households", "monthly_benefit", cells)
    assert [Decimal(v) for v in values[:5]] == [Decimal("1234.50")] * 4 + [Decimal("0.10")]
    assert errors[5:] == ["not a valid amount"] * 3


def test_region_codes_pad_from_their_shortest_form() -> None:
    values, errors = run("ca_standards", "region_code", ["152921", "15292", "1529210"])
    assert values[0] == "152921" and errors[1].startswith("not a region code")
    assert errors[2].startswith("not a region code")
    values, errors = run("ca_households", "region_code", ["152921001001", "152921001"])
    assert values[0] == "152921001001" and errors[1].startswith("not a region code")


def test_booleans_and_enums() -> None:
    values, errors = run("ca_members", "covered", ["是", "否", "Y", "n", "1", "0", "TRUE", "false", "也许"])
    assert values[:8] == [True, False, True, False, True, False, True, False]
    assert errors[8] == "not a yes/no value"
    words = ["yes", "no", "t", "f", "Yes", "对", "ok", "是的", "2"]
    values, errors = run("ca_members", "covered", words)
    assert errors == ["not a yes/no value"] * len(words) and all(pd.isna(v) for v in values)
    values, _ = run("ca_households", "status", ["在保", "gradual_exit", "停保", "暂停"])
    assert values == ["active", "gradual_exit", "terminated", "暂停"]  # the gate rejects the last


def test_timestamps_integers_and_credit_codes() -> None:
    cells = ["2026-11-01 08:30:05", "2026/11/1 8:30", "2026-11-01 25:00"]
    values, errors = run("hotline_12345", "received_at", cells)
    assert values[:2] == [pd.Timestamp("2026-11-01 08:30:05"), pd.Timestamp("2026-11-01 08:30")]
    assert errors[2] == "not a valid timestamp"
    cells = ["2026年11月1日 8:30", "2026-11-01T08:30:05.5", "2026.11.01 08:30", "2026-11/01 08:30",
             "20261101 08:30", "2026年11-01 08:30"]
    values, errors = run("hotline_12345", "received_at", cells)
    assert values[:2] == [pd.Timestamp("2026-11-01 08:30"), pd.Timestamp("2026-11-01 08:30:05")]
    assert errors[2:] == ["not a valid timestamp"] * 4
    values, errors = run("ca_temp_assistance", "installments", ["3", "3.0", "three"])
    assert values[:2] == [3, 3] and errors[2] == "not a whole number"
    values, errors = run("mr_business", "credit_code", ["91110000600037341L", "91110000600037341X"])
    assert values[0] == "91110000600037341L" and errors[1] == "invalid unified social credit code"


def test_repeated_values_give_the_same_answer_as_distinct_ones() -> None:
    cells = ["2026-11-01", "bad", None] * 500
    values, errors = run("ca_households", "approved_on", cells)
    assert values[::3] == [pd.Timestamp("2026-11-01")] * 500
    assert errors[1::3] == ["not a valid date"] * 500
    assert all(pd.isna(v) for v in values[2::3])


def test_a_large_column_of_thousands_of_distinct_dates_is_normalised_once_per_date(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Birth dates: their first rows look distinct, yet the column repeats each date ~twice.

    Normalised per distinct value (the date normaliser sees fewer cells than the column has)
    and with the same answer as the whole column normalised at once.
    """
    from ingestion import normalise

    rng = np.random.default_rng(5)
    days = pd.Timestamp("1940-01-01") + pd.to_timedelta(rng.integers(0, 20_000, 40_000), unit="D")
    cells = pd.Series(days.strftime("%Y-%m-%d"), dtype="str")
    cells[::997] = "1990-02-30"
    column = get_feed("ps_hukou").column("birth_date")
    assert 0.7 <= cells.iloc[:normalise.SAMPLE_ROWS].nunique() / normalise.SAMPLE_ROWS < 0.95

    seen: list[int] = []
    real = normalise.NORMALISERS["date"]
    monkeypatch.setitem(normalise.NORMALISERS, "date",
                        lambda raw, col, ctx: seen.append(len(raw)) or real(raw, col, ctx))
    once = normalise_column(cells, column, CSV)
    whole = real(cells, column, CSV)

    assert seen == [cells.nunique() + 1]  # each distinct text once, and a null
    assert once.values.equals(whole.values)
    assert once.errors.astype("str").equals(whole.errors.astype("str"))
    assert (once.errors == "not a valid date").sum() == len(cells[::997])


def _reference_id_error(idn: str, extract: dt.date) -> str | None:
    """The ID rule of feeds.md written per value with the standard library and python-stdnum."""
    try:
        born = dt.date(int(idn[6:10]), int(idn[10:12]), int(idn[12:14]))
    except ValueError:
        return "ID number birth date is not a real date"
    if born > extract:
        return "ID number birth date is after the extract date"
    if ric.calc_check_digit(idn) != idn[17]:
        return "ID number check digit is wrong"
    return None


def test_vectorised_id_checks_equal_the_per_value_rule() -> None:
    """Thousands of IDs at the boundaries: leap days, month ends, years 0001/9999, X, wrong digits."""
    rng = np.random.default_rng(11)
    counties = ["152921", "152922", "510702", "110105", "000000"]  # 510702: retired; any county passes
    bodies = []
    for _ in range(6000):
        year = rng.choice([rng.integers(1, 10000), rng.integers(1890, 2030), 1900, 2000, 2024, 2026])
        month, day = rng.integers(0, 14), rng.choice([rng.integers(0, 33), 28, 29, 30, 31])
        bodies.append(f"{rng.choice(counties)}{year:04d}{month:02d}{day:02d}{rng.integers(0, 1000):03d}")
    ids = [b + ric.calc_check_digit(b + "0") if k % 3 else b + str(k % 10) for k, b in enumerate(bodies)]
    ids += [valid_id("15292120261101123"), valid_id("15292120261102123"), valid_id("15292120000229001")]
    assert any(i.endswith("X") for i in ids)
    _, errors = run("ca_members", "id_number", ids)
    expected = [_reference_id_error(i, CSV.extract_date) for i in ids]
    assert [None if pd.isna(e) else e for e in errors] == expected
    assert {e for e in expected} >= {None, "ID number birth date is not a real date",
                                     "ID number birth date is after the extract date",
                                     "ID number check digit is wrong"}


def test_id_facts_give_gender_and_birth_date() -> None:
    from ingestion.normalise import id_facts

    male, female = valid_id("15292119800229123"), valid_id("15292110000101124")  # 1000: once beyond ns
    unreal = valid_id("15292119810229123")
    gender, birth = id_facts(pd.Series([male, None, female, unreal], dtype="str"))
    assert gender.tolist()[0::2] == ["M", "F"] and pd.isna(gender[1])
    assert birth[0] == pd.Timestamp("1980-02-29") and pd.isna(birth[1]) and pd.isna(birth[3])
    assert str(birth[2].date()) == "1000-01-01"  # the gate judges it (after the ID's own check)


def test_an_id_column_brings_the_facts_the_gate_would_read_from_its_values() -> None:
    """The facts kept by the ID check (`Normalised.id_facts`) are `id_facts` of the checked values:
    valid IDs of either gender, a lower-case x, a 15-digit ID, and every kind of invalid one."""
    from ingestion.normalise import id_fact_series, id_facts

    feed = get_feed("ps_hukou")
    male, female = valid_id("15292119800229123"), valid_id("15292110000101124")
    x_id = next(valid_id(f"152921198001011{n:02d}") for n in range(100)
                if valid_id(f"152921198001011{n:02d}").endswith("X"))
    cells = [male, None, female, x_id.lower(), "152921800101123", wrong_check(male),
             valid_id("15292119810229123"), valid_id("15292120261102123"), "15292119800101", "",
             "１５２９２１１９８００２２９１２３" + male[-1]]
    every_one_shaped = [male, female, x_id, wrong_check(female), valid_id("15292119810229123")]
    for rows in (cells, every_one_shaped):
        for extract_date in (CSV.extract_date, np.full(len(rows), np.datetime64(CSV.extract_date, "D"))):
            column = normalise_column(pd.Series(rows, dtype="str"), feed.column("id_number"),
                                      Context(extract_date=extract_date, file_format="csv"))
            assert column.id_facts is not None
            kept_gender, kept_birth = id_fact_series(column.id_facts, column.values.index)
            gender, birth = id_facts(column.values)
            assert kept_gender.equals(gender) and kept_birth.equals(birth)
            assert gender.notna().sum() >= 3 and column.errors.notna().sum() >= 2  # both kinds compared


def test_arrow_extract_reads_like_pandas_extract() -> None:
    """`extract` (RE2, vectorised) gives pandas' `str.extract` groups; '' for a group not taken."""
    from ingestion.normalise import extract

    cells = ["2026-11-01 08:30:05", "2026/11/1 8:30", "2026年11月1日", "-1,234.50", "+7", "x", None, ""]
    text = pd.Series(cells, dtype="str", index=range(10, 10 + len(cells)))
    for pattern in (r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$",
                    r"^([+-]?)(\d+)(?:\.(\d*))?$", r"^([+-]?)(\d{1,3}),(\d{3})\.(\d+)$"):
        ours, theirs = extract(text, pattern), text.str.extract(pattern)
        assert list(ours.index) == list(theirs.index)
        matched = theirs[0].notna()
        assert ours[~matched].isna().all().all()
        assert ours[matched].equals(theirs[matched].fillna("").astype("str"))


#: Cells of every type's delivered forms and of none, for `test_per_value_equals_whole_column`.
MIXED_CELLS = [
    "", " ", "\u3000", "0", "-1", "1.5", "1,234.50", "１２３", "1e3", "nan", "None", "inf", "-0", "0.005",
    "12.345", "2026-11-01", "2026/11/1", "20261101", "2026年11月1日", "2026-02-29", "2024-02-29",
    "9999-12-31", "0001-01-01", "2026-11", "2026年11月", "45000", "45000.5", "是", "否", "Y", "n",
    "true", "男", "本人", "152921", "152921001001", "15292100100", "１５２９２１", "91110000600037341L",
    "X", "\u3000a\u3000", " a ", "a\tb", "100元", "￥100", "¥1,000", "(100)", "+5",
    "2026-11-01 08:00:00", "2026-11-01T08:00", "08:00", "01", "½", "٣", "𝟙", "=1+1", '"', "'1", "😀", None,
]


@pytest.mark.parametrize("column_type", sorted(set(normalise.NORMALISERS) - normalise.ALWAYS_VECTORISED))
def test_per_value_equals_whole_column(column_type: str) -> None:
    """A column of repeated cells, normalised once per distinct value (the fast path), gives each row
    what the type's normaliser gives the whole column, in each file format and for stacked files
    (an extract date per row)."""
    feed_id, column = next((f, c) for f in load_feeds() for c in get_feed(f).columns if c.type == column_type)
    rng = np.random.default_rng(len(column_type))
    forms = MIXED_CELLS + [*column.values, *column.codes]
    cells = pd.Series(rng.choice(np.array(forms, dtype=object), 3000), dtype="str")
    per_row = np.datetime64("2026-09-01") + rng.integers(0, 90, len(cells)).astype("timedelta64[D]")
    for ctx in (CSV, XLSX, Context(per_row, "json")):
        once = normalise_column(cells, column, ctx)
        whole = normalise.NORMALISERS[column_type](cells, column, ctx)
        assert cells.nunique() < normalise.DISTINCT_SHARE * len(cells)  # so the fast path was taken
        assert _cells(once.values) == _cells(whole.values), (feed_id, ctx)
        assert _cells(once.errors) == _cells(whole.errors), (feed_id, ctx)


def _cells(values: pd.Series) -> list:
    """Python values with every kind of null as None (NaN is not equal to itself)."""
    return [None if pd.isna(v) else v for v in values.astype(object)]
