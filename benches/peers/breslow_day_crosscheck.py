"""Cross-check of the Breslow-Day test with Tarone's correction (src/analysis/responders.rs)
against statsmodels' StratifiedTable.test_equal_odds: python3 benches/peers/breslow_day_crosscheck.py"""
import numpy as np
from statsmodels.stats.contingency_tables import StratifiedTable

# Strata of [[active responders, active non], [placebo responders, placebo non]].
cases = [
    [[[12, 18], [5, 25]], [[9, 21], [8, 22]]],
    [[[20, 10], [10, 20]], [[11, 19], [10, 20]]],
    [[[3, 27], [1, 29]], [[15, 15], [14, 16]]],
]
for c in cases:
    t = StratifiedTable([np.array(s, dtype=float) for s in c])
    plain = t.test_equal_odds(adjust=False)
    tarone = t.test_equal_odds(adjust=True)
    print(f"{c}: BD {plain.statistic:.12g} p {plain.pvalue:.12g}; Tarone {tarone.statistic:.12g} p {tarone.pvalue:.12g}")
