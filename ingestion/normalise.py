"""Value normalisation: raw text cells -> canonical values, exactly as feeds.md's value-type table says.

Why per column and vectorised: a delivery has up to a few hundred thousand rows and every
cell arrives as text. Each normaliser takes a whole column (a pandas Series of text, null
for an empty cell) and returns a `Normalised` pair: the canonical values (null where the
cell was empty or could not be read) and an error Series (null where fine, otherwise a
short English reason). The work runs in Arrow and numpy, not per cell in Python: regex
groups by Arrow's RE2 (`extract`), ID numbers as a byte matrix of their digits (shape,
birth date by calendar arithmetic, ISO 7064 check digit; `_id_parts`), verified in the
tests against `stdnum.cn.ric.calc_check_digit` and `datetime.date` on thousands of IDs.
Only credit codes call `stdnum` per distinct value.

Nothing here decides whether a row is quarantined: the gate does (see `ingestion.gate`).
Enum values that match neither a label nor a code are kept as given, so the gate's
value-set expectation is what rejects them.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from stdnum.cn import uscc

from ingestion.contracts import Column

#: Excel's day zero for serial dates (the 1900 leap-year bug makes it 1899-12-30).
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
#: Serial numbers we accept as Excel dates in .xlsx (1900-01-01 .. 2173-10-14).
EXCEL_SERIAL_RANGE = (1, 99999)

#: The yes/no forms the exchange catalogue lists (是/否, Y/N, 1/0, true/false), compared
#: case-insensitively (`TRUE` from a spreadsheet). Nothing else: "yes", "t" or "ok" is a cell
#: error, not a guess, because the contract forbids fixing a value beyond its listed forms.
TRUE_WORDS = ("是", "y", "1", "true")
FALSE_WORDS = ("否", "n", "0", "false")

#: The listed date forms with separators (2026-11-01, 2026/11/1, 2026年11月1日), by a text
#: every cell of the form holds, and without (20261101); one pattern each, so a mixed or other
#: separator (2026-11/01, 2026.11.01) matches none and is a cell error.
SEPARATED_DATE_FORMS = {
    "-": r"(\d{4})-(\d{1,2})-(\d{1,2})",
    "/": r"(\d{4})/(\d{1,2})/(\d{1,2})",
    "年": r"(\d{4})年(\d{1,2})月(\d{1,2})日",
}
COMPACT_DATE_FORM = r"(\d{4})(\d{2})(\d{2})"
#: A midnight time after a separated date: how a spreadsheet or JSON export writes a date cell.
MIDNIGHT = r"(?:[ T]00:00(?::00(?:\.0+)?)?)?"
#: The listed month forms with separators (2026-11, 2026年11月; 2026/11 as the date's `/` form),
#: by a text every cell of the form holds, and without (202611).
SEPARATED_MONTH_FORMS = {"-": r"(\d{4})-(\d{1,2})", "/": r"(\d{4})/(\d{1,2})", "年": r"(\d{4})年(\d{1,2})月"}
COMPACT_MONTH_FORM = r"(\d{4})(\d{2})"
#: A time of day after a timestamp's date (one of the separated date forms).
TIME_OF_DAY = r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"


@dataclass(frozen=True)
class Normalised:
    """One column after normalisation: canonical values and per-cell error text.

    Text normalised per distinct value comes as a pandas Categorical (`normalise_column`);
    `text_array` / `text_series` give it back as plain text where text operations need it.
    """

    values: pd.Series
    errors: pd.Series
    #: An ID column's facts per row, found while checking it (`id_facts`); None for other columns.
    id_facts: IdFacts | None = None


@dataclass(frozen=True)
class IdFacts:
    """What each row's ID encodes: gender code (1 = odd 17th digit = M, 0 = F, -1 = none) and
    birth date (NaT: none), where the ID is valid; the gate compares them with the row's columns.

    Why kept from the ID check: the gate's `agrees_with_id` check read them from the IDs a
    second time, the same byte matrix and calendar arithmetic (~0.035 CPU s per 261k IDs).
    """

    gender_codes: np.ndarray  # int8
    birth_dates: np.ndarray  # DATE_DTYPE

    @classmethod
    def none(cls, rows: int) -> IdFacts:
        """No facts for any of `rows` rows (no ID, or none of the canonical shape)."""
        return cls(np.full(rows, -1, dtype=np.int8), np.full(rows, np.datetime64("NaT"), dtype=DATE_DTYPE))

    def rows(self, start: int, stop: int) -> IdFacts:
        return IdFacts(self.gender_codes[start:stop], self.birth_dates[start:stop])


@dataclass(frozen=True)
class Context:
    """What a normaliser needs to know besides the column: the extract date and the file format.

    `extract_date` is one date for a column of one file, or a datetime64[D] array with each
    row's own date when the column stacks the rows of several files of a feed (one call
    for a gate group of small files: pandas' cost per call, not per row, dominated them).
    It is None where a normaliser sees distinct values rather than rows (`normalise_column`),
    so a normaliser that reads it there fails loudly instead of pairing dates with the wrong
    values; only the ID normaliser reads it, and it always sees rows (ALWAYS_VECTORISED).
    """

    extract_date: dt.date | np.ndarray | None
    file_format: str  # csv | xlsx | json | jsonl


def folded(raw: pd.Series) -> pd.Series:
    """NFKC (full-width digits, letters, brackets to half-width) and trimmed; '' -> null.

    Why not `str.normalize` on the whole column: pandas calls unicodedata once per cell
    (a fifth of a large file's ingestion CPU). ASCII text is its own NFKC form, so one
    vectorised Arrow check leaves out IDs, dates, codes and amounts, and each distinct
    non-ASCII text (names, labels: few distinct values) is normalised once.
    """
    text = raw.astype("str")
    is_ascii = pc.fill_null(pc.string_is_ascii(pa.array(text, type=pa.string(), from_pandas=True)), True)
    keep = pd.Series(np.asarray(is_ascii), index=text.index)
    if not keep.all():
        other = text[~keep]
        forms = {value: unicodedata.normalize("NFKC", value) for value in other.dropna().unique()}
        text = text.where(keep, other.map(forms))
    text = text.str.strip()
    return text.mask(text == "")


def upper(text: pd.Series) -> pd.Series:
    """`str.upper()`, by Arrow's ASCII kernel when every text is ASCII (IDs, codes: the usual case).

    The same result there (checked on every ASCII character), at a tenth of the Unicode
    kernel's CPU; other text keeps pandas' Unicode upper-casing.
    """
    arrow = pa.array(text, type=pa.string(), from_pandas=True)
    if not pc.all(pc.string_is_ascii(arrow)).as_py():
        return text.str.upper()
    return pd.Series(pc.ascii_upper(arrow).to_pandas(types_mapper=STR_TYPES.get).array, index=text.index,
                     dtype="str")


_UNNAMED_GROUP = re.compile(r"(?<!\\)\((?!\?)")


def extract(text: pd.Series, pattern: str) -> pd.DataFrame:
    """`Series.str.extract(pattern)` by Arrow's RE2 engine, vectorised (pandas runs `re` per cell).

    Columns 0..k-1, one per group; a row that does not match is all null. A group that
    matched nothing or took no part in the match is '' (RE2 does not tell the two apart:
    every caller reads '' and null alike for optional groups). `\\d` is ASCII digits only.
    """
    groups = iter(range(1000))
    named = _UNNAMED_GROUP.sub(lambda _: f"(?P<g{next(groups)}>", pattern)
    arrow = pa.array(text, type=pa.string(), from_pandas=True)
    if isinstance(arrow, pa.ChunkedArray):
        arrow = arrow.combine_chunks()
    found = pc.extract_regex(arrow, named)
    columns = {}
    for number in range(found.type.num_fields):
        field = pc.struct_field(found, [number])
        values = field.to_pandas(types_mapper=STR_TYPES.get).array  # .array: no reindexing
        columns[number] = pd.Series(values, index=text.index, dtype="str")
    return pd.DataFrame(columns, index=text.index)


def _errors_where(mask: pd.Series, text: str, index: pd.Index) -> pd.Series:
    errors = no_texts(index)
    return errors.mask(mask.fillna(False).astype(bool), text)


def _numbers(part: pd.Series) -> np.ndarray:
    """Whole-number parts (digit text from `extract`, or numbers) as float64, NaN where null or ''."""
    if not isinstance(part.dtype, pd.StringDtype):
        return part.to_numpy(dtype="float64", na_value=np.nan)
    arrow = pa.array(part, type=pa.string(), from_pandas=True)
    arrow = pc.if_else(pc.equal(arrow, ""), pa.scalar(None, pa.string()), arrow)
    return arrow.cast(pa.int64()).to_numpy(zero_copy_only=False).astype("float64")


#: Dates, months and timestamps are held in seconds, not pandas' default nanoseconds: a
#: datetime64[ns] ends on 2262-04-11, and departments write 9999-12-31 for "no end" (a
#: permanent certificate's 有效期至), a real ISO date the contract accepts. Seconds hold
#: every year 1..9999. Every dated column of a gate frame has this unit: pandas compares and
#: takes row maxima across units by converting to nanoseconds, which overflows for such dates.
DATE_DTYPE = "datetime64[s]"


def _ymd(year: pd.Series, month: pd.Series, day: pd.Series) -> pd.Series:
    """Build dates from numeric parts; impossible dates (2月30日, year 0) become NaT.

    Calendar arithmetic in numpy (`_calendar_dates`), not `pd.to_datetime` of a frame of
    parts (which went through Python objects, and raised OutOfBoundsDatetime beyond 2262).
    """
    numbers = np.column_stack([_numbers(year), _numbers(month), _numbers(day)])
    ok = ~np.isnan(numbers).any(axis=1)
    out = np.full(len(year), np.datetime64("NaT"), dtype=DATE_DTYPE)
    if ok.any():
        whole = numbers[ok].astype(np.int64)
        out[ok] = _calendar_dates(whole[:, 0], whole[:, 1], whole[:, 2])
    return pd.Series(out, index=year.index)


def parse_dates(text: pd.Series, file_format: str) -> pd.Series:
    """Every accepted date form -> datetime64 (NaT where the text is not a real date).

    A form is tried only where it can match: a separated form when some cell holds its
    separator (`_extractions`), the compact form when some cell is still not a date.
    """
    result = pd.Series(pd.NaT, index=text.index, dtype=DATE_DTYPE)
    for parts in _extractions(text, SEPARATED_DATE_FORMS, MIDNIGHT):
        result = _dates_put(parts, parts[2], result)
    if (text.notna() & result.isna()).any():
        parts = extract(text, f"^{COMPACT_DATE_FORM}$")
        result = _dates_put(parts, parts[2], result)
    if file_format == "xlsx":
        serial = pd.to_numeric(text.where(text.str.fullmatch(r"\d{1,5}(?:\.0+)?").fillna(False)),
                               errors="coerce")
        low, high = EXCEL_SERIAL_RANGE
        serial = serial.where((serial >= low) & (serial <= high))
        from_serial = (EXCEL_EPOCH + pd.to_timedelta(serial, unit="D")).astype(DATE_DTYPE)
        result = result.fillna(from_serial)
    return result


def _extractions(text: pd.Series, forms: dict[str, str], tail: str) -> list[pd.DataFrame]:
    """`extract` of `^<form><tail>$` for each of `forms` whose separator some cell holds.

    Why the separator first: a substring search costs a tenth of a regex extraction, which
    costs as much when nothing matches; a column holds one form as a rule.
    """
    arrow = pa.array(text, type=pa.string(), from_pandas=True)
    return [extract(text, f"^{form}{tail}$") for separator, form in forms.items()
            if pc.any(pc.match_substring(arrow, separator)).as_py()]


def _dates_put(parts: pd.DataFrame, day: pd.Series, result: pd.Series) -> pd.Series:
    """`result` with the dates of the rows `parts` matched (year and month groups 0, 1; `day`) put in."""
    found = parts[0].notna()
    return result.mask(found, _ymd(parts[0], parts[1], day)) if found.any() else result


def normalise_date(raw: pd.Series, column: Column, ctx: Context) -> Normalised:
    text = folded(raw)
    values = parse_dates(text, ctx.file_format)
    bad = text.notna() & values.isna()
    return Normalised(values, _errors_where(bad, "not a valid date", text.index))


def normalise_month(raw: pd.Series, column: Column, ctx: Context) -> Normalised:
    text = folded(raw)
    values = pd.Series(pd.NaT, index=text.index, dtype=DATE_DTYPE)
    first = pd.Series(1, index=text.index)
    for parts in _extractions(text, SEPARATED_MONTH_FORMS, ""):
        values = _dates_put(parts, first, values)
    if (text.notna() & values.isna()).any():
        values = _dates_put(extract(text, f"^{COMPACT_MONTH_FORM}$"), first, values)
    # A full date on the first of a month (an .xlsx date cell) is a month too.
    as_date = parse_dates(text.where(values.isna()), ctx.file_format)
    values = values.fillna(as_date.where(as_date.dt.day == 1))
    bad = text.notna() & values.isna()
    return Normalised(values, _errors_where(bad, "not a valid month", text.index))


def normalise_timestamp(raw: pd.Series, column: Column, ctx: Context) -> Normalised:
    text = folded(raw)
    found = _extractions(text, SEPARATED_DATE_FORMS, TIME_OF_DAY)
    if not found:  # no cell holds a date separator: none is a timestamp
        found = [pd.DataFrame(None, index=text.index, columns=range(6), dtype="str")]
    parts = functools.reduce(pd.DataFrame.fillna, found)  # the forms exclude each other
    day = _ymd(parts[0], parts[1], parts[2])
    hours = pd.to_numeric(parts[3], errors="coerce").fillna(0)
    minutes = pd.to_numeric(parts[4], errors="coerce").fillna(0)
    seconds = pd.to_numeric(parts[5], errors="coerce").fillna(0)
    in_range = (hours < 24) & (minutes < 60) & (seconds < 60)
    offset = pd.to_timedelta(hours * 3600 + minutes * 60 + seconds, unit="s").astype("timedelta64[s]")
    values = (day + offset).where(in_range).astype(DATE_DTYPE)
    bad = text.notna() & values.isna()
    return Normalised(values, _errors_where(bad, "not a valid timestamp", text.index))


def _without_currency(text: pd.Series) -> pd.Series:
    """A trailing currency word (元, 人民币, RMB, CNY: any case) and the spaces before it removed.

    pandas runs a case-insensitive regex in Python, cell by cell (two thirds of a money
    column's CPU), so it runs only on the cells that could end with a word: not those
    made of digits and . , + - alone, which an Arrow regex finds at once.
    """
    arrow = pa.array(text, type=pa.string(), from_pandas=True)
    plain = pc.fill_null(pc.match_substring_regex(arrow, r"^[0-9.,+-]*$"), True)
    worded = ~plain.to_numpy(zero_copy_only=False)
    if not worded.any():
        return text
    other = text[worded].str.replace(r"\s*(元|人民币|rmb|cny)$", "", regex=True, case=False)
    return text.mask(pd.Series(worded, index=text.index), other)


def normalise_money(raw: pd.Series, column: Column, ctx: Context) -> Normalised:
    """Money as canonical decimal text with 2 places ('1234.50'), kept exact for Parquet."""
    text = folded(raw)
    cleaned = _without_currency(text)
    grouped = cleaned.str.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?").fillna(False)
    cleaned = cleaned.where(~grouped, cleaned.str.replace(",", "", regex=False))
    parts = extract(cleaned, r"^([+-]?)(\d+)(?:\.(\d*))?$")
    sign, whole, frac = parts[0], parts[1], parts[2].fillna("")
    frac_extra = frac.str.slice(2).str.strip("0")
    readable = whole.notna() & (frac_extra.fillna("") == "")
    too_big = whole.str.lstrip("0").str.len() > 12
    ok = readable & ~too_big.fillna(False)
    canonical = (sign.replace("+", "") + whole.str.lstrip("0").replace("", "0") + "."
                 + frac.str.slice(0, 2).str.pad(2, side="right", fillchar="0"))
    canonical = canonical.where(ok)
    canonical = canonical.replace({"-0.00": "0.00"})
    errors = _errors_where(text.notna() & ~ok, "not a valid amount", text.index)
    return Normalised(canonical, errors)


def money_cents(values: pd.Series) -> pd.Series:
    """Canonical money text -> integer cents (nullable), for exact cross-column sums."""
    digits = text_series(values).str.replace(".", "", regex=False)
    return pd.to_numeric(digits, errors="coerce").astype("Int64")


def normalise_integer(raw: pd.Series, column: Column, ctx: Context) -> Normalised:
    text = folded(raw)
    good = text.str.fullmatch(r"[+-]?\d{1,15}(?:\.0+)?").fillna(False)
    values = pd.to_numeric(text.where(good), errors="coerce").astype("Int64")
    return Normalised(values, _errors_where(text.notna() & ~good, "not a whole number", text.index))


def normalise_decimal(raw: pd.Series, column: Column, ctx: Context) -> Normalised:
    text = folded(raw)
    good = text.str.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)").fillna(False)
    values = pd.to_numeric(text.where(good), errors="coerce").astype("float64")
    return Normalised(values, _errors_where(text.notna() & ~good, "not a number", text.index))


def normalise_bool(raw: pd.Series, column: Column, ctx: Context) -> Normalised:
    text = folded(raw).str.lower()
    mapping = {w: True for w in TRUE_WORDS} | {w: False for w in FALSE_WORDS}
    values = text.map(mapping).astype("boolean")
    bad = text.notna() & values.isna()
    return Normalised(values, _errors_where(bad, "not a yes/no value", text.index))


def normalise_enum(raw: pd.Series, column: Column, ctx: Context) -> Normalised:
    """Label or code -> code; anything else is kept as given for the gate's value-set check."""
    text = folded(raw)
    lookup = {k: v for k, v in column.values.items()}
    lookup |= {k.lower(): v for k, v in column.values.items()}
    lookup |= {code: code for code in column.codes} | {code.lower(): code for code in column.codes}
    mapped = text.map(lookup)
    mapped = mapped.fillna(text.str.lower().map(lookup))
    values = mapped.fillna(text).astype("str")
    return Normalised(values, no_texts(text.index))


def normalise_region_code(raw: pd.Series, column: Column, ctx: Context) -> Normalised:
    text = folded(raw)
    length = text.str.len()
    good = text.str.fullmatch(r"\d+").fillna(False) & (length >= column.digits) & (
        length <= column.keep_digits)
    values = text.where(good).str.pad(column.keep_digits, side="right", fillchar="0")
    if column.digits == column.keep_digits:
        expected = f"{column.digits} digits"
    else:
        expected = f"{column.digits} to {column.keep_digits} digits"
    errors = _errors_where(text.notna() & ~good, f"not a region code of {expected}", text.index)
    return Normalised(values, errors)


def normalise_text(raw: pd.Series, column: Column, ctx: Context) -> Normalised:
    text = raw.astype("str").str.strip()
    return Normalised(text.mask(text == ""), no_texts(text.index))


def normalise_credit_code(raw: pd.Series, column: Column, ctx: Context) -> Normalised:
    text = upper(folded(raw))
    valid = {code: uscc.is_valid(code) for code in text.dropna().unique()}
    good = text.map(valid).fillna(False).astype(bool)
    errors = _errors_where(text.notna() & ~good, "invalid unified social credit code", text.index)
    return Normalised(text.where(good), errors)


def upgrade_15_digit_ids(text: pd.Series) -> pd.Series:
    """A 15-digit pre-1999 ID -> 18 digits: insert '19' before the year, append the check digit."""
    short = pd.Series(digit_shape(text, 15), index=text.index)
    if not short.any():
        return text
    body = text[short].str.slice(0, 6) + "19" + text[short].str.slice(6)
    upgraded = body + pd.Series(check_digits(body), index=body.index, dtype="str")
    return text.mask(short, upgraded)


def _digit_matrix(ids: pd.Series) -> np.ndarray:
    """Equal-length ASCII texts -> an (n, width) uint8 matrix of their bytes, without Python objects.

    Why: the ID checks (shape, birth date, check digit) are arithmetic on the digits; one
    copy of Arrow's contiguous character buffer does what a Python call per row did.
    """
    arrow = pa.array(ids, type=pa.string(), from_pandas=True)
    if isinstance(arrow, pa.ChunkedArray):
        arrow = arrow.combine_chunks()
    if len(arrow) == 0:
        return np.zeros((0, 18), dtype=np.uint8)
    width = len(ids.iloc[0])
    offsets = np.frombuffer(arrow.buffers()[1], dtype=np.int32)[arrow.offset:arrow.offset + len(arrow) + 1]
    chars = np.frombuffer(arrow.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]]
    return chars.reshape(len(arrow), width)


def digit_shape(text: pd.Series, digits: int, check_char: bool = False) -> np.ndarray:
    """Per row, whether the text is exactly `digits` ASCII digits (then a digit or X, with `check_char`).

    What `str.fullmatch(r"\\d{15}")` / `(r"\\d{17}[\\dX]")` meant, by Arrow kernels on lengths and
    bytes (the regex cost ~18 ms per 261k IDs, and an ID column was matched three times).
    Unlike pandas' fullmatch, `\\d` here is ASCII only: an ID with an Arabic-Indic digit
    used to pass the shape check and then raise a ValueError in `_digit_matrix` (`aidwatch
    ingest` stopped with a traceback); it is now a cell error like any ID of the wrong shape.
    """
    arrow = pa.array(text, type=pa.string(), from_pandas=True)
    if isinstance(arrow, pa.ChunkedArray):
        arrow = arrow.combine_chunks()
    width = digits + int(check_char)
    lengths = pc.fill_null(pc.binary_length(arrow), 0).to_numpy(zero_copy_only=False)
    shaped = lengths == width  # bytes: a non-ASCII character makes the text longer than its characters
    if not shaped.any():
        return shaped
    body = pc.ascii_is_decimal(pc.utf8_slice_codeunits(arrow, 0, digits))
    shaped &= pc.fill_null(body, False).to_numpy(zero_copy_only=False)
    if check_char and shaped.any():
        rows = np.flatnonzero(shaped)
        ends = np.frombuffer(arrow.buffers()[1], dtype=np.int32)[arrow.offset + 1:][rows]
        last = np.frombuffer(arrow.buffers()[2], dtype=np.uint8)[ends - 1]
        shaped[rows] = ((last >= ord("0")) & (last <= ord("9"))) | (last == ord("X"))
    return shaped


def _calendar_dates(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """datetime64[D] of numeric parts, NaT where the date does not exist (year 1..9999, as pandas).

    Days since 1970 by the civil-calendar formula (H. Hinnant's days_from_civil) in plain
    integer arithmetic: numpy's month -> day datetime casts cost more than the rest of
    the ID checks together.
    """
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    last = _MONTH_DAYS[np.clip(month, 0, 12)] + (leap & (month == 2))
    real = (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= last)
    y = year - (month <= 2)
    era = y // 400
    year_of_era = y - era * 400
    day_of_year = (153 * np.where(month > 2, month - 3, month + 9) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    days = (era * 146097 + day_of_era - 719468).astype(np.int64)
    days[~real] = np.iinfo(np.int64).min  # NaT
    return days.view("datetime64[D]")


_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int32)


def _weighted(matrix: np.ndarray, columns: range, weights: list[int] | np.ndarray) -> np.ndarray:
    """Sum of (digit * weight) over some columns of an ASCII digit matrix, column by column.

    Why not one matrix product: an (n, 17) int64 copy of the digits is ~35 MB per 260k IDs,
    and fresh memory (page faults) cost more than the arithmetic.
    """
    total = np.zeros(len(matrix), dtype=np.int32)
    for column, weight in zip(columns, weights, strict=True):
        total += (matrix[:, column].astype(np.int32) - ord("0")) * int(weight)
    return total


def _id_parts(ids: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For canonical-shape IDs (17 digits + digit/X): byte matrix, birth date (NaT if unreal), check char."""
    matrix = _digit_matrix(ids)
    year = _weighted(matrix, range(6, 10), [1000, 100, 10, 1])
    month = _weighted(matrix, range(10, 12), [10, 1])
    day = _weighted(matrix, range(12, 14), [10, 1])
    birth = _calendar_dates(year, month, day)
    check = _ID_CHECK_BYTES[_weighted(matrix, range(17), _ID_WEIGHTS) % 11]
    return matrix, birth, check


def id_number_errors(ids: pd.Series, extract_date: dt.date | np.ndarray) -> pd.Series:
    """Why each canonical-form ID is invalid (null when valid), per the rule of feeds.md.

    `extract_date`: the file's date, or each row's (a datetime64[D] array, rows of several files).

    Never checks the first six digits: IDs carry the county of first registration,
    anywhere in China and possibly retired since. Vectorised over the digit matrix
    (`_id_parts`); the check digit equals `stdnum.cn.ric.calc_check_digit` (tested).
    """
    return _checked_ids(ids, extract_date)[0]


def _checked_ids(ids: pd.Series, extract_date: dt.date | np.ndarray) -> tuple[pd.Series, IdFacts]:
    """`id_number_errors` and the facts of the valid IDs (`IdFacts`), from one reading of the digits."""
    errors = no_texts(ids.index)
    shaped = pd.Series(digit_shape(ids, 17, check_char=True), index=ids.index)
    errors = errors.mask(ids.notna() & ~shaped, "ID number must be 17 digits and a digit or X")
    if not shaped.any():
        return errors, IdFacts.none(len(ids))
    matrix, birth, check = _id_parts(ids[shaped])
    unreal = np.isnat(birth)
    if isinstance(extract_date, np.ndarray):
        limit = extract_date.astype("datetime64[D]")[shaped.to_numpy()]
    elif isinstance(extract_date, dt.date):
        limit = np.datetime64(extract_date, "D")
    else:
        raise TypeError(f"ID numbers need the extract date of their rows, not {extract_date!r}")
    late = ~unreal & (birth > limit)
    wrong = ~unreal & ~late & (matrix[:, 17] != check)
    bad = unreal | late | wrong
    facts = _valid_id_facts(matrix, birth, bad, shaped.to_numpy())
    if not bad.any():
        return errors, facts
    reasons = np.select([unreal[bad], late[bad]],
                        ["ID number birth date is not a real date",
                         "ID number birth date is after the extract date"],
                        default="ID number check digit is wrong").astype(object)
    found = pd.Series(reasons, index=ids.index[shaped.to_numpy()][bad], dtype="str")
    return errors.fillna(found.reindex(ids.index)), facts


def _valid_id_facts(matrix: np.ndarray, birth: np.ndarray, bad: np.ndarray, shaped: np.ndarray) -> IdFacts:
    """`IdFacts` of every row from the digits of its shaped IDs (`bad`: those found invalid).

    Whole-column operations, no boolean-indexed copies: every ID column pays for this, though
    only a feed with an `agrees_with_id` check reads it (~1 ms per 400,000 IDs).
    """
    genders = ((matrix[:, 16] - ord("0")) % 2).astype(np.int8)  # 1 = odd = M
    genders[bad] = -1
    births = birth.astype(DATE_DTYPE)  # a copy, in the unit the gate frame holds dates in
    births[bad] = np.datetime64("NaT")
    if shaped.all():
        return IdFacts(genders, births)
    every_row = IdFacts.none(len(shaped))
    every_row.gender_codes[shaped], every_row.birth_dates[shaped] = genders, births
    return every_row


#: ISO 7064 MOD 11-2 weights of the 17 body digits (GB 11643), and the digit for each remainder.
_ID_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)
_ID_CHECK = np.array(list("10X98765432"), dtype=object)
_ID_CHECK_BYTES = np.frombuffer(b"10X98765432", dtype=np.uint8)


def check_digits(bodies: pd.Series) -> np.ndarray:
    """Check digits of 17-digit ID bodies, vectorised.

    The same sum as `stdnum.cn.ric.calc_check_digit` (tests compare the two on thousands
    of IDs), computed as one matrix product instead of a Python call per row.
    """
    if bodies.empty:
        return np.array([], dtype=object)
    return _ID_CHECK[_weighted(_digit_matrix(bodies), range(17), _ID_WEIGHTS) % 11]


def normalise_id_number(raw: pd.Series, column: Column, ctx: Context) -> Normalised:
    text = upper(folded(raw))
    text = upgrade_15_digit_ids(text)
    errors, facts = _checked_ids(text, ctx.extract_date)
    return Normalised(text.where(errors.isna()), errors, facts)


NORMALISERS: dict[str, Callable[[pd.Series, Column, Context], Normalised]] = {
    "text": normalise_text,
    "id_number": normalise_id_number,
    "date": normalise_date,
    "month": normalise_month,
    "money": normalise_money,
    "region_code": normalise_region_code,
    "bool": normalise_bool,
    "enum": normalise_enum,
    "integer": normalise_integer,
    "decimal": normalise_decimal,
    "timestamp": normalise_timestamp,
    "credit_code": normalise_credit_code,
}


#: Types whose normaliser is all Arrow/numpy work: running it per distinct value saves nothing.
ALWAYS_VECTORISED = frozenset({"text", "id_number"})
#: Below this share of distinct values a column is normalised per distinct value.
DISTINCT_SHARE = 0.7
#: Rows looked at to tell a column of mostly distinct values (IDs, names, row numbers); also landing's.
SAMPLE_ROWS = 5000
#: At or above this share of distinct values among the first SAMPLE_ROWS a large column is
#: taken for one without repeats and normalised whole. Why not DISTINCT_SHARE: a sample is
#: mostly distinct even for a column of tens of thousands of distinct values over hundreds of
#: thousands of rows (birth dates: 30,638 in a 261,371-row hukou file, 0.91 of the sample;
#: a parcel's area: 9,995 in 87,284 rows, 0.78), where normalising each distinct value once
#: costs a third to a half as much. Amounts of a settlement file (52,000-55,000 distinct in
#: 58,126 rows) show 0.99-0.997, and gain nothing (docs/performance.md).
SAMPLE_DISTINCT_SHARE = 0.95


def _mostly_distinct(raw: pd.Series) -> bool:
    """A cheap look at the first rows: factorising a column of IDs costs more than it saves."""
    if len(raw) <= 4 * SAMPLE_ROWS:
        return False
    head = raw.iloc[:SAMPLE_ROWS]
    return head.nunique(dropna=False) >= SAMPLE_DISTINCT_SHARE * len(head)


def normalise_column(raw: pd.Series, column: Column, ctx: Context) -> Normalised:
    """Normalise one contract column of raw text by its contract type.

    Every normaliser is a function of the cell alone, so it runs once per distinct value
    and the result is spread back to the rows: a month's roll repeats the same dates,
    codes and amounts thousands of times. Text results come back as a pandas Categorical
    (`_spread`): the gate frame's consumers (GX filters the whole frame once per metric)
    then move one small integer per row instead of copying every string.
    """
    normaliser = NORMALISERS[column.type]
    if column.type in ALWAYS_VECTORISED or _mostly_distinct(raw):
        return normaliser(raw, column, ctx)
    codes, uniques = dictionary_codes(raw)
    if len(uniques) >= DISTINCT_SHARE * len(raw):
        return normaliser(raw, column, ctx)
    # One trailing null so that a null cell (code -1) takes a null.
    distinct = pd.Series(pa.concat_arrays([uniques, pa.nulls(1, pa.string())])
                         .to_pandas(types_mapper=STR_TYPES.get).array, dtype="str")
    per_row = isinstance(ctx.extract_date, np.ndarray)
    result = normaliser(distinct, column, replace(ctx, extract_date=None) if per_row else ctx)
    positions = np.where(codes < 0, len(distinct) - 1, codes)
    return Normalised(_spread(result.values, positions, raw.index),
                      _spread(result.errors, positions, raw.index))


def dictionary_codes(raw: pd.Series) -> tuple[np.ndarray, pa.Array]:
    """Per row, the position of its text among the column's distinct texts (-1 for null); those texts.

    Arrow's `dictionary_encode` on the column's own buffers: pandas' factorize of an
    Arrow-backed column cost a third more.
    """
    arrow = pa.array(raw, type=pa.string(), from_pandas=True)
    if isinstance(arrow, pa.ChunkedArray):
        arrow = arrow.combine_chunks()
    encoded = pc.dictionary_encode(arrow)
    codes = encoded.indices.to_numpy(zero_copy_only=False) if encoded.null_count == 0 else \
        pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    return codes.astype(np.int64, copy=False), encoded.dictionary


def _spread(values: pd.Series, positions: np.ndarray, index: pd.Index) -> pd.Series:
    """The per-distinct results `values` spread to the rows at `positions`.

    Text becomes a Categorical of the distinct results (two raw spellings of one value
    share a category; null results are missing codes); other types are taken by numpy.
    """
    if isinstance(values.dtype, pd.StringDtype):
        result_codes, categories = pd.factorize(values, use_na_sentinel=True)
        categories = pd.Index(np.asarray(categories, dtype=object), dtype="str")
        spread = pd.Categorical.from_codes(result_codes[positions], categories=categories)
        return pd.Series(spread, index=index)
    taken = values.take(positions)
    taken.index = index
    return taken


def text_array(values: pd.Series) -> pa.Array:
    """A normalised text column (Arrow-backed str or a `_spread` Categorical) as an Arrow string array."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        dictionary = pa.array(values.cat.categories.to_numpy(dtype=object), type=pa.string())
        return dictionary.take(pa.array(codes, mask=codes < 0))
    return pa.array(values, type=pa.string(), from_pandas=True)


def text_series(values: pd.Series) -> pd.Series:
    """A normalised text column as a plain str Series (for text operations a Categorical lacks)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return pd.Series(text_array(values).to_pandas(types_mapper=STR_TYPES.get).array,
                         index=values.index, dtype="str")
    return values


def id_facts(ids: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Gender code (17th digit odd = M) and birth date implied by canonical IDs, in one pass.

    Null / NaT where the ID is null or not of the canonical shape (or its date is not real).
    """
    shaped = digit_shape(ids, 17, check_char=True)
    if not shaped.any():
        return id_fact_series(IdFacts.none(len(ids)), ids.index)
    matrix, birth, _ = _id_parts(ids[shaped])
    return id_fact_series(_valid_id_facts(matrix, birth, np.zeros(len(birth), dtype=bool), shaped), ids.index)


#: The gender an ID's code stands for (`IdFacts.gender_codes`: 0, 1).
ID_GENDERS = ("F", "M")


def id_fact_series(facts: IdFacts, index: pd.Index, gender_categories: pd.Index | None = None,
                   ) -> tuple[pd.Series, pd.Series]:
    """`IdFacts` as the gate's columns: gender "M"/"F" (null: none) and birth date (NaT: none).

    `gender_categories` (holding "F" and "M"): the gender as a Categorical of these categories
    instead of text, made from the codes without reading any text.
    """
    codes = facts.gender_codes
    if gender_categories is not None:
        positions = gender_categories.get_indexer(list(ID_GENDERS))
        spread = np.where(codes < 0, -1, positions[np.clip(codes, 0, 1)])
        gender = pd.Series(pd.Categorical.from_codes(spread, dtype=pd.CategoricalDtype(gender_categories)),
                           index=index)
        return gender, pd.Series(facts.birth_dates, index=index)
    genders = pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes < 0), pa.array(list(ID_GENDERS)))
    gender = pd.Series(genders.cast(pa.string()).to_pandas(types_mapper=STR_TYPES.get).array,
                       index=index, dtype="str")
    return gender, pd.Series(facts.birth_dates, index=index)


#: Arrow strings -> pandas' default "str" dtype without Python objects.
STR_TYPES = {pa.string(): pd.StringDtype("pyarrow", na_value=np.nan)}


def no_texts(index: pd.Index) -> pd.Series:
    """A "str" Series of nulls on `index`: the error column of cells that have none.

    Why not `pd.Series(None, index=index, dtype="str")`: pandas repeats a scalar null through
    Arrow's `take`, ~3 ms per 261k rows, and the ingestion of one file asked for several such
    columns (every column's errors, the row problems, the joined reasons). Arrow's own null
    array is the same Series in an eighth of the time.
    """
    nulls = pa.nulls(len(index), pa.string()).to_pandas(types_mapper=STR_TYPES.get)
    return pd.Series(nulls.array, index=index, dtype="str")
