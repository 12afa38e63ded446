"""Download series (issue 5): the snapshot's quirks on crafted CSV files, through the loader, the
design, a tiny fit and its forecasts, and the DeepSeek claim table.

One tiny fit serves every fit-based test (compiling the model costs more than sampling it): the
claim study's, which fits every series' first 20 days.
"""

from __future__ import annotations

import dataclasses
import importlib.util

import numpy as np
import pandas as pd
import pytest
from csvfiles import Table, write_snapshot
from panels import make_panel

import bayesgrowth
from bayesgrowth.claims import (
    TABLE_COLUMNS,
    PaperClaim,
    format_table,
    plot_model,
    study_claim,
    study_figures,
)
from bayesgrowth.curves import cumulative
from bayesgrowth.design import BLOCK_STEPS, build_design
from bayesgrowth.errors import SettingsError
from bayesgrowth.fitting import chain_starts, jittered_variables
from bayesgrowth.forecast import CurveDraws, grow
from bayesgrowth.model import FIXED_START, build_model
from bayesgrowth.priors import Priors

FIRST_DAY = pd.Timestamp("2025-01-01")
N_DAYS = 32
DAYS = [f"{(FIRST_DAY + pd.Timedelta(days=d)).date()} 00:00:00" for d in range(N_DAYS)]
TINY = dict(draws=100, tune=100, chains=1, seed=3, progress=False)


def growth(n: int, scale: float, start: int = 0, rate: float = 1.0) -> list[int]:
    """A smooth cumulative count over ``n`` days: 0 before ``start``, then about scale·(k^1.5)."""
    k = np.clip(np.arange(n) - start + 1, 0, None)
    return np.round(scale * k ** (1.5 * rate)).astype(int).tolist()


def row(model: str, created_day: int, counts: list[int | None], hour: int = 6) -> list[str]:
    """A CSV row: ``counts`` laid on the day columns from the first one; None is an empty cell."""
    created = FIRST_DAY + pd.Timedelta(days=created_day, hours=hour)
    cells = ["" if c is None else f"{float(c):.1f}" for c in counts]
    cells += [""] * (N_DAYS - len(cells))
    return [model, *cells, f"{created}+00:00"]


# Each quirk of the 2025-02-18 snapshot, once; the day index t = column date - creation date.
SERIES = {
    # counts before the stated creation (day 3): left-censored, conditioned on its day-0 count
    "acme/precreation": row(
        "acme/precreation", 3, [0, 40, 90, 150, 220, 300] + growth(26, 30, 0)[6:]
    ),
    # already downloaded on the creation day (t = 0), not censored
    "acme/day0": row("acme/day0", 0, [25, *growth(N_DAYS, 60)[1:]]),
    # still 0 on day 1 and day 2: the first count is on day 3
    "acme/late": row("acme/late", 0, growth(N_DAYS, 20, start=3)),
    # zero throughout
    "acme/never": row("acme/never", 0, [0] * N_DAYS),
    # recorded from day 5 after release only (created before the first column): left-censored
    "acme/recorded-late": row(
        "acme/recorded-late", -5, [5000 + g for g in growth(N_DAYS, 80, start=1)]
    ),
    # ordinary series
    "acme/plain": row("acme/plain", 0, [0, *growth(N_DAYS, 10)[1:]]),
    "beta/plain-1": row("beta/plain-1", 0, [0, *growth(N_DAYS, 200)[1:]]),
    "beta/plain-2": row("beta/plain-2", 0, [0, 0, *growth(N_DAYS, 5, start=1)[2:]]),
    "beta/plain-3": row("beta/plain-3", 2, [None, None, 0, *growth(N_DAYS - 2, 40)[1:]]),
    # the claim study's organisation; deepseek-ai/short never gets past day 20
    "deepseek-ai/DeepSeek-R1": row("deepseek-ai/DeepSeek-R1", 0, [0, *growth(N_DAYS, 900)[1:]]),
    "deepseek-ai/small": row("deepseek-ai/small", 0, [0, 0, *growth(N_DAYS, 3, start=1)[2:]]),
    "deepseek-ai/short": row("deepseek-ai/short", 12, [None] * 12 + growth(N_DAYS - 12, 50)),
    # no count on day 20 itself (the cut), observed again from day 21
    "deepseek-ai/gap": row(
        "deepseek-ai/gap",
        0,
        [0, *(None if d == 20 else g for d, g in enumerate(growth(N_DAYS, 70)) if d > 0)],
    ),
}
ORGS = {
    org: [m for m in SERIES if m.startswith(prefix)]
    for org, prefix in (("Acme", "acme/"), ("Beta", "beta/"), ("DeepSeek", "deepseek-ai/"))
}
CLAIM = PaperClaim("deepseek-ai/DeepSeek-R1", first_days=20, day=40, value=1e6, quote="test")


def snapshot(tmp_path, series: dict[str, list[str]], orgs: dict[str, list[str]]):
    header = ["model", *DAYS, "created_at"]
    tables = {org: Table(header, [series[m] for m in models]) for org, models in orgs.items()}
    return bayesgrowth.load_panel(write_snapshot(tmp_path / "snap", download=tables))


@pytest.fixture(scope="module")
def panel(tmp_path_factory):
    return snapshot(tmp_path_factory.mktemp("downloads"), SERIES, ORGS)


@pytest.fixture(scope="module")
def design(panel):
    return build_design(panel, "downloads")


@pytest.fixture(scope="module")
def study(panel):
    return study_claim(panel, claim=CLAIM, days=(29,), n_samples=200, **TINY)


@pytest.fixture(scope="module")
def fitted(study):
    """The hierarchical fit to days 0-20 of every series observed past day 20."""
    return study.fit


def at(design, model: str) -> int:
    return int(np.flatnonzero(design.models == model)[0])


def increments(design, model: str) -> pd.DataFrame:
    """The curve part's increments of one series (empty for a dormant one)."""
    i = at(design, model)
    if i not in design.active:
        return pd.DataFrame(columns=["t0", "t1", "inc"])
    k = int(np.flatnonzero(design.active == i)[0])
    rows = design.inc_series == k
    return pd.DataFrame({"t0": design.t0[rows], "t1": design.t1[rows], "inc": design.inc[rows]})


def onset_cells(design) -> pd.DataFrame:
    """The onset part's cells: organisation, step, at risk, events."""
    return pd.DataFrame(
        {
            "org": design.organizations[design.onset_org],
            "step": design.onset_step,
            "n": design.onset_at_risk,
            "k": design.onset_events,
        }
    )


def test_loader_flags_the_quirks(panel):
    c = panel.report.counts
    assert c["downloads.precreation_nonzero"] == 1
    assert c["downloads.first_recorded_after_release"] == 1
    # acme/day0, acme/precreation's t = 0 and deepseek-ai/short
    assert c["downloads.nonzero_on_creation_day"] == 3
    # read as 0 from creation until a first count on day 2 or later (the censored ones aside)
    assert c["downloads.zeros_before_first_count"] == 3  # acme/late, beta/plain-2, deepseek/small
    assert c["downloads.zero_throughout"] == 1
    censored = set(panel.series.loc[panel.series["left_censored"], "model"])
    assert censored == {"acme/precreation", "acme/recorded-late"}


def test_precreation_counts_are_conditioned_on(panel, design):
    """Days before the stated creation are dropped; the first kept count is the base, not growth."""
    i = at(design, "acme/precreation")
    first = panel.series_of("acme/precreation", "downloads").iloc[0]
    assert (first["t"], first["cumulative"]) == (0, 150)
    assert (design.base_t[i], design.base_value[i]) == (0.0, 150.0)
    inc = increments(design, "acme/precreation")
    assert inc["t0"].min() == 0.0 and inc["inc"].sum() == design.last_value[i] - 150


def test_count_on_the_creation_day_is_conditioned_on(design):
    i = at(design, "acme/day0")
    assert (design.base_t[i], design.base_value[i]) == (0.0, 25.0)
    inc = increments(design, "acme/day0")
    assert inc["t0"].iloc[0] == 0.0 and inc["inc"].sum() == design.last_value[i] - 25


def test_increments_are_weekly_blocks_back_from_the_last_day(panel, design):
    """Blocks of BLOCK_STEPS days tile the series from its start to its last observation."""
    block = BLOCK_STEPS["downloads"]
    for model in SERIES:
        inc = increments(design, model)
        if inc.empty:
            continue
        i = at(design, model)
        assert inc["t0"].iloc[0] == design.base_t[i]
        assert inc["t1"].iloc[-1] == design.last_t_exact[i]
        assert (inc["t0"].iloc[1:].to_numpy() == inc["t1"].iloc[:-1].to_numpy()).all()
        width = (inc["t1"] - inc["t0"]).to_numpy()
        assert (width[1:] == block).all() and 0 < width[0] <= block
        counts = panel.series_of(model, "downloads").set_index("t")["cumulative"]
        assert (
            inc["inc"].to_numpy()
            == counts.loc[inc["t1"]].to_numpy() - counts.loc[inc["t0"]].to_numpy()
        ).all()


def test_zero_on_day_one_starts_the_curve_at_the_first_count(panel, design):
    """Days at zero are the onset part's data; the first count is conditioned on, not a jump."""
    i = at(design, "acme/late")
    counts = panel.series_of("acme/late", "downloads")
    first = counts[counts["cumulative"] > 0].iloc[0]
    assert first["t"] == 3
    assert (design.base_t[i], design.base_value[i]) == (3.0, float(first["cumulative"]))
    assert increments(design, "acme/late")["t0"].min() == 3.0
    # its curve's clock starts on day 2, the last day it was seen at zero
    assert design.origin[i] == 2.0
    cells = onset_cells(design)
    acme_cells = cells[cells["org"] == "Acme"].set_index("step")
    # at risk on step 1: acme/late, acme/never, acme/plain (which starts then); acme/late starts on
    # step 3; from step 4 only acme/never is left at zero
    assert (acme_cells.loc[1.0, "n"], acme_cells.loc[1.0, "k"]) == (3, 1)
    assert (acme_cells.loc[3.0, "n"], acme_cells.loc[3.0, "k"]) == (2, 1)
    assert (acme_cells.loc[4.0, "n"], acme_cells.loc[4.0, "k"]) == (1, 0)


def test_curve_clock_starts_where_a_series_was_last_seen_at_zero(design):
    """Series with a count from the start, or censored ones, keep the creation clock."""
    for model in ("acme/day0", "acme/precreation", "acme/recorded-late"):
        assert design.origin[at(design, model)] == 0.0
    assert design.origin[at(design, "acme/plain")] == 0.0  # zero on day 0, a count on day 1
    assert design.origin[at(design, "beta/plain-2")] == 1.0


def test_a_late_release_grows_on_the_clock_of_its_first_count():
    """A model first downloaded a week after its repository was created is explained by the
    same curve times as one downloaded from day 1: the week at zero is onset data only."""
    counts = [0, 40, 130, 260, 420, 600, 800, 1000, 1250, 1500]
    panel = make_panel(
        {"org/at-once": counts, "org/a-week-late": [0] * 7 + counts}, metric="downloads"
    )
    design = build_design(panel, "downloads")
    curve = {}
    for model in ("org/at-once", "org/a-week-late"):
        i = at(design, model)
        inc = increments(design, model)
        curve[model] = (inc["t0"] - design.origin[i], inc["t1"] - design.origin[i], inc["inc"])
        assert design.last_t_exact[i] - design.origin[i] == len(counts) - 1
    for a, b in zip(curve["org/at-once"], curve["org/a-week-late"], strict=True):
        assert list(a) == list(b)


def test_zero_throughout_is_dormant(design):
    i = at(design, "acme/never")
    assert i not in design.active
    assert (design.base_value[i], design.last_value[i]) == (0.0, 0.0)


def test_a_series_counted_once_has_started():
    """0 on day 0, then 2 on day 1 (its last day): not dormant, though it has no increment yet;
    a series read once, above zero, likewise."""
    panel = make_panel(
        {"org/new": [0, 2], "org/once": [7], "org/plain": [0, 3, 9, 20], "org/never": [0, 0, 0]},
        metric="downloads",
    )
    design = build_design(panel, "downloads")
    active = set(design.models[design.active])
    assert active == {"org/new", "org/once", "org/plain"}
    i = at(design, "org/new")
    assert (design.base_t[i], design.base_value[i], design.origin[i]) == (1.0, 2.0, 0.0)
    assert increments(design, "org/new").empty and increments(design, "org/once").empty
    assert len(increments(design, "org/plain")) > 0


def test_a_started_series_that_has_not_grown_builds_a_finite_model():
    """Flat since its first count, with increments (all 0): no log-level to start from, so its
    log λ goes by the offset, and the model's starting point is finite."""
    panel = make_panel(
        {"org/flat": [0] + [5] * 20, "org/once": [0, 2], "org/plain": growth(21, 10)},
        metric="downloads",
    )
    design = build_design(panel, "downloads")
    assert (
        len(increments(design, "org/flat")) >= 2 and not increments(design, "org/flat")["inc"].any()
    )
    model = build_model(design, Priors.for_metric("downloads"))
    assert model["log_level"].shape.eval() == 1  # org/plain only
    point = model.initial_point()
    assert all(np.isfinite(v).all() for v in point.values())
    assert np.isfinite(model.compile_logp()(point))


def test_a_series_counted_only_on_its_creation_day_has_a_finite_gradient():
    """A model recorded once, the day it was created (t_r = 0: a live store's newest model),
    took log Φ at ln 0 into the model: its gradient was NaN at every start and nutpie found no
    start to sample from, so no panel holding one could be fitted."""
    panel = make_panel(
        {"org/today": [7], "org/plain": growth(21, 10), "org/older": growth(15, 4)},
        metric="downloads",
        created={"org/today": "2023-01-21"},
    )
    design = build_design(panel, "downloads")
    i = at(design, "org/today")
    assert i in design.active and design.last_t_exact[i] == 0.0
    model = build_model(design, Priors.for_metric("downloads"))
    point = model.initial_point()
    assert np.isfinite(model.compile_logp()(point))
    gradient = model.compile_dlogp()(point)
    assert np.isfinite(gradient).all(), f"{(~np.isfinite(gradient)).sum()} gradient terms"


def test_a_download_model_is_built_with_the_download_priors_by_default():
    """build_model(design) without priors took the fine-tune defaults for a download design (a
    shared σ, an onset slope, no σ by organisation) without a word; it now takes the design's
    metric's priors, and refuses priors made for the other metric."""
    panel = make_panel({"org/a": growth(21, 10), "org/b": [0] * 21}, metric="downloads")
    design = build_design(panel, "downloads")
    model = build_model(design)
    assert "u_log_sigma" in model.named_vars  # σ by organisation
    assert not {"onset_slope", "onset_batch"} & set(model.named_vars)
    with pytest.raises(SettingsError, match="these priors are for finetunes, not downloads"):
        build_model(design, Priors())


def test_recorded_after_release_is_left_censored(panel, design):
    """Recording began on day 5: the first recorded count is never read as one day's growth."""
    i = at(design, "acme/recorded-late")
    series = panel.series.set_index("model").loc["acme/recorded-late"]
    assert series["first_t"] == 5 and series["left_censored"]
    assert (design.base_t[i], design.base_value[i]) == (5.0, 5000.0)
    inc = increments(design, "acme/recorded-late")
    assert inc["t0"].min() == 5.0 and inc["inc"].sum() == design.last_value[i] - 5000
    # its days before recording were never seen: it is at risk of onset on no step (the
    # organisation's cells are those of the same panel without it)
    without = build_design(panel.select(models=set(SERIES) - {"acme/recorded-late"}), "downloads")
    pd.testing.assert_frame_equal(onset_cells(design), onset_cells(without))


def test_fine_tunes_still_start_at_creation():
    """The download rule leaves fine-tunes alone: base 0 at t = 0, every increment explained."""
    panel = make_panel({"org/a": [0, 0, 3, 7, 12]})
    design = build_design(panel, "finetunes")
    assert (design.base_t[0], design.base_value[0], design.origin[0]) == (0.0, 0.0, 0.0)
    assert list(design.t0) == [0.0, 1.0, 2.0, 3.0] and list(design.inc) == [0, 3, 4, 5]


def test_forecast_has_every_series_on_the_integer_day_index(panel, fitted):
    table = fitted.forecast(5, n_samples=200)
    assert set(table["model"]) == set(SERIES) - {"deepseek-ai/short"}
    assert table["t"].dtype.kind == "i"
    # every series was cut at day 20; deepseek-ai/gap's last count before it is on day 19
    gap = table["model"] == "deepseek-ai/gap"
    assert set(table.loc[~gap, "t"]) == {21, 22, 23, 24, 25}
    assert list(table.loc[gap, "t"]) == [20, 21, 22, 23, 24]
    q = table[["q05", "q25", "q50", "q75", "q95"]].to_numpy()
    assert np.isfinite(q).all() and (np.diff(q, axis=1) >= 0).all()
    at_cut = fitted.design.last_value[[at(fitted.design, m) for m in table["model"]]]
    assert (table["q05"].to_numpy() >= at_cut).all()


def test_the_parameter_table_gives_the_start_of_each_series_clock(fitted):
    """μ of a download series seen at zero after its creation is on the clock of its first
    count: the table must say where that clock starts, or μ reads as days since creation."""
    table = fitted.parameters().set_index("model")
    assert table.loc["beta/plain-2", "clock_start"] == 1.0
    assert table.loc["acme/plain", "clock_start"] == 0.0
    assert np.isnan(table.loc["acme/never", "clock_start"])  # dormant: no curve of its own
    d = fitted.design
    np.testing.assert_array_equal(table.loc[d.models[d.active], "clock_start"], d.origin[d.active])


def test_a_forecast_week_has_the_fitted_weekly_dispersion():
    """The likelihood's negative binomial is on 7-day sums (variance M + M²/α). Seven daily draws
    with that α each sum to variance M + M²/(7α): bands of a week's growth far too tight."""
    lam, mu, sigma, alpha = np.log1p(1e6), np.log(30.0), 1.0, 3.6
    s, days = 20_000, np.arange(21, 28)
    draws = CurveDraws(
        log_lam=np.full((1, s), np.log(lam)),
        mu=np.full((1, s), mu),
        log_sigma=np.zeros((1, s)),
        alpha=np.full((1, s), alpha),
        block=BLOCK_STEPS["downloads"],
    )
    start = cumulative(20.0, lam, mu, sigma)
    week = grow(draws, np.array([20.0]), np.array([start]), days, np.random.default_rng(1))[0, -1]
    daily = np.diff(cumulative(np.r_[20, days], lam, mu, sigma))
    fitted_var = (daily + daily**2 * 7 / alpha).sum()  # a week of NB(α/7) days: ≈ M + M²/α
    assert np.isclose((week - start).mean(), daily.sum(), rtol=0.02)
    assert np.isclose((week - start).var(), fitted_var, rtol=0.1)
    assert fitted_var > 5 * (daily + daily**2 / alpha).sum()


def test_download_forecasts_draw_days_from_the_weekly_dispersion(fitted):
    assert fitted._posterior.curve(10).block == BLOCK_STEPS["downloads"] == 7
    assert fitted._posterior.population(np.array([0]), 10, np.random.default_rng(0)).block == 7


@pytest.mark.parametrize(
    ("status", "label"), [("ok", "paper's curve fit"), ("failed", "paper's curve fit (failed)")]
)
def test_the_paper_curve_is_labelled_with_its_fit_status(study, status, label):
    """A failed curve_fit is drawn at its starting guess; the legend must not call it a fit."""
    import matplotlib.pyplot as plt

    model = "deepseek-ai/small"
    table = study.table.assign(
        paper_fit_status=study.table["paper_fit_status"].where(
            study.table["model"] != model, status
        )
    )
    fig, ax = plot_model(dataclasses.replace(study, table=table), model)
    assert label in [t.get_text() for t in ax.get_legend().get_texts()]
    plt.close(fig)


def test_a_log_scale_figure_starts_at_one_download(study):
    """The paper's curve is near 1e-14 in its first days: the log axis ran down to it, and
    squeezed the counts into the top of the panel."""
    import matplotlib.pyplot as plt

    model = "deepseek-ai/small"
    fig, ax = plot_model(study, model, log=True)
    above = ax.get_ylim()[0]
    assert above > 1  # where nothing is drawn below one download, the axis is left as it is
    tiny = study.paper_curves.assign(
        value=study.paper_curves["value"].where(study.paper_curves["model"] != model, 1e-14)
    )
    fig2, ax2 = plot_model(dataclasses.replace(study, paper_curves=tiny), model, log=True)
    assert ax2.get_ylim()[0] == 1
    plt.close(fig)
    plt.close(fig2)


def test_dormant_forecast_stays_sensible(panel, fitted):
    never = fitted.forecast(5, n_samples=400).set_index("model").loc["acme/never"]
    assert (never["q05"] >= 0).all() and np.isfinite(never["mean"]).all()
    biggest = panel.series["last_value"].max()
    assert (never["q95"] < biggest).all(), "a series that never moved outgrows every other one"


def test_a_release_batch_is_refused_where_the_onset_hazard_has_no_batch_slope(fitted):
    """The download model's onset hazard has no release-batch slope: a batch other than 1 would
    be ignored (the same forecast, no word said), so it is refused."""
    org = str(fitted.design.organizations[0])
    with pytest.raises(bayesgrowth.BayesGrowthError, match="no release-batch slope: a release"):
        fitted.forecast_new(org, 3, release_batch=50, n_samples=50)
    assert len(fitted.forecast_new(org, 3, release_batch=1, n_samples=50)) == 3


def test_claim_table_on_a_crafted_panel(panel, study):
    """The DeepSeek table: one row per model and day, the claim where it applies, bands ordered."""
    table = study.table
    assert list(table.columns) == TABLE_COLUMNS
    # deepseek-ai/short has only 20 days: never past day 20, so it is not in the study
    studied = ["deepseek-ai/DeepSeek-R1", "deepseek-ai/gap", "deepseek-ai/small"]
    assert sorted(table["model"].unique()) == studied
    assert sorted(table["day"].unique()) == [29, 40]
    # every studied model has a row on every day, the one without a count on day 20 included;
    # its count at the cut is its last before it (day 19)
    assert len(table) == len(studied) * 2
    gap = panel.series_of("deepseek-ai/gap", "downloads").set_index("t")["cumulative"]
    assert (table.loc[table["model"] == "deepseek-ai/gap", "count_at_cut"] == gap[19]).all()
    r1 = table.set_index(["model", "day"]).loc["deepseek-ai/DeepSeek-R1"]
    observed = panel.series_of("deepseek-ai/DeepSeek-R1", "downloads").set_index("t")["cumulative"]
    assert r1.loc[29, "actual"] == observed[29] and np.isnan(r1.loc[40, "actual"])
    assert r1.loc[40, "paper_claim"] == 1e6 and np.isnan(r1.loc[29, "paper_claim"])
    assert r1.loc[29, "count_at_cut"] == observed[20]
    assert (table["q05"] <= table["q50"]).all() and (table["q50"] <= table["q95"]).all()
    assert (table["q05"] >= table["count_at_cut"]).all()
    assert table["paper_fit_status"].notna().all() and table["paper_curve_fit"].notna().all()
    assert "counts in millions" in format_table(table)
    # the fit only ever saw days 0-20
    assert study.fit.design.last_t.max() == 20


def test_an_unknown_organisation_is_named_with_the_known_ones(panel):
    """A mistyped organisation fails before any fitting, naming those with download series."""
    with pytest.raises(bayesgrowth.DataError, match="organisation 'Deepseek'; known: Acme, Beta"):
        study_claim(panel, claim=CLAIM, organization="Deepseek", days=(29,), **TINY)


def test_a_day_too_far_to_forecast_is_refused_before_the_fit(panel, monkeypatch):
    """The forecast's size was checked only after the fit (12,000 draws by default), so
    `deepseek --day 730` (811 series fitted) failed after minutes of sampling."""

    def sampled(*args, **kwargs):
        raise AssertionError("the fit was run before the forecast's size was checked")

    monkeypatch.setattr("bayesgrowth.claims.fit", sampled)
    with pytest.raises(
        bayesgrowth.BayesGrowthError, match=r"12 series × 9,999,981 steps × 100 samples holds"
    ):
        study_claim(panel, claim=CLAIM, days=(10_000_000,), **TINY)


def test_the_claim_figure_is_drawn_only_for_a_model_in_the_study(study):
    import matplotlib.pyplot as plt

    drawn = study_figures(study)
    assert list(drawn) == ["claim.png", "largest.png"]
    elsewhere = dataclasses.replace(study, claim=dataclasses.replace(CLAIM, model="acme/other"))
    figures = study_figures(elsewhere)  # an empty figure of a model not studied, before
    assert list(figures) == ["largest.png"]
    for figure in [*drawn.values(), *figures.values()]:
        plt.close(figure)


@pytest.mark.slow
def test_deepseek_command_leaves_no_claim_figure_of_an_earlier_study(tmp_path):
    """A study of an organisation without the claimed model draws no claim.png, and removes the
    one an earlier study wrote to the same folder: it would pass for this study's."""
    from typer.testing import CliRunner

    from bayesgrowth.cli import app

    header = ["model", *DAYS, "created_at"]
    data = write_snapshot(
        tmp_path / "snap", download={"Acme": Table(header, [SERIES[m] for m in ORGS["Acme"]])}
    )
    out = tmp_path / "study"
    out.mkdir()
    (out / "claim.png").write_bytes(b"an earlier study's figure")
    args = ["deepseek", "--data", str(data), "--organization", "Acme", "--out", str(out)]
    sampler = ["--draws", "50", "--tune", "50", "--chains", "1", "--samples", "60"]
    result = CliRunner().invoke(app, [*args, *sampler])
    assert result.exit_code == 0, result.output
    assert "no claim.png: deepseek-ai/DeepSeek-R1 is not among the Acme models" in result.output
    # 60 samples asked of a fit of 50 draws: forecast from the 50, said as run and forecast say
    assert (
        "note: the fit holds 50 posterior draws (chains × draws): the forecast simulates 50 "
        "per series, not 60" in result.stderr
    )
    assert sorted(p.name for p in out.iterdir()) == [
        "diagnostics.txt",
        "fit.nc",
        "largest.png",
        "prior.png",
        "table.csv",
    ]


@pytest.mark.slow
def test_deepseek_command_leaves_no_file_of_an_earlier_study_when_it_stops_part_way(
    tmp_path, monkeypatch
):
    """A study that stops while writing its figures (here: the disk fills on the first) leaves
    no earlier study's table, diagnostics or figures beside its own fit: they would pass for
    this study's. Its fit and the files written before the stop are kept."""
    from typer.testing import CliRunner

    from bayesgrowth.cli import app, downloads_cmd

    header = ["model", *DAYS, "created_at"]
    data = write_snapshot(
        tmp_path / "snap", download={"Acme": Table(header, [SERIES[m] for m in ORGS["Acme"]])}
    )
    out = tmp_path / "study"
    out.mkdir()
    for name in downloads_cmd.STUDY_RESULTS:
        (out / name).write_text("an earlier study's file")

    def disk_full(path, figure, **kwargs):
        raise OSError(f"no space left on the device writing {path.name}")

    monkeypatch.setattr(downloads_cmd, "write_figure", disk_full)
    args = ["deepseek", "--data", str(data), "--organization", "Acme", "--out", str(out)]
    sampler = ["--draws", "50", "--tune", "50", "--chains", "1", "--samples", "50"]
    result = CliRunner().invoke(app, [*args, *sampler])
    assert isinstance(result.exception, OSError), result.output
    # named, as run names them: the fit took long, and need not be run again
    assert f"written to {out}/ before it stopped: fit.nc, table.csv, diagnostics.txt\n" in (
        result.stderr
    )
    left = {p.name: p.read_bytes() for p in out.iterdir()}
    assert sorted(left) == ["diagnostics.txt", "fit.nc", "table.csv"]
    assert b"an earlier study's file" not in left.values()
    assert bayesgrowth.load(out / "fit.nc").design.metric == "downloads"


def test_forecast_command_writes_every_series_by_day_index(fitted, tmp_path):
    """``bayesgrowth forecast`` on a download fit: t is the integer day index, all series present."""
    from typer.testing import CliRunner

    from bayesgrowth.cli import app

    path = fitted.save(tmp_path / "fit.nc")
    out = tmp_path / "forecast.csv"
    args = ["forecast", "--fit", str(path), "--out", str(out), "--horizon", "3"]
    result = CliRunner().invoke(app, [*args, "--samples", "100"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert set(table["model"]) == set(fitted.design.models)
    assert table["t"].dtype.kind == "i"
    # the three days after each series' last one: day 20 for all but deepseek-ai/gap (day 19)
    last = pd.Series(fitted.design.last_t, index=fitted.design.models)
    assert last["deepseek-ai/gap"] == 19 and (last.drop("deepseek-ai/gap") == 20).all()
    span = table.groupby("model")["t"].agg(["min", "max", "size"])
    assert (span["min"] == last[span.index] + 1).all() and (span["size"] == 3).all()
    assert (span["max"] == last[span.index] + 3).all()
    assert (table["metric"] == "downloads").all()


def test_download_chains_start_unjittered_where_the_counts_pin_the_value(design):
    """Dispersion, the organisation means of μ and log σ and the series' levels start at the
    initial point in every chain of a download fit; the other free variables start jittered, a
    different draw per chain (see ``bayesgrowth.model.FIXED_START``)."""
    from pymc.initial_point import make_initial_point_fn

    model = build_model(design, Priors.for_metric("downloads"))
    start = make_initial_point_fn(
        model=model,
        jitter_rvs=jittered_variables(model, "downloads"),
        return_transformed=True,
    )
    first, second, plain = start(1), start(2), model.initial_point()
    fixed = {model.rvs_to_values[model[name]].name for name in FIXED_START["downloads"]}
    assert len(fixed) == 5
    for name, value in first.items():
        if name in fixed:
            np.testing.assert_array_equal(value, plain[name])
            np.testing.assert_array_equal(second[name], plain[name])
        else:
            assert not np.allclose(value, second[name]), name
    # the starts given to the samplers driven through PyMC: the same rule, reproducible by seed
    starts = chain_starts(model, "downloads", 2, seed=3)
    again = chain_starts(model, "downloads", 2, seed=3)
    for rv in model.free_RVs:
        a, b = starts[0][rv.name], starts[1][rv.name]
        np.testing.assert_array_equal(a, again[0][rv.name])
        assert (rv.name in FIXED_START["downloads"]) == np.allclose(a, b), rv.name


@pytest.mark.slow
@pytest.mark.parametrize(
    "sampler",
    [
        "pymc",
        pytest.param(
            "numpyro",
            marks=pytest.mark.skipif(
                importlib.util.find_spec("numpyro") is None, reason="numpyro (JAX) not installed"
            ),
        ),
    ],
)
def test_pymc_driven_samplers_run_from_those_starts(panel, sampler):
    """``sampler="pymc"`` and ``"numpyro"`` take :func:`chain_starts` with their own jitter
    switched off (it would jitter the levels too), and run."""
    fit = bayesgrowth.fit(
        panel, "downloads", draws=10, tune=10, chains=2, sampler=sampler, progress=False
    )
    level = fit.idata.posterior["log_level"]
    assert level.sizes["chain"] == 2 and level.sizes["draw"] == 10
    assert np.isfinite(level.values).all()
