# MASS::glm.nb on simulated migraine trials (scenarios/migraine_peikert1996.toml: 38 placebo +
# 43 active, NB2 regression of the follow-up attack count on treatment and ln(baseline + 1),
# dispersion by maximum likelihood, Wald test of the treatment coefficient), timed for
# benches/peers/peers.py, which writes the trials (simulated in numpy from mgtrial's count
# model) and runs
#   Rscript benches/peers/mass_negbin.R TRIALS.csv
# The CSV has columns trial, treated, baseline, y (completers only). One glm.nb fit per trial,
# with glm.nb's default control, as a user would call it; the fits are timed in R with
# system.time (R's start-up, package loading and reading the CSV are not timed). Prints one
# line starting with "MASS" for the caller: fits, elapsed seconds, rejections at |z| > 1.959964,
# and the fits that failed or warned (theta iteration or alternation limits).
suppressMessages(library(MASS))
d <- read.csv(commandArgs(trailingOnly = TRUE)[1])
d$z <- log(d$baseline + 1)
trials <- split(d, d$trial)
z_crit <- qnorm(0.975)
fit_all <- function() {
  rejected <- 0L
  failed <- 0L
  warned <- 0L
  for (t in trials) {
    fit <- withCallingHandlers(
      tryCatch(glm.nb(y ~ treated + z, data = t), error = function(e) NULL),
      warning = function(w) {
        warned <<- warned + 1L
        invokeRestart("muffleWarning")
      }
    )
    if (is.null(fit)) {
      failed <- failed + 1L
      next
    }
    s <- summary(fit)$coefficients
    if (abs(s["treated", 1] / s["treated", 2]) > z_crit) rejected <- rejected + 1L
  }
  c(rejected, failed, warned)
}
# Warm-up, untimed: 20 fits.
invisible(lapply(trials[seq_len(min(20, length(trials)))], function(t) suppressWarnings(glm.nb(y ~ treated + z, data = t))))
elapsed <- system.time(res <- fit_all())[["elapsed"]]
cat(sprintf("MASS fits %d elapsed %.6f rejected %d failed %d warned %d\n", length(trials), elapsed, res[1], res[2], res[3]))
