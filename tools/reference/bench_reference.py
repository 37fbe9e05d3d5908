#!/usr/bin/python3
"""Times the PyTorch reference (developer-only; for comparison with the Java path).

    /usr/bin/python3 tools/reference/bench_reference.py --height 28 --channels 1 --n-feat 64 \
        --n-cfeat 10 --batch 16 --sampler ddim --steps 20 --warmup 2
    /usr/bin/python3 tools/reference/bench_reference.py --height 28 --channels 1 --n-feat 64 \
        --n-cfeat 10 --batch 64 --train --steps 5 --warmup 2
    /usr/bin/python3 tools/reference/bench_reference.py --height 28 --channels 1 --n-feat 64 \
        --n-cfeat 10 --export /tmp/weights

Builds a ContextUnet with PyTorch's default initialisation from `--seed` (the same seed gives the
same weights in every mode and every process; `weights_sha256` in the output proves it) and
prints one JSON line.

Modes:
- sampling (default): eval() under no_grad; `--warmup` untimed network steps, then `--steps`
  timed steps of the sampler's loop (DDIM: step size T // 20; DDPM: one step per t, with fresh
  noise). images_per_s_for_full_run extrapolates the per-step time to a full run (20 steps for
  DDIM, 500 for DDPM).
- `--train`: train(); Adam (lr 1e-3); per step zero_grad, the MSE between the noise and the
  network's prediction of it on x_t = sqrt(ab_t) x0 + sqrt(1 - ab_t) z, backward, step. One
  random batch (x0 ~ U(-1, 1), z ~ N(0, 1), t ~ U{1..T}, one-hot random labels) drawn before the
  clock starts and reused, so data preparation is not timed. `--warmup` untimed steps, then
  `--steps` timed ones; images_per_s = batch * steps / seconds.
- `--export DIR`: writes the weights as DIR/state_dict.npz (the seed's names, float32) and
  DIR/contextunet.pt (torch.jit.trace of the eval() model on a batch of 2; checked against eager
  on batches 1 and 3), for the Java side to run the very same weights.

Tuned as a user would tune it: torch runs its own intra-op threads, so a second thread pool in
OpenBLAS only competes with them (measured 1.7x slower). When OPENBLAS_NUM_THREADS is not set,
this script sets it to 1 before torch (and with it OpenBLAS) is loaded. OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE are left as the environment has them, and recorded.
"""
import os

# Before `import torch`: OpenBLAS reads its thread count when the library is loaded.
OPENBLAS_THREADS_GIVEN = os.environ.get("OPENBLAS_NUM_THREADS")
if OPENBLAS_THREADS_GIVEN is None:
    os.environ["OPENBLAS_NUM_THREADS"] = "1"

import argparse  # noqa: E402
import ctypes  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import contextunet as cu  # noqa: E402

T = cu.TIMESTEPS
DDIM_N = 20
FULL_RUN = {"ddim": DDIM_N, "ddpm": T}
LEARNING_RATE = 1e-3
BLAS_LIBRARY = re.compile(r"lib(openblas[\w.-]*|mkl_\w+|blis\w*|blas)\.so[.\d]*$")


def loaded_blas_libraries():
    """Paths of the BLAS libraries mapped into this process (after torch has used them)."""
    torch.ones(64, 64) @ torch.ones(64, 64)
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            paths = {line.split()[-1] for line in maps if "/" in line}
    except OSError:
        return []
    return sorted(p for p in paths if BLAS_LIBRARY.search(os.path.basename(p)))


def openblas_facts(libraries):
    """OpenBLAS's own account of itself (version, core, threads in effect), when it is loaded."""
    for path in libraries:
        if "openblas" not in os.path.basename(path):
            continue
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_get_config.restype = ctypes.c_char_p
            lib.openblas_get_corename.restype = ctypes.c_char_p
            return {
                "openblas_config": lib.openblas_get_config().decode(),
                "openblas_core": lib.openblas_get_corename().decode(),
                "openblas_threads_in_effect": lib.openblas_get_num_threads(),
            }
        except (OSError, AttributeError):
            return {}
    return {}


def environment():
    """What the reference ran on: torch, its threads, the BLAS in use and OpenBLAS's variables."""
    config = torch.__config__.show()
    blas_info = re.search(r"BLAS_INFO=([^,\s]+)", config)
    libraries = loaded_blas_libraries()
    facts = openblas_facts(libraries)
    if facts:
        blas = facts["openblas_config"].split(" ")[0] + " " + facts["openblas_config"].split(" ")[1]
    elif any("mkl" in os.path.basename(p) for p in libraries) or (blas_info and blas_info.group(1) == "mkl"):
        blas = "MKL"
    elif any("/blas/libblas.so" in p for p in libraries):
        # Debian's alternatives point libblas.so.3 at netlib's reference BLAS when no optimised one is installed:
        # a reference timed on it is not one a user would tune (several times slower on these convolutions).
        blas = "netlib reference BLAS (unoptimised; install libopenblas0-pthread)"
    else:
        blas = blas_info.group(1) if blas_info else "unknown"
    env = {
        "torch": torch.__version__,
        "torch_num_threads": torch.get_num_threads(),
        "blas": blas,
        # BLAS_INFO=generic: linked against libblas.so.3, whichever implementation provides it.
        "blas_info": blas_info.group(1) if blas_info else None,
        "blas_libraries": libraries,
        "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS"),
        "OPENBLAS_NUM_THREADS_from": "environment" if OPENBLAS_THREADS_GIVEN is not None else "bench_reference.py",
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE"),
    }
    env.update(facts)
    return env


def weights_sha256(model):
    """SHA-256 over the state_dict in order (name, then the float32 or int64 bytes)."""
    h = hashlib.sha256()
    for name, value in model.state_dict().items():
        h.update(name.encode())
        h.update(value.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def export(model, a, directory):
    """state_dict.npz and a traced contextunet.pt of the eval() model, checked against eager."""
    os.makedirs(directory, exist_ok=True)
    np.savez(os.path.join(directory, "state_dict.npz"),
             **{k: v.detach().cpu().numpy() for k, v in model.state_dict().items()})
    model.eval()
    shape = (a.channels, a.height, a.height)

    def inputs(batch):
        c = torch.zeros(batch, a.n_cfeat)
        c[:, 0] = 1.0
        return torch.randn(batch, *shape), torch.rand(batch, 1, 1, 1), c

    with torch.no_grad():
        traced = torch.jit.trace(model, inputs(2))
        path = os.path.join(directory, "contextunet.pt")
        traced.save(path)
        loaded = torch.jit.load(path)
        diff = max(float((loaded(*xs) - model(*xs)).abs().max()) for xs in (inputs(1), inputs(3)))
    return {"directory": directory, "state_dict": "state_dict.npz", "torchscript": "contextunet.pt",
            "traced_vs_eager_max_abs": diff}


def time_sampling(model, a):
    b_t, a_t, ab_t = cu.make_schedule()
    model.eval()
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
    return {"sampler": a.sampler, "seconds": round(seconds, 6),
            "images_per_s_for_full_run": round(a.batch / (per_step * FULL_RUN[a.sampler]), 6)}


def time_training(model, a):
    _, _, ab_t = cu.make_schedule()
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    g = torch.Generator().manual_seed(a.seed + 1)
    x0 = torch.rand(a.batch, a.channels, a.height, a.height, generator=g) * 2 - 1
    noise = torch.randn(x0.shape, generator=g)
    steps = torch.randint(1, T + 1, (a.batch,), generator=g)
    x_t = cu.perturb_input(x0, steps, noise, ab_t)
    t = (steps.double() / T).float().view(a.batch, 1, 1, 1)
    c = F.one_hot(torch.randint(0, a.n_cfeat, (a.batch,), generator=g), a.n_cfeat).float()

    def train_step():
        optimizer.zero_grad()
        loss = F.mse_loss(model(x_t, t, c), noise)
        loss.backward()
        optimizer.step()
        return loss

    for _ in range(a.warmup):
        train_step()
    start = time.perf_counter()
    for _ in range(a.steps):
        loss = train_step()
    seconds = time.perf_counter() - start
    return {"optimizer": f"Adam lr {LEARNING_RATE}", "seconds": round(seconds, 6),
            "loss": float(loss), "images_per_s": round(a.batch * a.steps / seconds, 6)}


def main(argv=None):
    p = argparse.ArgumentParser(description="Time the PyTorch reference sampler or training step.")
    p.add_argument("--height", type=int, default=16)
    p.add_argument("--channels", type=int, default=3)
    p.add_argument("--n-feat", type=int, default=64)
    p.add_argument("--n-cfeat", type=int, default=5)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--sampler", choices=["ddim", "ddpm"], default="ddim")
    p.add_argument("--train", action="store_true", help="time optimiser steps instead of sampling")
    p.add_argument("--export", metavar="DIR", help="write state_dict.npz and contextunet.pt, time nothing")
    p.add_argument("--steps", type=int, default=20, help="network (or optimiser) steps to time")
    p.add_argument("--threads", type=int, default=torch.get_num_threads(),
                   help="torch intra-op threads (default: torch's own choice, %(default)s here)")
    p.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    p.add_argument("--seed", type=int, default=0, help="weights (and training data) seed")
    a = p.parse_args(argv)
    if a.steps < 1:
        p.error("--steps must be at least 1")

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    model = cu.ContextUnet(a.channels, a.n_feat, a.n_cfeat, a.height)
    result = {
        "impl": "pytorch",
        "mode": "export" if a.export else "train" if a.train else "sample",
        "height": a.height,
        "channels": a.channels,
        "n_feat": a.n_feat,
        "n_cfeat": a.n_cfeat,
        "seed": a.seed,
        "weights_sha256": weights_sha256(model),
        "threads": a.threads,
    }
    result.update(environment())
    if a.export:
        result.update(export(model, a, a.export))
    else:
        result.update({"batch": a.batch, "steps": a.steps, "warmup": a.warmup})
        result.update(time_training(model, a) if a.train else time_sampling(model, a))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
