#!/usr/bin/env bash
# mgtrial against its peers (numpy, rpact, statsmodels, MASS) on one thread, in one command from
# the repository root:  bash benches/peers/run.sh
# MGTRIAL=/path/to/mgtrial uses that binary; without it the crate is built (cargo build
# --release) and target/release/mgtrial is used. See peers.py for what is timed and how.
# Needs: python3 with numpy, scipy, statsmodels (pip install numpy scipy statsmodels pandas) and
# Rscript with rpact and MASS (Debian: apt-get install r-base-core r-cran-rpact r-cran-mass).
set -euo pipefail
cd "$(dirname "$0")/../.."
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 VECLIB_MAXIMUM_THREADS=1 NUMEXPR_NUM_THREADS=1
exec python3 benches/peers/peers.py "$@"
