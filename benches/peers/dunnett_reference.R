# Reference Dunnett critical values for mgtrial's src/analysis/dunnett.rs tests, from R's
# mvtnorm (Genz & Bretz): TVPACK (deterministic, for 2 and 3 comparisons) and Miwa (known
# variance), with the quantile's root found to 1e-9. Run: Rscript benches/peers/dunnett_reference.R
suppressMessages(library(mvtnorm))
corr_of <- function(sizes, control) {
  l <- sqrt(sizes / (sizes + control))
  r <- outer(l, l)
  diag(r) <- 1
  r
}
crit <- function(sizes, control, df, alpha, two_sided, algorithm) {
  r <- corr_of(sizes, control)
  m <- length(sizes)
  # CDF at upper corner u (lower bounds -Inf), so that TVPACK applies; a two-sided box by
  # inclusion-exclusion over its 2^m corners.
  cdf <- function(u) {
    p <- if (is.infinite(df)) pmvnorm(upper = u, corr = r, algorithm = algorithm)
         else pmvt(upper = u, corr = r, df = df, algorithm = algorithm)
    as.numeric(p)
  }
  f <- function(c) {
    if (!two_sided) return(cdf(rep(c, m)) - (1 - alpha))
    total <- 0
    for (k in 0:(2^m - 1)) {
      signs <- ifelse(bitwAnd(k, 2^(0:(m - 1))) > 0, -1, 1)
      total <- total + prod(signs) * cdf(signs * c)
    }
    total - (1 - alpha)
  }
  uniroot(f, c(1, 8), tol = 1e-10)$root
}
cases <- list(
  list(sizes = c(40, 60), control = 50, df = 147, alpha = 0.05, two = TRUE, alg = TVPACK(abseps = 1e-14)),
  list(sizes = c(40, 60), control = 50, df = 147, alpha = 0.05, two = FALSE, alg = TVPACK(abseps = 1e-14)),
  list(sizes = c(30, 30, 30), control = 30, df = 115, alpha = 0.05, two = TRUE, alg = TVPACK(abseps = 1e-14)),
  list(sizes = c(30, 30, 30), control = 30, df = 10, alpha = 0.05, two = TRUE, alg = TVPACK(abseps = 1e-14)),
  list(sizes = c(20, 45, 90), control = 60, df = 8, alpha = 0.025, two = FALSE, alg = TVPACK(abseps = 1e-14)),
  list(sizes = c(25, 25, 25, 25), control = 50, df = Inf, alpha = 0.05, two = TRUE, alg = Miwa(steps = 4096)),
  list(sizes = c(25, 35, 45, 55), control = 50, df = Inf, alpha = 0.01, two = FALSE, alg = Miwa(steps = 4096))
)
for (k in cases) {
  c <- crit(k$sizes, k$control, k$df, k$alpha, k$two, k$alg)
  cat(sprintf("sizes %s control %g df %g alpha %g %s: %.7f\n", paste(k$sizes, collapse = ","), k$control, k$df,
              k$alpha, if (k$two) "two-sided" else "one-sided", c))
}
