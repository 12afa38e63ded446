#!/usr/bin/env bash
# Re-record every figure of README.md: the issue-3 backtest, the issue-4/5 protocols, the fits of all
# fine-tune series on both axes and the Table 1 regeneration. Run from the repository root; each
# command prints its table and wall time.
set -euo pipefail
DATA="${BAYESGROWTH_DATA:-../shared/data/hf-paper-2025-02-18}"
OUT=results/backtest-baseline
run() { echo "+ $*"; local start=$SECONDS; "$@"; echo "wall: $((SECONDS - start)) s"; }

run bayesgrowth backtest --data "$DATA" --method paper,last-value,linear-trend --as-of 2024-08-18 --out "$OUT"
run bayesgrowth backtest --data "$DATA" --method paper,last-value,linear-trend --history 3 --out "$OUT/history-3"
run bayesgrowth backtest --data "$DATA" --method paper,last-value,linear-trend --first-days 20 --target-day 29 --out "$OUT/downloads-20-29"
run bayesgrowth baseline --data "$DATA" --axis years --out "$OUT/fits-finetunes-years.csv"
run bayesgrowth baseline --data "$DATA" --axis step --out "$OUT/fits-finetunes-step.csv"
run bayesgrowth paper-table --data "$DATA" --out results/paper-table1.csv
