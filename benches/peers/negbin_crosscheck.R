# Cross-check of src/analysis/negbin.rs against MASS::glm.nb (Debian's r-cran-mass).
# Prints a small Peikert-sized data set (attacks in weeks 9-12 against a 4-week baseline) and
# the fits that tests in negbin.rs reproduce: Rscript benches/peers/negbin_crosscheck.R
suppressMessages(library(MASS))
set.seed(1996)
n <- 81
treated <- rep(c(0, 1), c(38, 43))
rate <- rgamma(n, shape = 2.5, scale = 3.6 / 2.5)          # attacks per 4 weeks
baseline <- rpois(n, rate)
follow <- rpois(n, rate * ifelse(treated == 1, 0.6, 0.85))
z <- log(baseline + 1)
options(digits = 15)
cat("y:", follow, "\n")
cat("treated:", treated, "\n")
cat("baseline:", baseline, "\n")
full <- glm.nb(follow ~ treated + z, control = glm.control(epsilon = 1e-12, maxit = 100))
reduced <- glm.nb(follow ~ z, control = glm.control(epsilon = 1e-12, maxit = 100))
s <- summary(full)$coefficients
cat("coef:", sprintf("%.12f", coef(full)), "\n")
cat("se:", sprintf("%.12f", s[, 2]), "\n")
cat("theta:", sprintf("%.10f", full$theta), "\n")
cat("loglik:", sprintf("%.10f", as.numeric(logLik(full))), "\n")
cat("lr:", sprintf("%.10f", 2 * (as.numeric(logLik(full)) - as.numeric(logLik(reduced)))), "\n")
pois <- glm(follow ~ treated + z, family = poisson, control = glm.control(epsilon = 1e-14, maxit = 100))
cat("poisson coef:", sprintf("%.12f", coef(pois)), "\n")
cat("poisson se:", sprintf("%.12f", summary(pois)$coefficients[, 2]), "\n")
qp <- glm(follow ~ treated + z, family = quasipoisson, control = glm.control(epsilon = 1e-14, maxit = 100))
cat("quasipoisson se:", sprintf("%.12f", summary(qp)$coefficients[, 2]), "\n")
cat("quasipoisson dispersion:", sprintf("%.12f", summary(qp)$dispersion), "\n")
# Wilcoxon-Mann-Whitney on the change in counts, normal approximation with the tie
# correction and without continuity correction (src/analysis/wilcoxon.rs).
change <- follow - baseline
w <- wilcox.test(change[treated == 1], change[treated == 0], exact = FALSE, correct = FALSE)
cat("wilcoxon W:", sprintf("%.1f", w$statistic), " p:", sprintf("%.12f", w$p.value), "\n")
