# rpact's simulation of the textbook trial (scenarios/textbook.toml: effect 0.5 SD, 64 per arm,
# alpha 0.05 two-sided), timed for benches/peers/peers.py, which runs it as
#   Rscript benches/peers/rpact_textbook.R ITERATIONS_SMALL ITERATIONS_BIG REPEATS
# and reads the lines starting with "rpact".
#
# What rpact simulates: getSimulationMeans on a one-stage (kMax = 1) design, one-sided alpha
# 0.025 (rpact's simulations are one-sided; the lower tail of the two-sided test adds ~1e-8 of
# power here), groups = 2, alternative = 0.5, stDev = 1, plannedSubjects = 128 (both arms),
# normalApproximation = FALSE (a t-test). rpact 3.3.4 draws no participants: per simulated trial
# it draws the test statistic itself, one normal and one chi-square (getRandomTDistribution in
# its src/f_utilities.cpp: rnorm(ncp) / sqrt(rchisq(df) / df), df = 126, pooled-variance t), so
# its cost per trial does not grow with n. Its time per participant is that per trial divided
# by 128, given only to set it beside the others.
#
# Each timing is one call of getSimulationMeans (its set-up included), measured in R with
# system.time (R's own start-up and package loading are not timed); REPEATS times each, for
# ITERATIONS_SMALL and ITERATIONS_BIG, so the caller can give both the whole call and the
# marginal cost per trial.
suppressMessages(library(rpact))
args <- as.numeric(commandArgs(trailingOnly = TRUE))
small <- args[1]
big <- args[2]
repeats <- if (length(args) >= 3) args[3] else 3
design <- getDesignGroupSequential(kMax = 1, alpha = 0.025, sided = 1)
simulate <- function(iterations, seed) {
  getSimulationMeans(design, groups = 2, normalApproximation = FALSE, alternative = 0.5, stDev = 1,
                     plannedSubjects = 128, maxNumberOfIterations = iterations, seed = seed)
}
invisible(simulate(1000, 1))  # warm-up (first-call costs of the package)
for (r in seq_len(repeats)) {
  for (it in c(small, big)) {
    elapsed <- system.time(s <- simulate(it, 1000 + r))[["elapsed"]]
    cat(sprintf("rpact iterations %d elapsed %.6f power %.6f\n", as.integer(it), elapsed, s$overallReject))
  }
}
