# Time MASS::glm.nb on the data sets that `cargo bench --bench count_fits -- --write DIR`
# writes: Rscript benches/peers/negbin_timing.R DIR/trials.csv
suppressMessages(library(MASS))
d <- read.csv(commandArgs(trailingOnly = TRUE)[1])
d$z <- log(d$baseline + 1)
trials <- split(d, d$trial)
fit_all <- function() for (t in trials) glm.nb(y ~ treated + z, data = t)
fit_all()  # warm-up
elapsed <- system.time(fit_all())[["elapsed"]]
cat(sprintf("MASS::glm.nb: %d fits in %.3f s, %.0f us per fit\n", length(trials), elapsed, elapsed / length(trials) * 1e6))
cat(sprintf("warnings (theta iteration or alternation limits): %d\n", length(warnings())))
