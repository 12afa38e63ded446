"""Reference figures to print beside a backtest: what was measured elsewhere, or what is aimed at.

An anchors file is a small CSV, one figure per row::

    method,score,anchor,source
    linear-trend,median_abs_log10_error,0.055,"issue 5, measured on 791 series"
    bayes,coverage_90,85-95%,issue 5 target

``method`` is a backtest method name, ``score`` a column of the backtest's ``metrics.csv`` (see
:data:`bayesgrowth.scores.SCORE_COLUMNS`), ``anchor`` the reference as text (a number, a range),
``source`` where it comes from. The anchors are only printed, never used in a computation: a
reader sees this run's figure and the reference side by side and judges the difference.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from bayesgrowth.csvfile import check_first_line, first_bad_record, not_utf8, record_lines
from bayesgrowth.errors import DataError
from bayesgrowth.forecasters import known_forecasters
from bayesgrowth.scores import SCORE_COLUMNS, SHARE_COLUMNS

ANCHOR_COLUMNS = ("method", "score", "anchor", "source")


def read_anchors(path: str | Path) -> pd.DataFrame:
    """Read and check an anchors file.

    Raises
    ------
    DataError
        If the file is missing, empty, unreadable or without rows, lacks or repeats a column,
        names a method the backtest does not know or a score it does not compute (either would
        show as a blank, like a method that did not run), or has a row without an anchor.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"no anchors file at {path}")
    try:
        check_first_line(path)
        # Blank lines are read as empty rows (then dropped) so that line numbers stay true.
        # index_col=False: a first row one cell longer than the header (a source with a comma,
        # unquoted) must not turn the method column into an index and shift every cell left;
        # pandas warns instead, and the warning is made an error here.
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            table = pd.read_csv(
                path, dtype=str, keep_default_na=False, skip_blank_lines=False, index_col=False
            )
    except pd.errors.EmptyDataError:
        raise DataError("the anchors file is empty (no header)", file=str(path)) from None
    except UnicodeDecodeError:  # Python's message gives a position within a block, not a line
        raise not_utf8(path) from None
    except (pd.errors.ParserWarning, pd.errors.ParserError) as exc:
        found = first_bad_record(path)
        if found is not None:
            raise DataError(found[1], file=str(path), row=found[0]) from None
        # pandas' own message may run over two lines
        raise DataError(
            f"not a readable CSV file ({' '.join(str(exc).split())})", file=str(path)
        ) from None
    # pandas renames a repeated column ("method.1"), which would leave one of the two unread
    header = pd.read_csv(path, header=None, nrows=1, dtype=str, keep_default_na=False).iloc[0]
    repeated = header[header.duplicated()]
    if not repeated.empty:
        raise DataError(f"the header repeats the column {repeated.iat[0]!r}", file=str(path), row=1)
    missing = [c for c in ANCHOR_COLUMNS if c not in table.columns]
    if missing:
        raise DataError(f"the anchors file lacks column(s) {', '.join(missing)}", file=str(path))
    table.index = record_lines(path, len(table))  # CSV line numbers: the header is line 1
    table = table[table.apply(lambda column: column.str.strip().ne("")).any(axis=1)]
    if table.empty:  # nothing to print beside the scores: a file cut short, or the wrong one
        raise DataError("the anchors file has a header but no rows", file=str(path))
    for column, known in (("method", known_forecasters()), ("score", SCORE_COLUMNS)):
        unknown = ~table[column].isin(known).to_numpy()
        if unknown.any():
            i = int(unknown.argmax())
            raise DataError(
                f"unknown {column} {table[column].iat[i]!r}; known: {', '.join(known)}",
                file=str(path),
                row=int(table.index[i]),
            )
    blank = table["anchor"].str.strip().eq("").to_numpy()
    if blank.any():  # a row cut short ("bayes,coverage_90"): nothing to set beside the score
        i = int(blank.argmax())
        raise DataError(
            f"no anchor figure for {table['method'].iat[i]} {table['score'].iat[i]}",
            file=str(path),
            row=int(table.index[i]),
        )
    return table[list(ANCHOR_COLUMNS)].reset_index(drop=True)


def beside(metrics: pd.DataFrame, anchors: pd.DataFrame, subset: str = "all") -> pd.DataFrame:
    """This run's figure for each anchor (``subset`` of the metrics), next to the anchor.

    Returns
    -------
    pandas.DataFrame
        ``method, score, this_run, anchor, source``; ``this_run`` is empty for a method that did
        not run (or a score it has none of, like the coverage of a point forecast), and shares
        (coverage, share off by more than 2×, …) are percentages, as the backtest prints them.
    """
    ours = metrics[metrics["subset"] == subset].melt(
        id_vars=["method"], value_vars=list(SCORE_COLUMNS), var_name="score"
    )
    table = anchors.merge(ours, on=["method", "score"], how="left")
    this_run = [_shown(score, v) for score, v in zip(table["score"], table["value"], strict=True)]
    return table.assign(this_run=this_run)[["method", "score", "this_run", "anchor", "source"]]


def _shown(score: str, value: float) -> str:
    """One figure as the backtest prints it: a count, a percentage, an error to 3 decimals."""
    if pd.isna(value):
        return ""
    if score == "n":
        return f"{value:.0f}"
    return f"{value:.1%}" if score in SHARE_COLUMNS else f"{value:.3f}"
