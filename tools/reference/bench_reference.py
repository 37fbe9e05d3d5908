#!/usr/bin/python3
"""Times the PyTorch reference sampling loop (developer-only; for comparison with the Java path).

    /usr/bin/python3 tools/reference/bench_reference.py --height 16 --channels 3 --n-feat 64 \
        --n-cfeat 5 --batch 1 --sampler ddim --steps 5 --threads 2 --warmup 1

Builds a random-init ContextUnet in eval() mode under no_grad, runs `--warmup` untimed network
steps, then times `--steps` network steps of the sampler's loop (DDIM: step size T // 20;
DDPM: one step per t, with fresh noise) and prints one JSON line. images_per_s_for_full_run
extrapolates the per-step time to a full run (20 steps for DDIM, 500 for DDPM).
"""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import contextunet as cu  # noqa: E402

T = cu.TIMESTEPS
DDIM_N = 20
FULL_RUN = {"ddim": DDIM_N, "ddpm": T}


def main(argv=None):
    p = argparse.ArgumentParser(description="Time the PyTorch reference sampler.")
    p.add_argument("--height", type=int, default=16)
    p.add_argument("--channels", type=int, default=3)
    p.add_argument("--n-feat", type=int, default=64)
    p.add_argument("--n-cfeat", type=int, default=5)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--sampler", choices=["ddim", "ddpm"], default="ddim")
    p.add_argument("--steps", type=int, default=20, help="network steps to time")
    p.add_argument("--threads", type=int, default=torch.get_num_threads())
    p.add_argument("--warmup", type=int, default=2, help="untimed network steps first")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    if a.steps < 1:
        p.error("--steps must be at least 1")

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    b_t, a_t, ab_t = cu.make_schedule()
    model = cu.ContextUnet(a.channels, a.n_feat, a.n_cfeat, a.height).eval()
    c = torch.zeros(a.batch, a.n_cfeat)
    c[:, 0] = 1.0
    step_size = T // DDIM_N if a.sampler == "ddim" else 1

    def step(x, k):
        # the k-th network step of the loop; wraps around past the end of a full run
        i = T - (k % FULL_RUN[a.sampler]) * step_size
        eps = model(x, cu.time_tensor(i, T, a.batch), c)
        if a.sampler == "ddim":
            return cu.denoise_ddim(x, i, i - step_size, eps, ab_t)
        z = torch.randn_like(x) if i > 1 else torch.zeros_like(x)
        return cu.denoise_add_noise(x, i, eps, z, b_t, a_t, ab_t)

    with torch.no_grad():
        x = torch.randn(a.batch, a.channels, a.height, a.height)
        for k in range(a.warmup):
            step(x, k)
        start = time.perf_counter()
        for k in range(a.steps):
            x = step(x, k)
        seconds = time.perf_counter() - start

    per_step = seconds / a.steps
    print(json.dumps({
        "impl": "pytorch",
        "torch": torch.__version__,
        "height": a.height,
        "channels": a.channels,
        "n_feat": a.n_feat,
        "n_cfeat": a.n_cfeat,
        "batch": a.batch,
        "sampler": a.sampler,
        "steps": a.steps,
        "threads": a.threads,
        "seconds": round(seconds, 6),
        "images_per_s_for_full_run": round(a.batch / (per_step * FULL_RUN[a.sampler]), 6),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
