"""Reference figures printed beside a backtest's scores."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bayesgrowth.anchors import beside, read_anchors
from bayesgrowth.errors import DataError
from bayesgrowth.scores import SCORE_COLUMNS

ANCHORS = """method,score,anchor,source
linear-trend,median_abs_log10_error,0.055,"issue 5, 791 series"
paper,coverage_90,15-29%,issue 5
bayes,coverage_90,85-95%,issue 5 target
paper,n,791,issue 5
"""


def metrics() -> pd.DataFrame:
    rows = []
    for method, error, cover in (("linear-trend", 0.0551, np.nan), ("paper", 0.07, 0.2)):
        for subset in ("all", "nonzero_at_origin"):
            scores = dict.fromkeys(SCORE_COLUMNS, 0.0)
            scores.update(n=10, median_abs_log10_error=error, coverage_90=cover)
            rows.append({"method": method, "subset": subset, **scores})
    return pd.DataFrame(rows)


def test_beside_puts_this_run_next_to_each_anchor(tmp_path):
    path = tmp_path / "anchors.csv"
    path.write_text(ANCHORS)
    table = beside(metrics(), read_anchors(path))
    assert list(table.columns) == ["method", "score", "this_run", "anchor", "source"]
    # bayes did not run; a share is a percentage, as the anchors write it (it showed 0.200)
    assert table["this_run"].tolist() == ["0.055", "20.0%", "", "10"]
    assert table["anchor"].tolist() == ["0.055", "15-29%", "85-95%", "791"]


BAD_ANCHOR_FILES = [
    ("method,score,anchor\npaper,coverage_90,1\n", "lacks column"),
    ("method,score,anchor,source\npaper,accuracy,1,x\n", "unknown score"),
    # A misspelt method matched no row of metrics.csv: its figure was a blank, as if it had not run
    (
        "method,score,anchor,source\npaper,n,791,x\nlinear_trend,n,791,x\n",
        "line 3.*unknown method 'linear_trend'.*linear-trend",
    ),
    # a blank first line: "lacks column(s) method, score, anchor, source", naming no line
    (
        "\nmethod,score,anchor,source\npaper,n,791,x\n",
        "anchors.csv, line 1: blank: the header must be the first line",
    ),
    # a row cut short was read with a blank anchor and printed beside the score as nothing
    (
        "method,score,anchor,source\npaper,n,791,x\nbayes,coverage_90\n",
        "line 3: no anchor figure for bayes coverage_90",
    ),
    # a blank line and a quoted source over two lines come before it: the row is on line 6
    (
        'method,score,anchor,source\npaper,n,791,"issue 5,\n791 series"\n\n'
        "bayes,n,791,x\nlinear_trend,n,791,x\n",
        "line 6: unknown method 'linear_trend'",
    ),
    # a header alone printed an empty table; a repeated column was renamed "method.1" by pandas
    ("method,score,anchor,source\n\n", "anchors.csv: the anchors file has a header but no rows"),
    (
        "method,score,anchor,source,method\npaper,n,791,x,bayes\n",
        "line 1: the header repeats the column 'method'",
    ),
]


@pytest.mark.parametrize(("content", "says"), BAD_ANCHOR_FILES)
def test_bad_anchor_files(tmp_path, content, says):
    path = tmp_path / "anchors.csv"
    path.write_text(content)
    with pytest.raises(DataError, match=says):
        read_anchors(path)


def test_anchor_files_missing_or_with_blank_lines(tmp_path):
    with pytest.raises(DataError, match="no anchors file"):
        read_anchors(tmp_path / "missing.csv")
    path = tmp_path / "anchors.csv"
    path.write_text(ANCHORS.replace("\npaper,n", "\n \npaper,n"))  # a blank line is no row
    assert read_anchors(path)["method"].tolist() == ["linear-trend", "paper", "bayes", "paper"]


@pytest.mark.parametrize(
    ("content", "says"),
    [
        # pandas' message ended in a line break
        (b"paper,n,1,x\npaper,n,1,x,extra\n", "line 3: the row has 5 fields, the header 4"),
        # on the first row, pandas took the method column for an index and shifted every cell
        # left: the error named the score as an unknown method
        (b"paper,n,791,issue 5, 791 series\n", "line 2: the row has 5 fields, the header 4"),
        (b'paper,n,791,"issue 5\n', "line 2: a quoted cell is still open at the end"),
        # pandas named a position within the block it was decoding, not the line
        (b"paper,n,791,x\npaper,n,791,r\xe9f\n", "line 3: not UTF-8 text (byte 0xe9)"),
    ],
    ids=["long-row", "long-first-row", "open-quote", "latin-1"],
)
def test_an_anchors_file_pandas_cannot_read_is_one_line_naming_the_line(tmp_path, content, says):
    path = tmp_path / "anchors.csv"
    path.write_bytes(b"method,score,anchor,source\n" + content)
    with pytest.raises(DataError) as err:
        read_anchors(path)
    assert str(err.value).startswith(f"{path}, {says}")
    assert "\n" not in str(err.value)
