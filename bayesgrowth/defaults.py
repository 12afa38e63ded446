"""Default sampler lengths, in a module light enough for the command line to import.

1,800 kept draws per chain after 700 tuning steps, 2 chains: on the full fine-tune snapshot
(3,903 series) the slowest quantities reach a bulk ESS of about 400–450 with R-hat below 1.01,
in about 13 minutes on 2 cores (``results/benchmark-fit``: 768 s, ESS 410, R-hat 1.0071; with
1,000 tuning steps the same model took 903 s for ESS 438). The full
download snapshot (830 series, every day) with 1,000 tuning steps: 398 s, ESS 532, R-hat 1.0069
(``results/benchmark-fit-downloads``).
"""

DRAWS = 1800
TUNE = 700
