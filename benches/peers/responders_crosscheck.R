# Cross-check of src/analysis/responders.rs: Fisher's exact test and Pearson's chi-square
# with and without Yates' continuity correction, on 2x2 tables (responders / non-responders,
# active first): Rscript benches/peers/responders_crosscheck.R
tables <- list(c(10, 25, 12, 22), c(15, 28, 7, 31), c(3, 17, 0, 20), c(56, 14, 48, 32))
for (t in tables) {
  m <- matrix(t, nrow = 2, byrow = TRUE)  # rows: active, placebo; cols: responder, not
  f2 <- fisher.test(m)$p.value
  fg <- fisher.test(m, alternative = "greater")$p.value
  c0 <- suppressWarnings(chisq.test(m, correct = FALSE)$p.value)
  c1 <- suppressWarnings(chisq.test(m, correct = TRUE)$p.value)
  cat(sprintf("table %s: fisher two-sided %.12g greater %.12g; chisq %.12g yates %.12g\n",
              paste(t, collapse = " "), f2, fg, c0, c1))
}
