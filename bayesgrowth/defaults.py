"""Default sampler lengths, in a module light enough for the command line to import.

1,800 kept draws per chain after 1,000 tuning steps, 2 chains: on the full fine-tune snapshot
(3,903 series) the slowest quantities reach a bulk ESS of about 450 with R-hat below 1.01, in
about 14 minutes on 2 cores (``results/benchmark-fit``; before the recent-rate term, ESS 594 in
11 minutes, and 1,000 draws gave ESS 265).
"""

DRAWS = 1800
TUNE = 1000
