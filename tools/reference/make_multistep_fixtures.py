#!/usr/bin/env python3
"""Float64 NumPy reference of the multistep samplers, and the parity fixtures the Java tests hold to it.

DPM-Solver++(2M) is written from Lu et al., "DPM-Solver++: Fast Solver for Guided Sampling of Diffusion
Probabilistic Models", arXiv 2211.01095: section 4.1 (the exact solution of the diffusion ODE in data prediction
and its first-order discretisation, which is DDIM) and Algorithm 2 (DPM-Solver++(2M)). UniPC is written from Zhao
et al., "UniPC: A Unified Predictor-Corrector Framework for Fast Sampling of Diffusion Models", arXiv 2302.04867:
UniC (section 3.1), UniP (section 3.2), the B(h) = e^h - 1 variant ("bh2") and the multistep order schedule of the
authors' code (warm-up at the start, lower order at the end, no corrector after the last evaluation).

The network is replaced by a closed-form stand-in that NumPy and Java both compute: the exact noise prediction for
data x0 ~ N(mu(c), s^2 I),

    eps*(x, t, c) = sigma_t (x - alpha_t mu(c)) / (alpha_t^2 s^2 + sigma_t^2),

plus a nonlinear term 0.1 tanh(x) in the parity fixtures (so that the solvers' history, not just a linear ODE, is
exercised). mu(c) = c @ P with P[k, p] = 0.5 sin(1.3 (k + 1) + 0.7 p) over the flat pixel index p. Guidance is
eps = (1 + w) eps(c) - w eps(0), applied before the conversion to x0.

For the pure Gaussian stand-in the probability-flow ODE has a closed-form solution, x_0 = mu + s z with
z = (x_T - alpha_T mu) / sqrt(alpha_T^2 s^2 + sigma_T^2); --check prints each sampler's error against it at
5..80 steps, which shows the orders (about 2x smaller per doubling for DDIM, 4x for the second-order solvers).

Writes src/test/resources/fixtures/multistep/{dpmpp-2m,unipc}.npz, byte-reproducible (fixed zip timestamps).
Run: /usr/bin/python3 tools/reference/make_multistep_fixtures.py [--check]
"""
import argparse
import io
import os
import zipfile

import numpy as np

T, BETA1, BETA2 = 500, 1e-4, 0.02
S = 0.5  # the stand-in data's standard deviation
NONLINEAR = 0.1
SHAPE = (3, 1, 4, 4)  # B, C, H, W
K = 3  # context width
STEPS = (5, 10, 20)
WEIGHTS = (0.0, 2.0)
SPACINGS = ("trailing", "log-snr")
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "src", "test", "resources", "fixtures", "multistep")


def schedule():
    """DDPM's linear betas as NoiseSchedule.java computes them (float64): ab_t = exp(cumsum(log(1 - b_t))), ab_0 = 1."""
    b = BETA1 + (BETA2 - BETA1) * np.arange(T + 1) / T
    ab = np.exp(np.cumsum(np.log(1 - b)))
    ab[0] = 1.0
    return ab


AB = schedule()


def alpha(t):
    return np.sqrt(AB[t])


def sigma(t):
    return np.sqrt(1 - AB[t])


def lam(t):
    """lambda_t = log(alpha_t / sigma_t), half the log-SNR (DPM-Solver section 3.1); +inf at t = 0."""
    return np.inf if t == 0 else 0.5 * (np.log(AB[t]) - np.log1p(-AB[t]))


def timesteps(steps, spacing):
    """n + 1 points from T towards the clean end, uniform in t ("trailing") or in lambda from lambda(T) to lambda(1)
    ("log-snr", DPM-Solver's logSNR skip type, nearest timestep); the first n are visited, the last steps to 0."""
    lambdas = np.array([lam(t) for t in range(1, T + 1)])
    out = []
    for i in range(steps):
        if spacing == "trailing":
            wanted = int(np.floor(T - i * T / steps + 0.5))
        else:
            target = lam(T) + i / steps * (lam(1) - lam(T))
            wanted = 1 + int(np.argmin(np.abs(lambdas - target)))
        upper = T if i == 0 else out[-1] - 1
        out.append(max(steps - i, min(upper, wanted)))
    return out


def pattern():
    k = np.arange(K)[:, None]
    p = np.arange(int(np.prod(SHAPE[1:])))[None, :]
    return 0.5 * np.sin(1.3 * (k + 1) + 0.7 * p)


P = pattern()


def mu(c):
    return (c @ P).reshape((c.shape[0],) + SHAPE[1:])


def stand_in(x, t, c, nonlinear):
    a, s = alpha(t), sigma(t)
    eps = s * (x - a * mu(c)) / (a * a * S * S + s * s)
    return eps + nonlinear * np.tanh(x) if nonlinear else eps


def guided(x, t, c, w, nonlinear):
    if w == 0:
        return stand_in(x, t, c, nonlinear)
    return (1 + w) * stand_in(x, t, c, nonlinear) - w * stand_in(x, t, np.zeros_like(c), nonlinear)


def to_x0(x, t, eps):
    """Data prediction: x0 = (x_t - sigma_t eps) / alpha_t (DPM-Solver++ section 4)."""
    return (x - sigma(t) * eps) / alpha(t)


def first_order(s, t, x, d):
    """DPM-Solver++ section 4.1, first order: x_t = (sigma_t / sigma_s) x_s - alpha_t (e^{-h} - 1) D, h = lambda_t -
    lambda_s; with D = x0(x_s) this is DDIM. At t = 0 (sigma_t = 0) the limit is D."""
    if t == 0:
        return d
    h = lam(t) - lam(s)
    return sigma(t) / sigma(s) * x - alpha(t) * np.expm1(-h) * d


def dpmpp_2m(x, c, w, steps, spacing, nonlinear):
    """DPM-Solver++(2M), Algorithm 2: D_i = (1 + 1/(2 r_i)) x0_{i-1} - 1/(2 r_i) x0_{i-2}, r_i = h_{i-1} / h_i; first
    order at the first step and at the last (onto t = 0)."""
    ts = timesteps(steps, spacing)
    samples, x0s = [], []
    prev = None  # (t, x0) of the step before
    for k, t in enumerate(ts):
        target = ts[k + 1] if k + 1 < len(ts) else 0
        m = to_x0(x, t, guided(x, t, c, w, nonlinear))
        d = m
        if prev is not None and target > 0:
            h = lam(target) - lam(t)
            r = (lam(t) - lam(prev[0])) / h
            d = (1 + 1 / (2 * r)) * m - 1 / (2 * r) * prev[1]
        x = first_order(t, target, x, d)
        prev = (t, m)
        samples.append(x)
        x0s.append(m)
    return ts, np.stack(samples), np.stack(x0s)


def unipc_coefficients(s0, t, s1):
    """B(h) = e^{hh} - 1 with hh = -h (data prediction), r_1 = (lambda_{s1} - lambda_{s0}) / h, and the right-hand side
    b_k = k! phi_{k+1}(hh) / B(h) with phi_2 = (e^hh - 1)/hh - 1, phi_3 = phi_2 / hh - 1/2 (UniC's order conditions,
    section 3.1, written as the authors' recursion computes them)."""
    h = lam(t) - lam(s0)
    hh = -h
    bh = np.expm1(hh)
    phi2 = np.expm1(hh) / hh - 1
    phi3 = phi2 / hh - 0.5
    r1 = None if s1 is None else (lam(s1) - lam(s0)) / h
    return alpha(t) * bh, r1, phi2 / bh, 2 * phi3 / bh


def unipc(x, c, w, steps, spacing, nonlinear):
    """UniPC-2 (bh2), data prediction. Step k: correct the sample with UniC of the order of step k-1's predictor
    (using the prediction at that sample), then predict with UniP of order min(2, k + 1, n - k)."""
    ts = timesteps(steps, spacing)
    n = len(ts)
    order = lambda k: min(2, k + 1, n - k)  # noqa: E731
    samples, x0s = [], []
    hist = []  # newest first: (t, x0, corrected sample it departed from)
    for k, t in enumerate(ts):
        target = ts[k + 1] if k + 1 < n else 0
        m = to_x0(x, t, guided(x, t, c, w, nonlinear))
        xc = x
        if k > 0 and target > 0:
            s0, m0, x_s0 = hist[0]
            base = first_order(s0, t, x_s0, m0)
            if order(k - 1) == 1:
                ab, _, _, _ = unipc_coefficients(s0, t, None)
                xc = base - ab * 0.5 * (m - m0)  # UniC-1: rho_c = 1/2
            else:
                s1, m1, _ = hist[1]
                ab, r1, b1, b2 = unipc_coefficients(s0, t, s1)
                rho = np.linalg.solve(np.array([[1.0, 1.0], [r1, 1.0]]), np.array([b1, b2]))
                xc = base - ab * (rho[0] * (m1 - m0) / r1 + rho[1] * (m - m0))
        nxt = first_order(t, target, xc, m)
        if order(k) == 2:
            s1, m1, _ = hist[0]
            ab, r1, _, _ = unipc_coefficients(t, target, s1)
            nxt = nxt - ab * 0.5 * (m1 - m) / r1  # UniP-2: rho_p = 1/2
        hist = [(t, m, xc)] + hist[:1]
        samples.append(nxt)
        x0s.append(m)
        x = nxt
    return ts, np.stack(samples), np.stack(x0s)


def ddim(x, c, w, steps, spacing, nonlinear):
    ts = timesteps(steps, "trailing")
    samples, x0s = [], []
    for k, t in enumerate(ts):
        target = ts[k + 1] if k + 1 < len(ts) else 0
        m = to_x0(x, t, guided(x, t, c, w, nonlinear))
        x = first_order(t, target, x, m)
        samples.append(x)
        x0s.append(m)
    return ts, np.stack(samples), np.stack(x0s)


SAMPLERS = {"dpmpp-2m": dpmpp_2m, "unipc": unipc}


def inputs():
    rng = np.random.default_rng(2525)
    x_t = rng.standard_normal(SHAPE).astype(np.float32)
    c = np.array([[1, 0, 0], [0.6, 0.4, 0], [0, 0, 0]], dtype=np.float32)
    return x_t, c


def write_npz(path, arrays):
    """np.savez's layout (uncompressed .npy members) with fixed timestamps, so that a rerun is byte-identical."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for name in sorted(arrays):
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arrays[name]), allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            z.writestr(info, buf.getvalue())


def key(steps, w, spacing):
    return "n%d_w%d_%s" % (steps, int(w), spacing)


def fixtures():
    x_t, c = inputs()
    for name, run in SAMPLERS.items():
        arrays = {"x_T": x_t, "c": c, "s": np.float64(S), "nonlinear": np.float64(NONLINEAR)}
        for spacing in SPACINGS:
            for steps in STEPS:
                for w in WEIGHTS:
                    ts, xs, x0s = run(x_t.astype(np.float64), c.astype(np.float64), w, steps, spacing, NONLINEAR)
                    k = key(steps, w, spacing)
                    arrays[k + "_timesteps"] = np.array(ts, dtype=np.int64)
                    arrays[k + "_x"] = xs
                    arrays[k + "_x0"] = x0s
        path = os.path.join(OUT, name + ".npz")
        write_npz(path, arrays)
        print("wrote", os.path.normpath(path), len(arrays), "arrays")


def check():
    """Error of the final sample against the exact solution of the Gaussian stand-in's probability-flow ODE."""
    x_t, c = inputs()
    x_t, c = x_t.astype(np.float64), c.astype(np.float64)
    z = (x_t - alpha(T) * mu(c)) / np.sqrt(alpha(T) ** 2 * S * S + sigma(T) ** 2)
    exact = mu(c) + S * z
    for spacing in SPACINGS:
        for name, run in [("ddim", ddim)] + list(SAMPLERS.items()):
            if name == "ddim" and spacing != "trailing":
                continue
            errors = []
            for steps in (5, 10, 20, 40, 80):
                _, xs, _ = run(x_t, c, 0.0, steps, spacing, 0.0)
                errors.append(np.abs(xs[-1] - exact).max())
            ratios = ["%.2f" % (a / b) for a, b in zip(errors, errors[1:])]
            print("%-9s %-8s max|x - exact| at 5,10,20,40,80 steps: %s  ratios %s" % (
                name, spacing, " ".join("%.2e" % e for e in errors), " ".join(ratios)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="also print the convergence check")
    args = parser.parse_args()
    os.makedirs(OUT, exist_ok=True)
    fixtures()
    if args.check:
        check()
