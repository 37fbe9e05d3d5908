#!/usr/bin/python3
"""Writes the parity fixtures the Java tests read (developer-only; CI does not run this).

    /usr/bin/python3 tools/reference/make_fixtures.py [--out DIR] [--check-precision]

Everything is float32, the model is in eval() mode under torch.no_grad(), torch runs on one
thread and every random draw comes from torch.manual_seed(<config seed>), in the order of the
code below, so a rerun writes the same numbers. See tools/reference/README.md for the files.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import contextunet as cu  # noqa: E402

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DEFAULT_OUT = os.path.join(REPO, "src", "test", "resources", "fixtures")

CONFIGS = {
    "rgb16": dict(
        in_channels=3, height=16, n_feat=32, n_cfeat=5, seed=1616,
        labels=["hero", "non-hero", "food", "spell", "side-facing"],
    ),
    "gray28": dict(
        in_channels=1, height=28, n_feat=16, n_cfeat=10, seed=2828,
        labels=["t-shirt/top", "trouser", "pullover", "dress", "coat",
                "sandal", "shirt", "sneaker", "bag", "ankle-boot"],
    ),
}

T = cu.TIMESTEPS
DDIM_STEPS = 20
DDPM_BATCH = 2
GUIDANCE_W = 2.0


def savez(path, **arrays):
    """np.savez (not compressed), after checking dtypes are what the Java side expects."""
    for k, v in arrays.items():
        assert isinstance(v, np.ndarray), k
        assert v.dtype in (np.float32, np.float16, np.int64), (k, v.dtype)
    np.savez(path, **arrays)


def one_hot(n_cfeat, label):
    c = torch.zeros(n_cfeat, dtype=torch.float32)
    c[label] = 1.0
    return c


def mix(n_cfeat):
    """0.6 on label 1, 0.4 on label 2."""
    c = torch.zeros(n_cfeat, dtype=torch.float32)
    c[1] = 0.6
    c[2] = 0.4
    return c


@torch.no_grad()
def randomize_norms(model):
    """Non-trivial norm parameters and statistics, so the Java side really exercises them."""
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.weight.uniform_(0.5, 1.5)
            m.bias.normal_(0.0, 0.2)
            m.running_mean.normal_(0.0, 0.1)
            m.running_var.uniform_(0.5, 2.0)
        elif isinstance(m, torch.nn.GroupNorm):
            m.weight.uniform_(0.5, 1.5)
            m.bias.normal_(0.0, 0.2)


@torch.no_grad()
def sample_ddim(model, x, c, sched, n=DDIM_STEPS, guidance_w=None, mid_after=None):
    """The seed's DDIM (eta = 0): step_size = T // n, i = T, T - step, ..., step.

    With guidance_w, eps = (1 + w) eps(c) - w eps(0), from one call on the doubled batch.
    Returns (x0, x after `mid_after` steps or None).
    """
    _, _, ab_t = sched
    b = x.shape[0]
    step_size = T // n
    x_mid = None
    for k, i in enumerate(range(T, 0, -step_size), start=1):
        if guidance_w is None:
            eps = model(x, cu.time_tensor(i, T, b, x.dtype), c)
        else:
            both = model(torch.cat([x, x]), cu.time_tensor(i, T, 2 * b, x.dtype),
                         torch.cat([c, torch.zeros_like(c)]))
            eps_c, eps_0 = both[:b], both[b:]
            eps = (1 + guidance_w) * eps_c - guidance_w * eps_0
        x = cu.denoise_ddim(x, i, i - step_size, eps, ab_t)
        if mid_after is not None and k == mid_after:
            x_mid = x.clone()
    return x, x_mid


@torch.no_grad()
def sample_ddpm(model, x, c, z, sched):
    """The seed's DDPM, i = T..1; z[k] is the noise of step i = T - k (z[T - 1] is zeros)."""
    b_t, a_t, ab_t = sched
    b = x.shape[0]
    for i in range(T, 0, -1):
        eps = model(x, cu.time_tensor(i, T, b, x.dtype), c)
        x = cu.denoise_add_noise(x, i, eps, z[T - i], b_t, a_t, ab_t)
    return x


def write_spec(folder, name, cfg):
    spec = {
        "name": f"fixture-{name}",
        "architecture": {"type": "ContextUnet", "inChannels": cfg["in_channels"],
                         "nFeat": cfg["n_feat"], "nCfeat": cfg["n_cfeat"],
                         "height": cfg["height"]},
        "labels": cfg["labels"],
        "schedule": {"timesteps": T, "beta1": cu.BETA1, "beta2": cu.BETA2},
        "pixelRange": [-1.0, 1.0],
        "provenance": {
            "source": "tools/reference/make_fixtures.py",
            "weights": "random initialisation (seeded), non-trivial norm statistics; not trained",
            "torch": torch.__version__,
            "seed": str(cfg["seed"]),
        },
    }
    with open(os.path.join(folder, "spec.json"), "w", encoding="utf-8") as f:
        json.dump(spec, f, indent=2, ensure_ascii=False)
        f.write("\n")


def max_abs(a, b):
    return float((a - b).abs().max())


@torch.no_grad()
def make_config(out_dir, name, cfg, check_precision=False):
    t0 = time.time()
    folder = os.path.join(out_dir, name)
    os.makedirs(folder, exist_ok=True)
    C, H, n_cfeat = cfg["in_channels"], cfg["height"], cfg["n_cfeat"]
    W = H
    sched = cu.make_schedule()
    report = {"config": name}

    # 1. model: seeded default init, then non-trivial norms.
    torch.manual_seed(cfg["seed"])
    model = cu.ContextUnet(C, cfg["n_feat"], n_cfeat, H)
    randomize_norms(model)
    model.eval()
    write_spec(folder, name, cfg)

    # 2. state_dict.npz (all entries; num_batches_tracked stays int64).
    sd = {k: v.detach().cpu().numpy() for k, v in model.state_dict().items()}
    savez(os.path.join(folder, "state_dict.npz"), **sd)

    # 3. TorchScript, traced on batch 2; checked against eager on batch 5.
    x2 = torch.randn(2, C, H, W)
    t2 = torch.tensor([1.0, 0.25], dtype=torch.float32).view(2, 1, 1, 1)
    c2 = torch.stack([one_hot(n_cfeat, 0), torch.zeros(n_cfeat)])
    traced = torch.jit.trace(model, (x2, t2, c2))
    traced.save(os.path.join(folder, "contextunet.pt"))
    x5 = torch.randn(5, C, H, W)
    t5 = torch.rand(5, 1, 1, 1)
    c5 = torch.rand(5, n_cfeat)
    loaded = torch.jit.load(os.path.join(folder, "contextunet.pt"))
    report["traced_vs_eager_b2"] = max_abs(loaded(x2, t2, c2), model(x2, t2, c2))
    report["traced_vs_eager_b5"] = max_abs(loaded(x5, t5, c5), model(x5, t5, c5))

    # 4. forward.npz
    x = torch.randn(4, C, H, W)
    t = torch.tensor([1.0, 0.5, 0.1, 0.002], dtype=torch.float32).view(4, 1, 1, 1)
    c = torch.stack([one_hot(n_cfeat, 0), one_hot(n_cfeat, n_cfeat - 1), mix(n_cfeat),
                     torch.zeros(n_cfeat)])
    eps = model(x, t, c)
    report["traced_vs_eager_b4"] = max_abs(loaded(x, t, c), eps)
    report["forward_eps_absmax"] = float(eps.abs().max())
    savez(os.path.join(folder, "forward.npz"), x=x.numpy(), t=t.numpy(), c=c.numpy(),
          eps=eps.numpy())

    # 5. ddim.npz (B = 3; one-hot 0, mix, zeros)
    c3 = torch.stack([one_hot(n_cfeat, 0), mix(n_cfeat), torch.zeros(n_cfeat)])
    x_T = torch.randn(3, C, H, W)
    x0, x_mid = sample_ddim(model, x_T, c3, sched, mid_after=DDIM_STEPS // 2)
    report["ddim_x0_absmax"] = float(x0.abs().max())
    savez(os.path.join(folder, "ddim.npz"), x_T=x_T.numpy(), c=c3.numpy(),
          steps=np.array(DDIM_STEPS, dtype=np.int64), x0=x0.numpy(), x_mid=x_mid.numpy())

    # 6. ddpm.npz (B = 2; one-hot 1, zeros); noise rounded through float16 before use.
    c_p = torch.stack([one_hot(n_cfeat, 1), torch.zeros(n_cfeat)])
    x_T_p = torch.randn(DDPM_BATCH, C, H, W)
    z = torch.randn(T, DDPM_BATCH, C, H, W)
    z[T - 1] = 0.0  # step i = 1 adds no noise
    z16 = z.half()
    z = z16.float()
    x0_p = sample_ddpm(model, x_T_p, c_p, z, sched)
    report["ddpm_x0_absmax"] = float(x0_p.abs().max())
    savez(os.path.join(folder, "ddpm.npz"), x_T=x_T_p.numpy(), c=c_p.numpy(),
          z=z16.numpy(), x0=x0_p.numpy())

    # 7. guidance.npz (DDIM 20 steps, w = 2; c as for ddim.npz, fresh x_T)
    x_T_g = torch.randn(3, C, H, W)
    x0_g, _ = sample_ddim(model, x_T_g, c3, sched, guidance_w=GUIDANCE_W)
    report["guidance_x0_absmax"] = float(x0_g.abs().max())
    savez(os.path.join(folder, "guidance.npz"), x_T=x_T_g.numpy(), c=c3.numpy(),
          w=np.array(GUIDANCE_W, dtype=np.float32), x0=x0_g.numpy())

    if check_precision:
        # How far float32 is from float64 for the same inputs: a floor for Java tolerances.
        m64 = cu.ContextUnet(C, cfg["n_feat"], n_cfeat, H)
        m64.load_state_dict(model.state_dict())
        m64 = m64.double().eval()
        s64 = tuple(s.double() for s in sched)  # the float32 schedule, widened
        report["f64_forward_eps"] = max_abs(m64(x.double(), t.double(), c.double()),
                                            eps.double())
        d64, _ = sample_ddim(m64, x_T.double(), c3.double(), s64)
        report["f64_ddim_x0"] = max_abs(d64, x0.double())
        p64 = sample_ddpm(m64, x_T_p.double(), c_p.double(), z.double(), s64)
        report["f64_ddpm_x0"] = max_abs(p64, x0_p.double())
        g64, _ = sample_ddim(m64, x_T_g.double(), c3.double(), s64, guidance_w=GUIDANCE_W)
        report["f64_guidance_x0"] = max_abs(g64, x0_g.double())

    report["seconds"] = round(time.time() - t0, 1)
    return report


def write_schedule(out_dir):
    b_t, a_t, ab_t = cu.make_schedule()
    savez(os.path.join(out_dir, "schedule.npz"), b_t=b_t.numpy(), a_t=a_t.numpy(),
          ab_t=ab_t.numpy())


def write_seed_variant_parameters(out_dir):
    sd = cu.seed_variant_state_dict()
    with open(os.path.join(out_dir, "seed-variant-parameters.txt"), "w", encoding="utf-8") as f:
        for k, v in sd.items():
            dims = ",".join(str(d) for d in v.shape)
            f.write(f"{k} {dims}\n" if dims else f"{k}\n")


def main(argv=None):
    p = argparse.ArgumentParser(description="Write the Java parity fixtures.")
    p.add_argument("--out", default=DEFAULT_OUT, help="fixtures folder (default: %(default)s)")
    p.add_argument("--config", choices=sorted(CONFIGS), action="append",
                   help="only this config (repeatable; default: all)")
    p.add_argument("--check-precision", action="store_true",
                   help="also rerun everything in float64 and print the float32 error")
    args = p.parse_args(argv)

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    os.makedirs(args.out, exist_ok=True)

    if not os.path.exists(cu.SEED_DOC):
        print(f"seed document not found ({cu.SEED_DOC}); seed dump check skipped",
              file=sys.stderr)
    elif not cu.check_seed_dump(verbose=True):
        print("seed dump check FAILED", file=sys.stderr)
        return 1
    write_seed_variant_parameters(args.out)
    write_schedule(args.out)
    for name in args.config or list(CONFIGS):
        print(json.dumps(make_config(args.out, name, CONFIGS[name], args.check_precision)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
