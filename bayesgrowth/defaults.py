"""Default sampler lengths, in a module light enough for the command line to import.

1,800 kept draws per chain after 700 tuning steps, 2 chains: on the full fine-tune snapshot
(3,903 series) the slowest quantities reach a bulk ESS above 400 with R-hat below 1.01, in
12 minutes on 2 cores (``results/benchmark-fit``: 709 s, ESS 724, R-hat 1.0071). Fewer
draws were measured and fall short: 1,400 gave ESS 576 but R-hat 1.0096 (the largest of some
11,000 R-hats, on a well-mixed quantity: noise that more draws shrink), and 1,600 with the
seventh round's model ESS 327 (``results/model-experiments.md``, eighth round). The full
download snapshot (830 series, every day): 376 s, ESS 863, R-hat 1.0073
(``results/benchmark-fit-downloads``, before the eighth round's cheaper Φ).
"""

DRAWS = 1800
TUNE = 700

TARGET_ACCEPT = 0.9
"""NUTS target acceptance of a fit (see :class:`bayesgrowth.fitting.SamplerSettings`)."""

SHORT_HISTORY_DRAWS = 8000
"""Kept draws per chain for fits on the first 20 days of every download series (the DeepSeek
study; ``bayesgrowth backtest --draws`` for the download backtests). Twenty days say little about
the organisation means and spreads, which then mix slowly, about 3 effective draws per 100:
1,800 draws gave R-hat 1.024 and a bulk ESS of 108; 6,000 after 1,000 tuning steps gave ESS
588 (197 s) for the DeepSeek fit but 330 and 392 for the two backtest fits, so 8,000. The same
lengths meet the bar for the fine-tune fits on the first months of every series (``bayesgrowth
backtest --history K``, with :data:`SHORT_HISTORY_TARGET_ACCEPT`: K = 1, 2, 3, 6 gave R-hat
1.0026, 1.0027, 1.0019, 1.0012 and ESS 667, 461, 601, 2,295; K = 3 with 500 draws gave R-hat
1.080, ESS 20)."""

SHORT_HISTORY_TUNE = 1000
"""Tuning steps per chain that go with :data:`SHORT_HISTORY_DRAWS`."""

SHORT_HISTORY_TARGET_ACCEPT = 0.97
"""NUTS target acceptance for fine-tune fits on the first months of every series (``bayesgrowth
backtest --history``). From one month (``--history 1``) the curve's level is all a series
shows, the hierarchy is left mostly to its priors, and its funnels are tight: at 0.9, 14 to 33
divergences per fit; at 0.97, none (2 × 8,000 draws, R-hat 1.003, bulk ESS 667, 69 s), but 5
on the floating-point path of the eighth round's Φ (the same model), and at 0.99 none with
R-hat 1.0096: the one-month fit sits at the edge of the bar (``results/backtest-history1``)."""

AS_OF_DRAWS = 4000
AS_OF_TUNE = 700
"""Sampler lengths of the refit in an as-of backtest of fine-tunes (``bayesgrowth backtest
--as-of``): on the 2024-08-18 history (2,405 series) the organisation means mix more slowly
than on the full snapshot; 500 draws gave R-hat 1.045 and ESS 65, 1,800 R-hat 1.020 and ESS
225, 4,000 R-hat 1.0078 and ESS 479 in 476 s (``results/backtest-bayes``)."""
