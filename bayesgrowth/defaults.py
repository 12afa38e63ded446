"""Default sampler lengths, in a module light enough for the command line to import.

1,800 kept draws per chain after 700 tuning steps, 2 chains: on the full fine-tune snapshot
(3,903 series) the slowest quantities reach a bulk ESS above 400 with R-hat below 1.01, in
11 to 14 minutes on 2 cores (``results/benchmark-fit``: 779 s, ESS 845, R-hat 1.0079 with the
onset by release batch after the loader correction of 2026-11-28, 819 s, ESS 942, R-hat 1.0075
with seed 1; 823 s, ESS 1,070, R-hat 1.0066 before the correction; 669 s, ESS 787, R-hat 1.0075
before the onset by release batch; 709 s, ESS 724, R-hat 1.0071 before the model was compiled
without fast-math). Fewer
draws were measured and fall short: 1,400 gave ESS 576 but R-hat 1.0096 (the largest of some
11,000 R-hats, on a well-mixed quantity: noise that more draws shrink), and 1,600 with the
seventh round's model ESS 327 (``results/model-experiments.md``, eighth round). The full
download snapshot (830 series, every day): 437 s, ESS 431, R-hat 1.0066 with the recent-rate
term (a thin margin; 321 s, ESS 871 without it; ``results/benchmark-fit-downloads``).
"""

from bayesgrowth.errors import SamplingError

DRAWS = 1800
TUNE = 700

TARGET_ACCEPT = 0.9
"""NUTS target acceptance of a fit (see :class:`bayesgrowth.fitting.SamplerSettings`)."""

FORECAST_SAMPLES = 1000
"""Posterior draws a forecast simulates per series (thinned evenly over chains × draws): the
same for ``bayesgrowth run``, ``bayesgrowth forecast``, the backtest and the Python API, so each
way of forecasting one fit gives the same draws (the backtest interpolates its quantiles between
them: see :meth:`bayesgrowth.forecasters.Forecast.from_samples`)."""

SHORT_HISTORY_DRAWS = 12000
"""Kept draws per chain for fits on the first 20 days of every download series (the DeepSeek
study; ``bayesgrowth backtest --first-days``). Twenty days say little about the organisation
means and spreads, which then mix slowly, about 3 effective draws per 100: 1,800 draws gave
R-hat 1.024 and a bulk ESS of 108; 6,000 after 1,000 tuning steps gave ESS 588 (197 s) for the
DeepSeek fit but 330 and 392 for the two backtest fits; 8,000 gave 491 and 581 for the backtest
fits, but on the eighth round's floating-point path 457 and 429 (``results/model-experiments.md``,
ninth round), a margin too thin, so 12,000."""

SHORT_HISTORY_TUNE = 1000
"""Tuning steps per chain that go with :data:`SHORT_HISTORY_DRAWS` and :func:`history_sampling`."""


def history_sampling(months: int) -> tuple[int, int, float]:
    """Kept draws, tuning steps per chain and NUTS target acceptance of a fine-tune fit on the
    first ``months`` months of every series (``bayesgrowth backtest --history K``).

    The fewer the months, the less the data say about the organisation means and the shared σ,
    and the more slowly they mix (``results/model-experiments.md``, ninth round; 2 chains,
    1,000 tuning steps):

    - K = 1: one increment per series, the curve's level is all a series shows, and the
      hierarchy's funnels are tight. At target acceptance 0.9, 14 to 33 divergences per fit;
      at 0.97 none or 5 depending on the floating-point path (8,000 draws); at 0.99 none,
      with 8,000 draws R-hat 1.0096, with 14,000 R-hat 1.0030 and bulk ESS 817 (149 s).
    - K = 2, 3: at 0.97 and 8,000 draws bulk ESS 348–461 (K = 2) and 601 (K = 3), a thin
      margin over 400; with 14,000 ESS 681 (200 s) and 1,319 (285 s). With the onset by
      release batch (design 17) K = 2 at 0.97 had 7 divergences in 14,000 draws; at 0.99 none
      (R-hat 1.0078, ESS 578, mean tree depth 6.5 against 6.0), 2026-11-28.
    - K = 6: 8,000 draws gave ESS 2,295 (447 s), 4,000 gave 1,160 (244 s).

    The recorded runs with these settings (design 17, after the loader correction of
    2026-11-28): 0 divergences each; K = 1 R-hat 1.0012, bulk ESS 1,137; K = 2 R-hat 1.0018,
    ESS 450 (tail 594), the thinnest margin; K = 3 R-hat 1.0008, ESS 1,399; K = 6 R-hat 1.0028,
    ESS 1,218. So 14,000 draws for K <= 3 (target acceptance 0.99 at K = 1, 2, else 0.97), 4,000 for
    K >= 6, and 8,000 in between (K = 4, 5; not measured). The records:
    ``results/backtest-history1``, ``-history2``, ``-history3``, ``-history6``.

    Parameters
    ----------
    months
        Months K of every series kept, K >= 1.

    Returns
    -------
    tuple
        ``(draws, tune, target_accept)``.
    """
    if months <= 3:
        return 14000, SHORT_HISTORY_TUNE, 0.99 if months <= 2 else 0.97
    if months < 6:
        return 8000, SHORT_HISTORY_TUNE, 0.97
    return 4000, SHORT_HISTORY_TUNE, 0.97


AS_OF_DRAWS = 4000
AS_OF_TUNE = 700
"""Sampler lengths of the refit in an as-of backtest (``bayesgrowth backtest --as-of``): on the
2024-08-18 fine-tune history (2,405 series) the organisation means mix more slowly than on the
full snapshot; 500 draws gave R-hat 1.045 and ESS 65, 1,800 R-hat 1.020 and ESS 225, 4,000
R-hat 1.0078 and ESS 479 in 476 s (seventh round), and with design 17 R-hat 1.0031 and ESS 585
in 421 s of sampling (``results/backtest-bayes``). Downloads as of 2024-12-20
(690 series, with the recent-rate term): 1,800 draws gave ESS 377
(``results/backtest-downloads``)."""


def check_seed(seed: int) -> None:
    """Refuse a sampler seed outside nutpie's and numpy's range, 0 to 2**32 - 1, here rather than
    in the sampler (the backtest checks it before the data, without importing PyMC).

    Raises
    ------
    SamplingError
        Naming the seed.
    """
    if not 0 <= seed < 2**32:
        raise SamplingError(f"the seed must lie between 0 and 2**32 - 1, not {seed}")
