#!/usr/bin/env python3
"""mgtrial against its peers, on one thread: the driver of `bash benches/peers/run.sh` (issue 22,
point 5). Run from the repository root:

    bash benches/peers/run.sh                 # or: python3 benches/peers/peers.py
    MGTRIAL=/path/to/mgtrial bash benches/peers/run.sh   # an mgtrial binary already built

Without MGTRIAL it builds the crate (`cargo build --release`) and uses target/release/mgtrial
(or $CARGO_TARGET_DIR/release/mgtrial).
PEERS_SCALE (default 1) multiplies every workload's size (e.g. 0.1 for a quick try).
MGTRIAL_COMMIT labels the binary given by MGTRIAL (default: the commit of this repository).

What it times, the same simulated trials in mgtrial and in each peer, on one thread:

a. The textbook trial (scenarios/textbook.toml: no Mg status, normal outcome, effect 0.5 SD,
   64 per arm, Welch t-test on the change). numpy: blocks of 1000 trials x 128 participants
   drawn at once (one standard normal per participant, as mgtrial draws: the baseline is exact
   at reliability 1, so the change is the follow-up draw), a vectorized Welch t-test and its
   p-value from scipy.special.stdtr. rpact: getSimulationMeans on a one-stage design
   (rpact_textbook.R), which draws one test statistic per trial rather than participants.
b. The enriched depression trial (scenarios/depression_mgo_enriched.toml at 100 per arm), by
   the "conditional" method in numpy (enriched_numpy below): only those who pass screening are
   drawn, from the truncated reading mixture and then true status given the reading, as
   src/model/selection.rs does; adherence Beta, repletion, benefit, dropout, the end-of-trial
   reading, the observed baseline and follow-up on the bounded, rounded BDI-II scale, and
   ANCOVA (or Welch, as the scenario says), in blocks of 100 trials. The resolved numbers (max_effect from the
   calibration, defaults) are read from `mgtrial explain`. The model is checked against
   mgtrial: power and the other summaries of both are printed with the z of their difference.
c. The migraine count trial (scenarios/migraine_peikert1996.toml, 43 + 38, NB2 Wald test):
   trials simulated in numpy from mgtrial's count model (src/model/outcome/count.rs), each fitted
   by statsmodels' NegativeBinomial (nb2, dispersion by ML) and by MASS::glm.nb
   (mass_negbin.R). mgtrial runs with analysis.secondary = [] (and the responder rule removed,
   which nothing then uses), so only the NB Wald test runs.

mgtrial is timed as a whole process (`mgtrial run FILE --threads 1 --reps N --quiet --out
CSV`), start-up included, with N large enough for a few seconds; it is also run with few
replicates, and the difference of the two divided by the difference of the work is given as
the marginal cost (for the enriched trial this removes the ~0.5 s in which it solves
max_effect by simulation before its first replicate). Each timing is the median of REPEATS
runs. numpy and statsmodels are timed in this process with time.perf_counter (imports
excluded); R's peers inside R with system.time (R's start-up excluded). BLAS and OpenMP pools
are held to one thread (OMP_NUM_THREADS etc., set below before numpy is imported).
"""

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import csv
import datetime
import math
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
import warnings

import numpy as np
import scipy
import scipy.special as sp
import statsmodels
import statsmodels.api as sm

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
SCALE = float(os.environ.get("PEERS_SCALE", "1"))
REPEATS = 5


def scaled(n, minimum=1):
    return max(minimum, int(round(n * SCALE)))


# Work sizes: each timed run lasts a few seconds on the 2-core development machine.
TEXTBOOK_REPS = scaled(4_000_000, 10_000)  # mgtrial, 128 participants each
TEXTBOOK_NUMPY_TRIALS = scaled(1_000_000, 2_000)  # numpy, in blocks of 1000
RPACT_ITERATIONS = scaled(400_000, 10_000)
ENRICHED_REPS = scaled(300_000, 4_000)  # mgtrial, 200 enrolled each
ENRICHED_NUMPY_TRIALS = scaled(100_000, 2_000)
CHECK_N30_TRIALS = scaled(40_000, 2_000)  # the sharper model check at 30 per arm (power ~0.65)
MIGRAINE_REPS = scaled(100_000, 2_000)  # mgtrial, NB fits
MIGRAINE_PEER_TRIALS = scaled(1_000, 50)  # statsmodels and MASS fits (~3 ms each)
SMALL_REPS = {"textbook": 10_000, "enriched": 2_000, "migraine": 1_000}

TEXTBOOK = "scenarios/textbook.toml"
ENRICHED = "scenarios/depression_mgo_enriched.toml"
MIGRAINE = "scenarios/migraine_peikert1996.toml"
ENRICHED_SET = ["design.n_per_arm=100"]
MIGRAINE_SET = ["analysis.secondary=[]", "analysis.responder={}"]


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT, **kw)


def sets(pairs):
    return [a for p in pairs for a in ("--set", p)]


# ---------------------------------------------------------------------------------------------
# mgtrial


def find_mgtrial():
    given = os.environ.get("MGTRIAL")
    if given:
        return os.path.abspath(given), "MGTRIAL"
    print("MGTRIAL not set: cargo build --release ...", flush=True)
    subprocess.run(["cargo", "build", "--release", "--quiet"], check=True, cwd=ROOT)
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
    return os.path.join(os.path.abspath(target), "release", "mgtrial"), "cargo build --release"


def mgtrial_run(mgtrial, scenario, extra_sets, reps, out, seed=None):
    """Runs mgtrial on one thread; returns (wall seconds of the whole process, first CSV row)."""
    cmd = [mgtrial, "run", scenario, *sets(extra_sets), "--threads", "1", "--reps", str(reps), "--quiet", "--out", out]
    if seed is not None:
        cmd += ["--seed", str(seed)]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    with open(out, newline="") as f:
        row = next(csv.DictReader(f))
    return wall, row


def mgtrial_timing(mgtrial, scenario, extra_sets, big, small, tmp, tag):
    """Median whole-process wall time at `big` and `small` replicates over REPEATS runs each,
    alternated; the CSV row of the last big run."""
    walls_big, walls_small = [], []
    row = None
    for r in range(REPEATS):
        w, _ = mgtrial_run(mgtrial, scenario, extra_sets, small, os.path.join(tmp, f"{tag}_small.csv"))
        walls_small.append(w)
        w, row = mgtrial_run(mgtrial, scenario, extra_sets, big, os.path.join(tmp, f"{tag}_big.csv"))
        walls_big.append(w)
    return statistics.median(walls_big), statistics.median(walls_small), row, walls_big


def explain(mgtrial, scenario, extra_sets):
    """The resolved scenario (TOML part of `mgtrial explain`) and its derived lines."""
    text = run([mgtrial, "explain", scenario, *sets(extra_sets)]).stdout
    head, _, derived = text.partition("# Derived quantities")
    return tomllib.loads(head), derived


# ---------------------------------------------------------------------------------------------
# a. Textbook trial in numpy: vectorized draws and Welch t-test.


def textbook_numpy(trials, seed, n=64, delta=0.5, alpha=0.05, block=1000):
    """Returns (seconds, power). Per participant one standard normal (the change score with SD 1);
    per trial the Welch statistic and its two-sided p-value."""
    rng = np.random.default_rng(seed)
    rejected = 0
    blocks = trials // block
    t0 = time.perf_counter()
    for _ in range(blocks):
        p = rng.standard_normal((block, n))
        a = rng.standard_normal((block, n))
        a += delta
        mp, ma = p.mean(axis=1), a.mean(axis=1)
        qp, qa = p.var(axis=1, ddof=1) / n, a.var(axis=1, ddof=1) / n
        se2 = qp + qa
        t = (ma - mp) / np.sqrt(se2)
        df = se2 * se2 / (qp * qp / (n - 1) + qa * qa / (n - 1))
        rejected += int(np.count_nonzero(2.0 * sp.stdtr(df, -np.abs(t)) < alpha))
    return time.perf_counter() - t0, rejected / (blocks * block)


def rpact_textbook(iterations_small, iterations_big):
    out = run(["Rscript", os.path.join(HERE, "rpact_textbook.R"), str(iterations_small), str(iterations_big), str(REPEATS)]).stdout
    times = {iterations_small: [], iterations_big: []}
    powers = []
    for line in out.splitlines():
        m = re.match(r"rpact iterations (\d+) elapsed ([\d.]+) power ([\d.]+)", line)
        if m:
            times[int(m.group(1))].append(float(m.group(2)))
            if int(m.group(1)) == iterations_big:
                powers.append(float(m.group(3)))
    return statistics.median(times[iterations_big]), statistics.median(times[iterations_small]), powers


# ---------------------------------------------------------------------------------------------
# b. Enriched depression trial in numpy, by the conditional method.


class EnrichedModel:
    """The numbers of src/engine/plan.rs for a scale outcome with Mg status, from `explain`."""

    def __init__(self, resolved, derived):
        s = resolved
        pop, bio, sel = s["population"], s["biomarker"], s["selection"]
        if pop["model"] == "mixture":
            w = pop["deficiency_prevalence"]
            comps = [
                (w, pop["deficient_mean_mmol_per_l"], pop["deficient_sd_mmol_per_l"]),
                (1.0 - w, pop["replete_mean_mmol_per_l"], pop["replete_sd_mmol_per_l"]),
            ]
        elif pop["model"] == "normal":
            comps = [(1.0, pop["mean_mmol_per_l"], pop["sd_mmol_per_l"])]
        else:
            raise SystemExit("the enriched model needs Mg status")
        if sel["mode"] != "enrich":
            raise SystemExit("the conditional method here is written for selection.mode = enrich")
        self.target = pop["replete_target_mmol_per_l"]
        self.cutoff = pop["deficiency_cutoff_mmol_per_l"]
        # biomarker.rs: reading = scale m + bias + lasting error + occasion error.
        self.a, self.bias = bio["scale"], bio["bias"]
        vp = bio["persistent_sd"] ** 2
        vr = bio["repeat_sd"] ** 2 / bio["repeats"]
        s_err = math.sqrt(vp + vr)
        self.normal_low = bio["normal_low"]
        t = sel["threshold"]
        # selection.rs: per component the reading's mean and SD, the truncation point beta,
        # P(reading < t), and the regression of status on the reading.
        self.comp = []
        for w, mu, sd in comps:
            var_b = self.a**2 * sd**2 + s_err**2
            rm = self.a * mu + self.bias
            beta = (t - rm) / math.sqrt(var_b)
            self.comp.append(
                dict(w=w, mu=mu, rm=rm, rsd=math.sqrt(var_b), pass_p=float(sp.ndtr(beta)),
                     gain=self.a * sd**2 / var_b, sdg=sd * s_err / math.sqrt(var_b))
            )
        passing = [c["w"] * c["pass_p"] for c in self.comp]
        self.pass_probability = sum(passing)
        self.first_among_passers = passing[0] / self.pass_probability
        self.lasting_share = vp / (vp + vr) if vp + vr > 0 else 0.0
        self.end_error_sd = math.sqrt(self.lasting_share * vr + vr)
        # Arms (plan.rs, intervention.rs): absorbed = F dose adherence, adherence ~ Beta.
        self.arms = []
        for arm in s["arms"]:
            d = dict(name=arm["name"], active=arm["kind"] == "active", n=arm.get("n") or arm.get("allocation", 1) * s["design"]["n_per_arm"],
                     dropout=arm["dropout"])
            if d["active"]:
                m = re.search(r"arm %s: F ([\d.]+) x" % re.escape(arm["name"]), derived)
                d["F"] = float(arm["bioavailability"]) if "bioavailability" in arm else float(m.group(1))
                d["dose"] = arm["dose_mg_per_day"]
                d["adh_mean"], d["adh_conc"] = arm["adherence_mean"], arm["adherence_concentration"]
            self.arms.append(d)
        assert [a["active"] for a in self.arms] == [False, True], "placebo then one active arm"
        # response.rs
        r = s["response"]
        self.max_effect = r["max_effect"]
        self.ref_deficit = r["ref_deficit_mmol_per_l"]
        self.effect_replete = r.get("effect_replete", 0.0)
        self.a50 = r["a50_mg_per_day"]
        self.time_factor = -math.expm1(-s["design"]["duration_weeks"] / r["tau_weeks"])
        # outcome/scale.rs: observed baseline, then follow-up given it, by regression.
        o = s["outcome"]
        lower = o["direction"] == "lower_is_better"
        toward_benefit = -1.0 if lower else 1.0
        self.sign = toward_benefit
        self.mu0, sd0 = o["baseline_mean"], o["baseline_sd"]
        rel = o["reliability"]
        e = math.sqrt(sd0**2 * (1 - rel) / rel / o["assessments"])
        noise = math.hypot(o["change_sd"], e)
        var0, var_x = sd0**2, sd0**2 + e**2
        self.sx = math.sqrt(var_x)
        self.b = var0 / var_x
        self.sy_x = math.sqrt(var0 * e**2 / var_x + noise**2)
        self.common_change = toward_benefit * (o.get("natural_improvement", 0.0) + o["placebo_improvement"])
        self.lo, self.hi, self.integer = o["min"], o["max"], o["integer"]
        a = s["analysis"]
        self.test, self.alpha, self.two_sided = a["test"], a["alpha"], a["sided"] == "two"
        assert self.test in ("ancova", "welch"), self.test

    def observe(self, v):
        v = np.clip(v, self.lo, self.hi)
        return np.rint(v) if self.integer else v  # np.rint rounds half to even, as mgtrial

    def arm(self, rng, trials, arm):
        """One arm of `trials` trials: every enrolled participant drawn at once, (trials, n)."""
        shape = (trials, arm["n"])
        c0, c1 = self.comp[0], self.comp[-1]
        first = rng.random(shape) < self.first_among_passers if len(self.comp) == 2 else np.ones(shape, bool)
        pick = lambda k: np.where(first, c0[k], c1[k])
        # The reading truncated below the threshold, by inversion: z = Phi^-1(U Phi(beta)).
        z = sp.ndtri(rng.random(shape) * pick("pass_p"))
        rm = pick("rm")
        reading = rm + pick("rsd") * z
        m = pick("mu") + pick("gain") * (reading - rm) + pick("sdg") * rng.standard_normal(shape)
        deficit = np.maximum(self.target - m, 0.0)
        if arm["active"]:
            mean, conc = arm["adh_mean"], arm["adh_conc"]
            adherence = rng.beta(mean * conc, (1 - mean) * conc, shape)
            absorbed = arm["F"] * arm["dose"] * adherence
            repleted = deficit * (self.time_factor * absorbed / (absorbed + self.a50))
            benefit = np.where(deficit > 0.0, self.max_effect * repleted / self.ref_deficit, self.effect_replete)
        else:
            repleted = 0.0
            benefit = np.zeros(shape)
        completed = rng.random(shape) >= arm["dropout"]
        # End-of-trial reading: lasting error carried over from screening, a fresh occasion error.
        err = reading - (self.a * m + self.bias)
        end = self.a * (m + repleted) + self.bias + self.lasting_share * err + self.end_error_sd * rng.standard_normal(shape)
        normal_end = np.count_nonzero((end >= self.normal_low) & completed, axis=1)
        # Observed baseline and follow-up on the scale, centred on the baseline mean.
        dx = self.sx * rng.standard_normal(shape)
        y = self.mu0 + (self.common_change + self.sign * benefit) + self.b * dx + self.sy_x * rng.standard_normal(shape)
        x = self.observe(self.mu0 + dx) - self.mu0
        y = self.observe(y) - self.mu0
        w = completed.astype(float)
        wx, wy = w * x, w * y
        sums = dict(n=w.sum(1), sx=wx.sum(1), sy=wy.sum(1), sxx=(wx * x).sum(1), sxy=(wx * y).sum(1), syy=(wy * y).sum(1))
        # Those turned away before the arm's n passes: negative binomial, once per arm.
        screened = arm["n"] + rng.negative_binomial(arm["n"], self.pass_probability, trials)
        return dict(sums=sums, benefit_sum=benefit.sum(1), deficient=np.count_nonzero(m < self.cutoff, axis=1),
                    normal_end=normal_end, completers=sums["n"], screened=screened, n=arm["n"])

    def analyse(self, p, a):
        """ANCOVA (follow-up on treatment and baseline) or Welch on the change, per trial."""
        P, A = p["sums"], a["sums"]
        if self.test == "ancova":
            mxp, mxa, myp, mya = P["sx"] / P["n"], A["sx"] / A["n"], P["sy"] / P["n"], A["sy"] / A["n"]
            sxx = (P["sxx"] - P["sx"] * mxp) + (A["sxx"] - A["sx"] * mxa)
            sxy = (P["sxy"] - P["sx"] * myp) + (A["sxy"] - A["sx"] * mya)
            syy = (P["syy"] - P["sy"] * myp) + (A["syy"] - A["sy"] * mya)
            slope = sxy / sxx
            effect = (mya - myp) - slope * (mxa - mxp)
            df = P["n"] + A["n"] - 3.0
            s2 = (syy - slope * sxy) / df
            se = np.sqrt(s2 * (1.0 / P["n"] + 1.0 / A["n"] + (mxa - mxp) ** 2 / sxx))
        else:
            def moments(c):
                mean = (c["sy"] - c["sx"]) / c["n"]
                ss = c["syy"] - 2 * c["sxy"] + c["sxx"]
                return mean, np.maximum((ss - c["n"] * mean * mean) / (c["n"] - 1), 0.0)
            (mp, vp), (ma, va) = moments(P), moments(A)
            qp, qa = vp / P["n"], va / A["n"]
            effect = ma - mp
            se = np.sqrt(qp + qa)
            df = (qp + qa) ** 2 / (qp * qp / (P["n"] - 1) + qa * qa / (A["n"] - 1))
        estimate = self.sign * effect
        t = estimate / se
        p_value = 2.0 * sp.stdtr(df, -np.abs(t)) if self.two_sided else sp.stdtr(df, -t)
        return estimate, p_value < self.alpha

    def simulate(self, trials, seed, block=100):
        """Returns (seconds, per-trial summaries). Blocks of 100 trials (10,000 participants per
        array) were the fastest of 25 to 1000 on the development machine (cache-sized arrays)."""
        rng = np.random.default_rng(seed)
        keep = {k: [] for k in ("reject", "estimate", "true_effect", "deficient", "screened", "normal_p", "compl_p", "normal_a", "compl_a")}
        t0 = time.perf_counter()
        for start in range(0, trials, block):
            b = min(block, trials - start)
            p = self.arm(rng, b, self.arms[0])
            a = self.arm(rng, b, self.arms[1])
            estimate, reject = self.analyse(p, a)
            keep["reject"].append(reject)
            keep["estimate"].append(estimate)
            keep["true_effect"].append(a["benefit_sum"] / a["n"])
            keep["deficient"].append(p["deficient"] + a["deficient"])
            keep["screened"].append(p["screened"] + a["screened"])
            keep["normal_p"].append(p["normal_end"])
            keep["compl_p"].append(p["completers"])
            keep["normal_a"].append(a["normal_end"])
            keep["compl_a"].append(a["completers"])
        seconds = time.perf_counter() - t0
        return seconds, {k: np.concatenate(v) for k, v in keep.items()}


def compare_enriched(label, row, res, enrolled):
    """Lines comparing mgtrial's CSV row with the numpy model's per-trial results; z is the
    difference over its standard error (both sides' Monte Carlo errors)."""
    R = len(res["reject"])
    Rm = float(row["reps"])
    lines = [f"  {label}: mgtrial {int(Rm)} trials (seed {row['seed']}), numpy {R} trials"]
    def line(name, m, n, se_m, se_n, fmt="{:.4f}"):
        z = (n - m) / math.hypot(se_m, se_n)
        lines.append(f"    {name:<34} mgtrial {fmt.format(m):>9}  numpy {fmt.format(n):>9}  z {z:+.2f}")
        return z
    zs = []
    p_m, p_n = float(row["power"]), res["reject"].mean()
    zs.append(line("power", p_m, p_n, math.sqrt(p_m * (1 - p_m) / Rm), math.sqrt(p_n * (1 - p_n) / R)))
    est = res["estimate"]
    sd = est.std(ddof=1)
    zs.append(line("mean estimate (points)", float(row["mean_estimate"]), est.mean(), float(row["sd_estimate"]) / math.sqrt(Rm), sd / math.sqrt(R)))
    zs.append(line("SD of the estimate", float(row["sd_estimate"]), sd, float(row["sd_estimate"]) / math.sqrt(2 * (Rm - 1)), sd / math.sqrt(2 * (R - 1))))
    te = res["true_effect"]
    zs.append(line("true effect (mean benefit, active)", float(row["true_effect"]), te.mean(), te.std(ddof=1) / math.sqrt(Rm), te.std(ddof=1) / math.sqrt(R)))
    def share(name, m, num, den):
        n = num.sum() / den.sum()
        zs.append(line(name, m, n, math.sqrt(m * (1 - m) / (den.sum() * Rm / R)), math.sqrt(n * (1 - n) / den.sum())))
    share("PPV (enrolled truly deficient)", float(row["ppv_deficient"]), res["deficient"], np.full(R, float(enrolled)))
    share("normal Mg at end, placebo", float(row["normal_at_end_placebo"]), res["normal_p"], res["compl_p"])
    share("normal Mg at end, active", float(row["normal_at_end_active"]), res["normal_a"], res["compl_a"])
    scr = res["screened"] / enrolled
    zs.append(line("screened per enrolled", float(row["screened_per_enrolled"]), scr.mean(), scr.std(ddof=1) / math.sqrt(Rm), scr.std(ddof=1) / math.sqrt(R), "{:.3f}"))
    worst = max(abs(z) for z in zs)
    lines.append(f"    largest |z| {worst:.2f} over {len(zs)} summaries: "
                 + ("agree within Monte Carlo error" if worst < 3.5 else "DISAGREE beyond Monte Carlo error"))
    return lines, worst


# ---------------------------------------------------------------------------------------------
# c. Migraine count trials: data in numpy, NB2 fits by statsmodels and by MASS::glm.nb.


def migraine_numpy(resolved, derived, trials, seed):
    """Completers' (treated, baseline, follow-up) per trial from the count model of
    src/model/outcome/count.rs and the repletion response (all comers: true status from the
    population mixture; the screening and end-of-trial readings, which the NB analysis does not
    use, are not drawn). Returns (seconds, list of (treated, baseline, y) arrays)."""
    s = resolved
    pop, o, r = s["population"], s["outcome"], s["response"]
    assert s["selection"]["mode"] == "all_comers" and o["count"] == "attacks" and o.get("period_cv", 0.0) == 0.0
    w = pop["deficiency_prevalence"]
    theta = o["theta"]
    mean_rate = o["baseline_mean"] * 4.0 / o["baseline_weeks"]  # attacks per 4 weeks
    placebo_rr = 1.0 - o["placebo_reduction_percent"] / 100.0  # attacks: the fall is 1 - ratio
    max_effect = -math.log(r["max_rate_ratio"])
    effect_replete = -math.log(r.get("replete_rate_ratio", 1.0))
    time_factor = -math.expm1(-s["design"]["duration_weeks"] / r["tau_weeks"])
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    cols = []
    for arm in s["arms"]:
        n = arm["n"]
        shape = (trials, n)
        deficient = rng.random(shape) < w
        m = np.where(deficient, pop["deficient_mean_mmol_per_l"], pop["replete_mean_mmol_per_l"]) + np.where(
            deficient, pop["deficient_sd_mmol_per_l"], pop["replete_sd_mmol_per_l"]) * rng.standard_normal(shape)
        deficit = np.maximum(pop["replete_target_mmol_per_l"] - m, 0.0)
        if arm["kind"] == "active":
            F = float(re.search(r"arm %s: F ([\d.]+) x" % re.escape(arm["name"]), derived).group(1))
            mean, conc = arm["adherence_mean"], arm["adherence_concentration"]
            absorbed = F * arm["dose_mg_per_day"] * rng.beta(mean * conc, (1 - mean) * conc, shape)
            repleted = deficit * time_factor * absorbed / (absorbed + r["a50_mg_per_day"])
            benefit = np.where(deficit > 0, max_effect * repleted / r["ref_deficit_mmol_per_l"], effect_replete)
        else:
            benefit = np.zeros(shape)
        completed = rng.random(shape) >= arm["dropout"]
        rate = rng.gamma(theta, mean_rate / theta, shape)
        baseline = rng.poisson(rate * o["baseline_weeks"] / 4.0)
        follow = rng.poisson(rate * placebo_rr * np.exp(-benefit) * o["followup_weeks"] / 4.0)
        cols.append((float(arm["kind"] == "active"), completed, baseline, follow))
    data = []
    for t in range(trials):
        tr, b, y = [], [], []
        for treated, completed, baseline, follow in cols:
            k = completed[t]
            tr.append(np.full(k.sum(), treated))
            b.append(baseline[t][k])
            y.append(follow[t][k])
        data.append((np.concatenate(tr), np.concatenate(b), np.concatenate(y)))
    return time.perf_counter() - t0, data


def statsmodels_fits(data):
    """NegativeBinomial (nb2; alpha = 1/theta by ML, statsmodels' default fit) per trial: y on
    1, treated, ln(baseline + 1); Wald z of treated. Returns (seconds, rejections, not converged)."""
    z_crit = sp.ndtri(0.975)
    rejected = not_converged = 0
    warnings.simplefilter("ignore")
    for tr, b, y in data[:20]:  # warm-up
        sm.NegativeBinomial(y, np.column_stack([np.ones(len(y)), tr, np.log(b + 1.0)]), loglike_method="nb2").fit(disp=0)
    t0 = time.perf_counter()
    for tr, b, y in data:
        x = np.column_stack([np.ones(len(y)), tr, np.log(b + 1.0)])
        fit = sm.NegativeBinomial(y, x, loglike_method="nb2").fit(disp=0)
        rejected += bool(abs(fit.params[1] / fit.bse[1]) > z_crit)
        not_converged += not fit.mle_retvals.get("converged", True)
    return time.perf_counter() - t0, rejected, not_converged


def mass_fits(data, tmp):
    path = os.path.join(tmp, "migraine_trials.csv")
    with open(path, "w") as f:
        f.write("trial,treated,baseline,y\n")
        for i, (tr, b, y) in enumerate(data):
            for row in zip(tr, b, y):
                f.write(f"{i},{int(row[0])},{row[1]},{row[2]}\n")
    out = run(["Rscript", os.path.join(HERE, "mass_negbin.R"), path]).stdout
    m = re.search(r"MASS fits (\d+) elapsed ([\d.]+) rejected (\d+) failed (\d+) warned (\d+)", out)
    return float(m.group(2)), int(m.group(3)), int(m.group(4)), int(m.group(5))


# ---------------------------------------------------------------------------------------------


def versions(mgtrial, origin):
    r = run(["Rscript", "-e", 'cat(R.version.string, "|", as.character(packageVersion("rpact")), "|", as.character(packageVersion("MASS")))']).stdout
    r_version, rpact_version, mass_version = [x.strip() for x in r.split("|")]
    git = lambda *a: subprocess.run(["git", *a], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    commit = os.environ.get("MGTRIAL_COMMIT") or git("rev-parse", "--short=12", "HEAD")
    dirty = git("status", "--porcelain", "--", "src", "Cargo.toml", "Cargo.lock", "build.rs")
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "")
    except OSError:
        pass
    lines = [
        f"date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"machine: {platform.machine()}, {os.cpu_count()} logical CPUs, {cpu}; load average {os.getloadavg()[0]:.2f} at start",
        f"mgtrial: {mgtrial} ({origin}); commit {commit}"
        + ("" if os.environ.get("MGTRIAL_COMMIT") or not dirty else " + uncommitted changes in src/ or Cargo files")
        + ("" if origin != "MGTRIAL" or os.environ.get("MGTRIAL_COMMIT") else " (HEAD of this repository; the binary's own source is not checked)"),
        f"python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, statsmodels {statsmodels.__version__}",
        f"{r_version}, rpact {rpact_version}, MASS {mass_version}",
        f"one thread everywhere: mgtrial --threads 1; OMP/OPENBLAS/MKL_NUM_THREADS={os.environ['OMP_NUM_THREADS']}; medians of {REPEATS} runs where repeated",
    ]
    return lines


def fmt(v, digits=3):
    return f"{v:.{digits}g}" if v < 1000 else f"{v:.0f}"


def main():
    t_start = time.perf_counter()
    mgtrial, origin = find_mgtrial()
    for line in versions(mgtrial, origin):
        print(line)
    print(flush=True)
    tmp = tempfile.mkdtemp(prefix="mgtrial-peers-")
    table = []  # (workload, unit, mgtrial whole, mgtrial marginal, peer, peer value)
    notes = []
    problems = []
    try:
        # a. textbook ---------------------------------------------------------------------
        print(f"[a] textbook, 64 + 64, Welch: mgtrial {TEXTBOOK_REPS} trials x {REPEATS} ...", flush=True)
        big, small, row, _ = mgtrial_timing(mgtrial, TEXTBOOK, [], TEXTBOOK_REPS, SMALL_REPS["textbook"], tmp, "textbook")
        per = 128
        m_whole = big / (TEXTBOOK_REPS * per) * 1e9
        m_marg = (big - small) / ((TEXTBOOK_REPS - SMALL_REPS["textbook"]) * per) * 1e9
        print(f"    mgtrial: {big:.3f} s for {TEXTBOOK_REPS} trials (few-reps run {small:.3f} s); power {float(row['power']):.4f}")
        tn = []
        for r in range(REPEATS):
            sec, pw = textbook_numpy(TEXTBOOK_NUMPY_TRIALS, seed=100 + r)
            tn.append(sec)
        sec = statistics.median(tn)
        n_whole = sec / (TEXTBOOK_NUMPY_TRIALS * per) * 1e9
        print(f"    numpy: {sec:.3f} s for {TEXTBOOK_NUMPY_TRIALS} trials; power {pw:.4f}")
        table.append(("textbook 64+64 (Welch)", "ns/participant", m_whole, m_marg, "numpy, blocks of 1000 trials", n_whole))
        print(f"[a] rpact getSimulationMeans, {RPACT_ITERATIONS} iterations x {REPEATS} ...", flush=True)
        r_small_it = max(1000, RPACT_ITERATIONS // 40)
        r_big, r_small, r_powers = rpact_textbook(r_small_it, RPACT_ITERATIONS)
        rp_trial = r_big / RPACT_ITERATIONS * 1e6
        rp_marg = (r_big - r_small) / (RPACT_ITERATIONS - r_small_it) * 1e6
        print(f"    rpact: {r_big:.3f} s for {RPACT_ITERATIONS} trials ({r_small:.3f} s for {r_small_it}); power {r_powers[-1]:.4f} "
              f"(one-sided 0.025, pooled t)")
        table.append(("textbook 64+64", "us/trial", m_whole * per / 1e3, m_marg * per / 1e3, "rpact getSimulationMeans", rp_trial))
        table.append(("textbook 64+64", "ns/participant", m_whole, m_marg, "rpact (per trial / 128)", rp_trial * 1e3 / per))
        notes.append(f"rpact draws one test statistic per trial (a normal over a chi-square), not participants; its marginal cost "
                     f"is {rp_marg:.2f} us per trial, its whole call {rp_trial:.2f} us.")
        print(f"    textbook power: closed form 0.8015; mgtrial {float(row['power']):.4f} (SE {float(row['power_mc_se']):.4f}); "
              f"numpy {pw:.4f} (SE {math.sqrt(pw * (1 - pw) / TEXTBOOK_NUMPY_TRIALS):.4f}); rpact {r_powers[-1]:.4f} "
              f"(SE {math.sqrt(r_powers[-1] * (1 - r_powers[-1]) / RPACT_ITERATIONS):.4f})", flush=True)

        # b. enriched ---------------------------------------------------------------------
        print(f"[b] enriched depression, 100 + 100, {ENRICHED_SET}: mgtrial {ENRICHED_REPS} trials x {REPEATS} ...", flush=True)
        t0 = time.perf_counter()
        resolved, derived = explain(mgtrial, ENRICHED, ENRICHED_SET)
        explain_sec = time.perf_counter() - t0
        model = EnrichedModel(resolved, derived)
        enrolled = sum(a["n"] for a in model.arms)
        big, small, row, _ = mgtrial_timing(mgtrial, ENRICHED, ENRICHED_SET, ENRICHED_REPS, SMALL_REPS["enriched"], tmp, "enriched")
        m_whole = big / (ENRICHED_REPS * enrolled) * 1e9
        m_marg = (big - small) / ((ENRICHED_REPS - SMALL_REPS["enriched"]) * enrolled) * 1e9
        print(f"    mgtrial: {big:.3f} s for {ENRICHED_REPS} trials; {small:.3f} s for {SMALL_REPS['enriched']} "
              f"(calibration of max_effect = {model.max_effect:.6f} and start-up; `explain` alone {explain_sec:.2f} s)")
        tn = []
        for r in range(REPEATS):
            sec, res = model.simulate(ENRICHED_NUMPY_TRIALS, seed=200 + r)
            tn.append(sec)
        sec = statistics.median(tn)
        n_whole = sec / (ENRICHED_NUMPY_TRIALS * enrolled) * 1e9
        print(f"    numpy conditional: {sec:.3f} s for {ENRICHED_NUMPY_TRIALS} trials", flush=True)
        table.append(("enriched depression 100+100 (ANCOVA)", "ns/enrolled", m_whole, m_marg, "numpy, conditional method, blocks of 100 trials", n_whole))
        print("    model check (numpy's last timed run against mgtrial's last big run):")
        lines, worst = compare_enriched("100 per arm", row, res, enrolled)
        print("\n".join(lines))
        if worst >= 3.5:
            problems.append("enriched, 100 per arm: the numpy model and mgtrial disagree beyond Monte Carlo error (see above)")
        n30 = ["design.n_per_arm=30"]
        resolved30, derived30 = explain(mgtrial, ENRICHED, n30)
        model30 = EnrichedModel(resolved30, derived30)
        _, row30 = mgtrial_run(mgtrial, ENRICHED, n30, CHECK_N30_TRIALS, os.path.join(tmp, "enriched30.csv"))
        _, res30 = model30.simulate(CHECK_N30_TRIALS, seed=300)
        lines, worst = compare_enriched("30 per arm (the published size; power away from 1)", row30, res30, 60)
        print("\n".join(lines), flush=True)
        if worst >= 3.5:
            problems.append("enriched, 30 per arm: the numpy model and mgtrial disagree beyond Monte Carlo error (see above)")

        # c. migraine ---------------------------------------------------------------------
        print(f"[c] migraine, 43 + 38, NB2 Wald only ({MIGRAINE_SET}): mgtrial {MIGRAINE_REPS} trials x {REPEATS} ...", flush=True)
        resolved_m, derived_m = explain(mgtrial, MIGRAINE, MIGRAINE_SET)
        big, small, row, _ = mgtrial_timing(mgtrial, MIGRAINE, MIGRAINE_SET, MIGRAINE_REPS, SMALL_REPS["migraine"], tmp, "migraine")
        m_whole = big / MIGRAINE_REPS * 1e6
        m_marg = (big - small) / (MIGRAINE_REPS - SMALL_REPS["migraine"]) * 1e6
        p_m = float(row["power"])
        print(f"    mgtrial: {big:.3f} s for {MIGRAINE_REPS} trials ({small:.3f} s for {SMALL_REPS['migraine']}); power {p_m:.4f}, "
              f"not converged {float(row['share_not_converged']):.4f}")
        gen_sec, data = migraine_numpy(resolved_m, derived_m, MIGRAINE_PEER_TRIALS, seed=400)
        gen_us = gen_sec / MIGRAINE_PEER_TRIALS * 1e6
        sm_sec, sm_rej, sm_nc = statsmodels_fits(data)
        sm_us = sm_sec / MIGRAINE_PEER_TRIALS * 1e6
        print(f"    numpy data: {gen_us:.1f} us per trial; statsmodels: {sm_sec:.3f} s for {MIGRAINE_PEER_TRIALS} fits, "
              f"power {sm_rej / MIGRAINE_PEER_TRIALS:.4f}, not converged {sm_nc}", flush=True)
        table.append(("migraine 43+38 (NB2 Wald)", "us/trial", m_whole, m_marg, "numpy data + statsmodels NegativeBinomial", gen_us + sm_us))
        ms_sec, ms_rej, ms_failed, ms_warned = mass_fits(data, tmp)
        ms_us = ms_sec / MIGRAINE_PEER_TRIALS * 1e6
        print(f"    MASS::glm.nb: {ms_sec:.3f} s for {MIGRAINE_PEER_TRIALS} fits, power {ms_rej / MIGRAINE_PEER_TRIALS:.4f}, "
              f"failed {ms_failed}, warnings {ms_warned}", flush=True)
        table.append(("migraine 43+38 (NB2 Wald)", "us/trial", m_whole, m_marg, "numpy data + MASS::glm.nb", gen_us + ms_us))
        se_m = math.sqrt(p_m * (1 - p_m) / MIGRAINE_REPS)
        for name, rej in (("statsmodels", sm_rej), ("MASS", ms_rej)):
            p = rej / MIGRAINE_PEER_TRIALS
            z = (p - p_m) / math.hypot(se_m, math.sqrt(p * (1 - p) / MIGRAINE_PEER_TRIALS))
            print(f"    power: mgtrial {p_m:.4f} (SE {se_m:.4f}), numpy data + {name} {p:.4f} "
                  f"(SE {math.sqrt(p * (1 - p) / MIGRAINE_PEER_TRIALS):.4f}), z {z:+.2f}")
            if abs(z) >= 3.5:
                problems.append(f"migraine: power by {name} on numpy data differs from mgtrial's beyond Monte Carlo error")
        notes.append(f"migraine peers: the numpy simulation costs {gen_us:.1f} us per trial of the figure; the rest is the fit "
                     f"(statsmodels {sm_us:.0f} us, MASS {ms_us:.0f} us, R's start-up and CSV reading not timed).")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print()
    print("mgtrial whole = the whole process (start-up, calibration, CSV) over all its trials; marginal = the difference")
    print("between a big and a few-replicate run over the difference in work. Ratio = peer / mgtrial.")
    head = f"| workload | unit | mgtrial whole | mgtrial marginal | peer | peer | ratio (whole) | ratio (marginal) |"
    print(head)
    print("|---|---|---|---|---|---|---|---|")
    for workload, unit, whole, marg, peer, value in table:
        print(f"| {workload} | {unit} | {fmt(whole)} | {fmt(marg)} | {peer} | {fmt(value)} | {value / whole:.1f}x | {value / marg:.1f}x |")
    print()
    for n in notes:
        print("note: " + n)
    for p in problems:
        print("PROBLEM: " + p)
    print(f"total time {time.perf_counter() - t_start:.0f} s")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
