# Cross-check of ancova_interaction (src/analysis/ancova.rs) against R's lm on a small data
# set, printed for the test: Rscript benches/peers/interaction_crosscheck.R
set.seed(2026)
n <- 8
d <- expand.grid(i = 1:n, treat = c(0, 1), stratum = c(0, 1))
d$x <- round(rnorm(nrow(d), 20, 5), 1)
d$y <- round(d$x * 0.6 + 3 * d$treat * (d$stratum == 0) + 1 * d$treat * (d$stratum == 1) + rnorm(nrow(d), 0, 3), 1)
for (col in c("treat", "stratum", "x", "y")) cat(col, ":", paste(d[[col]], collapse = ", "), "\n")
f <- summary(lm(y ~ treat * stratum + x, data = d))$coefficients
cat(sprintf("treat:stratum %.12f se %.12f\n", f["treat:stratum", 1], f["treat:stratum", 2]))
