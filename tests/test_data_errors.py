"""Bad input: every kind is a DataError naming the file, the line, the model and the column."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from csvfiles import (
    DAYS,
    Table,
    default_snapshot,
    download_table,
    finetune_table,
    write_snapshot,
)

import bayesgrowth as bg
from bayesgrowth.errors import DataError


def load(root: Path) -> bg.Panel:
    return bg.load_panel(root)


def snapshot_with(tmp_path: Path, kind: str, table: Table) -> tuple[Path, Path]:
    """A snapshot where ``kind`` ('finetune' or 'download') is ``table``; returns (root, file)."""
    ft = {"ACME": table if kind == "finetune" else finetune_table()}
    dl = {"ACME": table if kind == "download" else download_table()}
    root = write_snapshot(tmp_path / "snap", ft, dl)
    return root, root / kind / "ACME.csv"


def assert_names(exc: DataError, file: Path, line: int | None, model=None, column=None) -> None:
    """The message (and the attributes) name the file, line, model and column."""
    msg = str(exc)
    assert str(file) in msg and exc.file == str(file)
    if line is not None:
        assert re.search(rf"\bline {line}\b", msg), msg
        assert exc.row == line
    if model is not None:
        assert f"model {model!r}" in msg, msg
        assert exc.model == model
    if column is not None:
        assert f"column {column!r}" in msg, msg
        assert exc.column == column


# (id, file kind, model, column, bad value, what the message says)
BAD_CELLS = [
    ("non-numeric", "finetune", "acme/alpha", "2-month", "many", "'many' is not a number"),
    ("non-numeric-download", "download", "acme/gamma", DAYS[5], "12k", "'12k' is not a number"),
    ("negative", "download", "acme/alpha", DAYS[0], "-5.0", "'-5.0' is negative"),
    ("negative-finetune", "finetune", "acme/beta", "3-month", "-1", "is negative"),
    ("fractional", "finetune", "acme/alpha", "2-month", "4.5", "'4.5' is not a whole number"),
    ("fractional-download", "download", "acme/gamma", DAYS[4], "7.25", "is not a whole number"),
    ("inf", "download", "acme/alpha", DAYS[3], "inf", "'inf' is not finite"),
    ("minus-inf", "finetune", "acme/alpha", "1-month", "-inf", "is not finite"),
    ("nan-text", "finetune", "acme/alpha", "3-month", "NaN", "'NaN' is not a number"),
    ("na-text", "download", "acme/gamma", DAYS[8], "NA", "'NA' is not a number"),
    ("decreasing", "finetune", "acme/alpha", "3-month", "4.0", "decreases from 5 to 4"),
    ("decreasing-download", "download", "acme/alpha", DAYS[6], "35.0", "decreases from 50 to 35"),
    ("month-0-nonzero", "finetune", "acme/alpha", "0-month", "2", "month 0"),
    ("missing-created", "finetune", "acme/beta", "created_at", "", "missing created_at"),
    ("missing-created-dl", "download", "acme/gamma", "created_at", "", "missing created_at"),
    (
        "unparseable-created",
        "download",
        "acme/gamma",
        "created_at",
        "last tuesday",
        "unparseable created_at 'last tuesday'",
    ),
    (
        "unparseable-created-ft",
        "finetune",
        "acme/alpha",
        "created_at",
        "2024-13-45",
        "unparseable created_at",
    ),
    ("created-at-epoch", "finetune", "acme/alpha", "created_at", "1970-01-01", "before 2016-01-01"),
    (
        "created-year-one",
        "download",
        "acme/gamma",
        "created_at",
        "0001-01-01",
        "'0001-01-01' is before",
    ),
    ("created-month-name", "finetune", "acme/beta", "created_at", "Feb", "created_at 'Feb'"),
    (
        "created-day-month-order",  # 5 June or May 6: read as one of them, silently, before
        "finetune",
        "acme/alpha",
        "created_at",
        "05/06/2024 10:00",
        "unparseable created_at '05/06/2024 10:00': write an ISO 8601 time",
    ),
    (
        "created-month-only",  # read as the 1st of the month before
        "download",
        "acme/gamma",
        "created_at",
        "2025-02",
        "unparseable created_at '2025-02'",
    ),
    (
        "created-after-data-date",
        "finetune",
        "acme/beta",
        "created_at",
        "2025-03-01 00:00:00+00:00",
        "after the data date 2025-02-18",
    ),
    (
        "created-after-data-date-dl",
        "download",
        "acme/alpha",
        "created_at",
        "2025-02-20 10:00:00+00:00",
        "after the data date 2025-02-18",
    ),
]


@pytest.mark.parametrize(
    "kind, model, column, value, says", [c[1:] for c in BAD_CELLS], ids=[c[0] for c in BAD_CELLS]
)
def test_bad_cell_names_file_line_model_column(tmp_path, kind, model, column, value, says):
    table = finetune_table() if kind == "finetune" else download_table()
    table.set(model, column, value)
    root, file = snapshot_with(tmp_path, kind, table)
    with pytest.raises(DataError) as err:
        load(root)
    assert says in str(err.value)
    assert_names(err.value, file, table.line_of(model), model, column)


def test_decrease_after_a_gap_is_still_an_error(tmp_path):
    table = finetune_table(6).set("acme/alpha", "3-month", "").set("acme/alpha", "4-month", "4.0")
    root, file = snapshot_with(tmp_path, "finetune", table)
    with pytest.raises(DataError, match="decreases from 5 to 4") as err:
        load(root)
    assert_names(err.value, file, 2, "acme/alpha", "4-month")


def test_line_numbers_count_blank_lines(tmp_path):
    table = finetune_table()
    table.rows.insert(1, None)  # a blank line between the two models
    table.set("acme/beta", "2-month", "x")
    assert table.line_of("acme/beta") == 4
    root, file = snapshot_with(tmp_path, "finetune", table)
    with pytest.raises(DataError) as err:
        load(root)
    assert_names(err.value, file, 4, "acme/beta", "2-month")


def test_a_blank_first_line_is_an_error_naming_line_1(tmp_path):
    """pandas would skip it, take the next line for the header and misnumber every line."""
    root, file = snapshot_with(tmp_path, "finetune", finetune_table())
    file.write_text("\n" + file.read_text())
    with pytest.raises(DataError, match="blank: the header must be the first line") as err:
        load(root)
    assert_names(err.value, file, 1)


def test_blank_lines_alone_are_harmless(tmp_path):
    table = finetune_table()
    table.rows[1:1] = [None, None]
    table.rows.append(None)
    root, _ = snapshot_with(tmp_path, "finetune", table)
    panel = load(root)
    assert sorted(panel.metric("finetunes").series["source_row"]) == [2, 5]


def test_series_with_no_counts(tmp_path):
    table = download_table()
    for day in DAYS:
        table.set("acme/gamma", day, "")
    root, file = snapshot_with(tmp_path, "download", table)
    with pytest.raises(DataError, match="no counts at all") as err:
        load(root)
    assert_names(err.value, file, 3, "acme/gamma")


def test_download_series_with_counts_only_before_creation(tmp_path):
    table = download_table()
    for day in DAYS[2:]:
        table.set("acme/gamma", day, "")
    root, file = snapshot_with(tmp_path, "download", table)
    with pytest.raises(DataError, match="no count on or after created_at") as err:
        load(root)
    assert_names(err.value, file, 3, "acme/gamma")


def test_empty_model_id(tmp_path):
    table = finetune_table().copy_row("acme/beta", "acme/zeta").set("acme/zeta", "model", "")
    root, file = snapshot_with(tmp_path, "finetune", table)
    with pytest.raises(DataError, match="empty model id") as err:
        load(root)
    assert_names(err.value, file, 4, column="model")


# --- duplicates ---------------------------------------------------------------------------------


def test_duplicate_model_in_one_file(tmp_path):
    table = finetune_table().copy_row("acme/alpha")
    root, file = snapshot_with(tmp_path, "finetune", table)
    with pytest.raises(DataError, match="duplicate model id in this file") as err:
        load(root)
    assert_names(err.value, file, table.line_of("acme/alpha", 2), "acme/alpha", "model")


def test_duplicate_model_across_two_files(tmp_path):
    other = finetune_table()
    other.rows[0][0] = "other/one"  # OTHER.csv: other/one, then acme/beta again on line 3
    root = write_snapshot(
        tmp_path / "snap", {"ACME": finetune_table(), "OTHER": other}, {"ACME": download_table()}
    )
    with pytest.raises(DataError, match="duplicate model id") as err:
        load(root)
    assert_names(err.value, root / "finetune" / "ACME.csv", 3, "acme/beta")
    assert f"also appears in {root / 'finetune' / 'OTHER.csv'} line 3" in str(err.value)


def test_model_ids_that_differ_in_case_only_are_duplicates(tmp_path):
    """The Hub reads Acme/Alpha as acme/alpha: both rows were loaded, one model counted twice."""
    table = finetune_table().copy_row("acme/alpha", "Acme/Alpha")
    root, file = snapshot_with(tmp_path, "finetune", table)
    with pytest.raises(DataError, match="duplicate model id in this file: line 2 has 'acme/alpha'"):
        load(root)
    other = download_table()
    other.rows = [["ACME/gamma", *other.rows[1][1:]]]  # OTHER.csv: acme/gamma, in capitals
    root = write_snapshot(
        tmp_path / "two", {"ACME": finetune_table()}, {"ACME": download_table(), "OTHER": other}
    )
    with pytest.raises(DataError, match="the same model to the Hub") as err:
        load(root)
    assert_names(err.value, root / "download" / "ACME.csv", 3, "acme/gamma")
    assert f"{root / 'download' / 'OTHER.csv'} line 2 has 'ACME/gamma'" in str(err.value)


def test_same_model_in_both_metrics_is_not_a_duplicate(tmp_path):
    root, _ = snapshot_with(tmp_path, "finetune", finetune_table())
    panel = load(root)
    assert set(panel.series.query("model == 'acme/alpha'")["metric"]) == {"finetunes", "downloads"}


# --- headers and empty files --------------------------------------------------------------------

BAD_HEADERS = [
    (
        "unknown-column",
        "finetune",
        lambda t: t.add_column("notes", "hi", position=3),
        "unexpected column(s) in the header: 'notes'",
    ),
    (
        "unknown-column-after-model",
        "finetune",
        lambda t: t.add_column("notes", "hi", position=1),
        "unexpected column(s) in the header: 'notes'",
    ),
    (
        "unknown-column-download",
        "download",
        lambda t: t.add_column("views", "3"),
        "unexpected column(s) in the header: 'views'",
    ),
    (
        "missing-created-column",
        "finetune",
        lambda t: t.drop_column("created_at"),
        "no 'created_at' column",
    ),
    (
        "missing-created-column-dl",
        "download",
        lambda t: t.drop_column("created_at"),
        "no 'created_at' column",
    ),
    ("first-not-model", "finetune", lambda t: t.rename("model", "id"), "found 'id'"),
    (
        "first-not-model-reordered",
        "download",
        lambda t: (t.drop_column("created_at"), t.add_column("created_at", "2025-02-10", 0)),
        "first column must be 'model', found 'created_at'",
    ),
    ("month-break", "finetune", lambda t: t.drop_column("2-month"), "without a break"),
    ("no-month-0", "finetune", lambda t: t.drop_column("0-month"), "without a break"),
    (
        "no-count-columns",
        "download",
        lambda t: [t.drop_column(d) for d in DAYS],
        "no count columns",
    ),
    (
        "days-out-of-order",
        "download",
        lambda t: (t.rename(DAYS[2], "tmp"), t.rename(DAYS[3], DAYS[2]), t.rename("tmp", DAYS[3])),
        # one of hundreds of day columns: the message named none
        f"column {DAYS[2]!r}: day columns must be distinct and in increasing order: this one "
        f"follows {DAYS[3]!r}",
    ),
    (
        "one-day-in-two-spellings",
        "download",
        lambda t: t.rename(DAYS[3], DAYS[2][:10]),
        f"column {DAYS[2][:10]!r}: day columns must be distinct and in increasing order: this "
        f"one follows {DAYS[2]!r}",
    ),
    (
        "repeated-column",
        "finetune",
        lambda t: t.add_column("created_at", "2024-01-01"),
        "repeats a column name: 'created_at'",
    ),
    (
        "trailing-comma",  # pandas named it 'Unnamed: 6', which the file does not hold
        "finetune",
        lambda t: t.add_column("", ""),
        "column 7 of the header has no name",
    ),
    (
        "unnamed-column-download",
        "download",
        lambda t: t.add_column(" ", "", position=3),
        "column 4 of the header has no name",
    ),
    (
        "spaced-created-column",  # said "the header has no 'created_at' column"
        "download",
        lambda t: t.rename("created_at", "created_at "),
        "the header name 'created_at ' has spaces around it",
    ),
    (
        "impossible-day",
        "download",
        lambda t: t.rename(DAYS[8], "2025-02-31 00:00:00"),
        "'2025-02-31 00:00:00' is not a valid date",
    ),
    (
        "days-with-a-time-zone",  # said "the header has no count columns"
        "download",
        lambda t: [t.rename(d, f"{d}+00:00") for d in DAYS],
        f"column '{DAYS[0]}+00:00': a day column is written YYYY-MM-DD or YYYY-MM-DD 00:00:00",
    ),
    (
        "a-day-with-a-time-of-day",  # said "unexpected column(s) in the header"
        "download",
        lambda t: t.rename(DAYS[3], f"{DAYS[3][:10]}T06:00:00"),
        f"column '{DAYS[3][:10]}T06:00:00': a day column is written YYYY-MM-DD",
    ),
]


@pytest.mark.parametrize(
    "kind, corrupt, says", [c[1:] for c in BAD_HEADERS], ids=[c[0] for c in BAD_HEADERS]
)
def test_bad_header_names_file_and_line_1(tmp_path, kind, corrupt, says):
    table = finetune_table() if kind == "finetune" else download_table()
    corrupt(table)
    root, file = snapshot_with(tmp_path, kind, table)
    with pytest.raises(DataError) as err:
        load(root)
    assert says in str(err.value)
    assert_names(err.value, file, 1)


def test_an_impossible_day_column_is_named_when_only_fine_tunes_are_loaded(tmp_path):
    """The download headers still date the data then; an impossible day among them was skipped
    without a word, so the data could be dated by another column."""
    table = download_table()
    table.rename(DAYS[8], "2025-02-31 00:00:00")
    root, file = snapshot_with(tmp_path, "download", table)
    with pytest.raises(DataError, match="'2025-02-31 00:00:00' is not a valid date") as err:
        bg.load_panel(root, metrics=("finetunes",))
    assert_names(err.value, file, 1, column="2025-02-31 00:00:00")


def test_a_day_column_not_spelt_as_a_day_is_named_when_only_fine_tunes_are_loaded(tmp_path):
    """Skipped, it would leave the data dated by the download file's other columns."""
    table = download_table()
    table.rename(DAYS[8], f"{DAYS[8][:10]} 12:00:00")
    root, file = snapshot_with(tmp_path, "download", table)
    with pytest.raises(DataError, match="a day column is written YYYY-MM-DD") as err:
        bg.load_panel(root, metrics=("finetunes",))
    assert_names(err.value, file, 1, column=f"{DAYS[8][:10]} 12:00:00")


@pytest.mark.parametrize("kind", ["finetune", "download"])
def test_empty_file(tmp_path, kind):
    root, file = snapshot_with(tmp_path, kind, finetune_table())
    file.write_bytes(b"")
    with pytest.raises(DataError, match="the file is empty") as err:
        load(root)
    assert_names(err.value, file, None)


@pytest.mark.parametrize("kind", ["finetune", "download"])
def test_header_only_file(tmp_path, kind):
    table = finetune_table() if kind == "finetune" else download_table()
    table.rows.clear()
    root, file = snapshot_with(tmp_path, kind, table)
    with pytest.raises(DataError, match="header but no rows") as err:
        load(root)
    assert_names(err.value, file, None)


def test_ragged_row_is_a_csv_error_naming_the_line(tmp_path):
    """A long row after the first was pandas' message, broken over two lines."""
    table = finetune_table()
    table.rows[1].append("extra")
    root, file = snapshot_with(tmp_path, "finetune", table)
    with pytest.raises(DataError, match=r"^\S+, line 3: the row has \d+ fields, the header") as err:
        load(root)
    assert_names(err.value, file, 3)
    assert "\n" not in str(err.value)


def test_a_file_not_in_utf8_names_the_line_of_the_first_bad_byte(tmp_path):
    """pandas' message gave the byte's place in the block it was decoding: 'position 20' for a
    byte 300,000 bytes into the file."""
    table = finetune_table().set("acme/beta", "model", "acme/b\xe9ta")
    lines = table.text().encode("latin-1").split(b"\n")
    lines[2:2] = [b""] * 300_000  # blank lines: harmless, but the bad byte is far into the file
    root, file = snapshot_with(tmp_path, "finetune", finetune_table())
    file.write_bytes(b"\n".join(lines))
    with pytest.raises(
        DataError, match=r"not UTF-8 text \(byte 0xe9\): save the file as UTF-8"
    ) as e:
        load(root)
    assert_names(e.value, file, 300_003)


def test_a_quote_left_open_names_the_line_it_opens_on(tmp_path):
    """pandas said 'EOF inside string starting at row 2', counting from 0: line 3 of the file."""
    table = finetune_table()
    table.rows[1][0] = '"' + table.rows[1][0]
    root, file = snapshot_with(tmp_path, "finetune", table)
    with pytest.raises(DataError, match="a quoted cell is still open at the end") as err:
        load(root)
    assert_names(err.value, file, 3)
    table = finetune_table()
    table.header[0] = '"model'
    root, file = snapshot_with(tmp_path / "header", "finetune", table)
    with pytest.raises(DataError, match="a quoted cell is still open at the end") as err:
        load(root)
    assert_names(err.value, file, 1)


def test_no_csv_files(tmp_path):
    (tmp_path / "finetune").mkdir()
    with pytest.raises(DataError, match="no CSV files under"):
        load(tmp_path)


def test_no_csv_files_of_the_metric_asked_for_names_the_one_there(tmp_path):
    root = write_snapshot(tmp_path / "snap", download={"ACME": download_table()})
    with pytest.raises(
        DataError,
        match=r"finetune: .* holds downloads only: load that metric "
        r"\(metrics=\('downloads',\) in Python; --metric downloads in the commands that have",
    ):
        bg.load_panel(root, metrics=("finetunes",))


def test_missing_directory(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load(tmp_path / "nowhere")


def test_unknown_metric_is_named(tmp_path):
    root, _ = snapshot_with(tmp_path, "finetune", finetune_table())
    with pytest.raises(DataError, match=r"unknown metric\(s\) 'finetune'"):
        bg.load_panel(root, metrics=("finetune",))


@pytest.mark.parametrize("kind", ["finetune", "download"])
def test_first_row_one_field_longer_than_the_header(tmp_path, kind):
    # pandas would take the model column as an index and shift every cell one column left.
    table = finetune_table() if kind == "finetune" else download_table()
    table.rows[0].insert(1, "5")
    root, file = snapshot_with(tmp_path, kind, table)
    with pytest.raises(DataError, match=r"the row has (\d+) fields, the header (\d+)") as err:
        load(root)
    assert_names(err.value, file, 2)
    n, width = map(int, re.search(r"has (\d+) fields, the header (\d+)", str(err.value)).groups())
    assert (n, width) == (len(table.header) + 1, len(table.header))


def test_count_too_large_to_hold_exactly(tmp_path):
    table = finetune_table().set("acme/alpha", "3-month", "1e19")
    root, file = snapshot_with(tmp_path, "finetune", table)
    with pytest.raises(DataError, match="'1e19' is too large to be a count") as err:
        load(root)
    assert_names(err.value, file, 2, "acme/alpha", "3-month")


def test_trailing_space_does_not_make_another_model(tmp_path):
    table = finetune_table().copy_row("acme/alpha", "acme/alpha  ")
    root, file = snapshot_with(tmp_path, "finetune", table)
    with pytest.raises(DataError, match="duplicate model id in this file") as err:
        load(root)
    assert_names(err.value, file, 4, "acme/alpha", "model")


def test_a_directory_named_like_a_csv_file(tmp_path):
    root = default_snapshot(tmp_path / "snap")
    (root / "finetune" / "OTHER.csv").mkdir()
    with pytest.raises(DataError, match="is a directory, not a CSV file") as err:
        load(root)
    assert err.value.file == str(root / "finetune" / "OTHER.csv")


def two_organisations(tmp_path: Path) -> Path:
    """The default snapshot plus ``finetune/OTHER.csv`` holding one series, ``other/one``."""
    other = finetune_table()
    other.rows = [other.rows[0]]
    other.rows[0][0] = "other/one"
    return write_snapshot(
        tmp_path / "snap", {"ACME": finetune_table(), "OTHER": other}, {"ACME": download_table()}
    )


def test_upper_case_suffix_is_read_not_skipped(tmp_path):
    root = two_organisations(tmp_path)
    (root / "finetune" / "OTHER.csv").rename(root / "finetune" / "OTHER.CSV")
    panel = load(root)
    assert "other/one" in set(panel.metric("finetunes").series["model"])
    assert panel.report.counts["finetunes.files"] == 2


# --- dates in the future ------------------------------------------------------------------------


def test_download_day_in_the_future(tmp_path):
    table = download_table().rename(DAYS[-1], "2099-01-02 00:00:00")
    root, file = snapshot_with(tmp_path, "download", table)
    with pytest.raises(
        DataError, match="the last download day, 2099-01-02, is in the future"
    ) as err:
        load(root)
    assert_names(err.value, file, 1, column="2099-01-02 00:00:00")


def test_download_day_after_a_given_data_date(tmp_path):
    """Nothing after the data date is observed: a later day column is an error, not kept."""
    root, file = snapshot_with(tmp_path, "download", download_table())
    with pytest.raises(DataError, match="a day after the data date 2025-02-17") as err:
        bg.load_panel(root, data_date="2025-02-17")
    assert_names(err.value, file, 1, column=DAYS[-1])
    last = bg.load_panel(root, data_date="2025-02-18").observations["date"].max()
    assert last == pd.Timestamp(DAYS[-1], tz="UTC")


def test_paper_estimate_that_is_not_a_number(tmp_path):
    table = finetune_table(fit_columns=True).set("acme/beta", "mu_i", "abc")
    root, file = snapshot_with(tmp_path, "finetune", table)
    with pytest.raises(DataError, match="paper estimate 'abc' is not a number") as err:
        load(root)
    assert_names(err.value, file, 3, model="acme/beta", column="mu_i")
    # an empty cell is a fit the authors did not report
    table.set("acme/beta", "mu_i", "")
    fits = load(snapshot_with(tmp_path / "empty", "finetune", table)[0]).paper_fits
    assert fits.set_index("model")["mu_i"].isna().tolist() == [False, True]


@pytest.mark.parametrize("value", ["inf", "-inf", "1e999"])
def test_paper_estimate_that_is_not_finite(tmp_path, value):
    """An infinite estimate was read as one, and shown beside our posterior as an extreme fit."""
    table = finetune_table(fit_columns=True).set("acme/beta", "lambda_i", value)
    root, file = snapshot_with(tmp_path, "finetune", table)
    with pytest.raises(DataError, match=f"paper estimate '{value}' is not finite") as err:
        load(root)
    assert_names(err.value, file, 3, model="acme/beta", column="lambda_i")


def test_date_in_the_directory_name_in_the_future(tmp_path):
    root = write_snapshot(tmp_path / "snap-2099-01-01", {"ACME": finetune_table()})
    with pytest.raises(DataError, match="the date in the directory's name, 2099-01-01, is in the"):
        load(root)


def test_given_data_date_in_the_future(tmp_path):
    root = default_snapshot(tmp_path / "snap")
    with pytest.raises(DataError, match="the data date given, 2099-01-01, is in the future"):
        bg.load_panel(root, data_date="2099-01-01")


def test_a_day_ahead_is_allowed_for_local_calendars(tmp_path):
    tomorrow = (pd.Timestamp.now(tz="UTC") + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    root = default_snapshot(tmp_path / "snap")
    assert bg.load_panel(root, data_date=tomorrow).data_date == pd.Timestamp(tomorrow, tz="UTC")


# --- selections ---------------------------------------------------------------------------------


def test_a_model_outside_the_organisations_selected_with_it_is_refused(tmp_path):
    """A selection keeps the series that are both: a named model of another organisation was
    dropped without a word when another named model was of the organisation."""
    root = two_organisations(tmp_path)
    panel = load(root)
    says = "model.s. 'acme/alpha' not of organisation.s. OTHER: a selection keeps the series"
    with pytest.raises(DataError, match=says):
        panel.select(organizations=["OTHER"], models=["acme/alpha"])
    with pytest.raises(DataError, match=says):
        panel.select(organizations=["OTHER"], models=["other/one", "acme/alpha"])
    assert panel.select(organizations=["OTHER"], models=["other/one"]).n_series == 1


def test_a_quoted_cell_over_two_lines_keeps_later_line_numbers_true(tmp_path):
    table = finetune_table(fit_columns=True).copy_row("acme/beta", "acme/gamma")
    table.set("acme/alpha", "model", '"acme/alpha"')
    table.set("acme/beta", "approx_condition", '"Fal\nse"')  # a newline inside
    table.set("acme/gamma", "2-month", "x")
    root, file = snapshot_with(tmp_path, "finetune", table)
    assert file.read_text().splitlines()[4].startswith("acme/gamma")  # file line 5
    with pytest.raises(DataError, match="'x' is not a number") as err:
        load(root)
    assert_names(err.value, file, 5, "acme/gamma", "2-month")


def test_a_row_whose_company_is_not_its_files_organisation(tmp_path):
    """The file name sets the organisation: a row copied into another organisation's file would be
    pooled with that organisation's models without a word."""
    table = finetune_table().add_column("company", "ACME").set("acme/beta", "company", "Other")
    root, file = snapshot_with(tmp_path, "finetune", table)
    with pytest.raises(
        DataError, match="the company 'Other' is not 'ACME', the organisation"
    ) as err:
        load(root)
    assert_names(err.value, file, 3, model="acme/beta", column="company")
    # the published snapshot's own column (the file name, or empty) loads
    table.set("acme/beta", "company", "")
    panel = load(snapshot_with(tmp_path / "ok", "finetune", table)[0])
    assert set(panel.series["organization"]) == {"ACME"}


def test_a_collection_time_not_in_utf8_is_named_not_a_traceback(tmp_path):
    """``finetune/AS_OF`` saved in another encoding ended the load in a UnicodeDecodeError
    traceback, though a damaged time in it is an error naming the file."""
    root = write_snapshot(tmp_path / "snap", {"ACME": finetune_table()}, {"ACME": download_table()})
    marker = root / "finetune" / "AS_OF"
    marker.write_bytes("2025-02-18T12:00:00\n# relev\xe9\n".encode("latin-1"))
    with pytest.raises(
        DataError, match=r"not UTF-8 text \(byte 0xe9\): save the file as UTF-8"
    ) as e:
        load(root)
    assert_names(e.value, marker, 2)
