"""Time statsmodels' NegativeBinomial (NB2, dispersion by maximum likelihood) on the data sets
that `cargo bench --bench count_fits -- --write DIR` writes:
python3 benches/peers/negbin_timing.py DIR/trials.csv"""
import sys
import time
import warnings

import numpy as np
import pandas as pd
import statsmodels.api as sm

warnings.simplefilter("ignore")
d = pd.read_csv(sys.argv[1])
trials = [g for _, g in d.groupby("trial")]


def fit_all():
    for t in trials:
        x = sm.add_constant(np.column_stack([t["treated"], np.log(t["baseline"] + 1.0)]))
        sm.NegativeBinomial(t["y"].to_numpy(), x, loglike_method="nb2").fit(disp=0)


fit_all()  # warm-up
t0 = time.perf_counter()
fit_all()
elapsed = time.perf_counter() - t0
print(f"statsmodels NegativeBinomial: {len(trials)} fits in {elapsed:.3f} s, {elapsed / len(trials) * 1e6:.0f} us per fit")
