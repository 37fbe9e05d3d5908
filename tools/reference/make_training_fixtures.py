#!/usr/bin/python3
"""Writes the training-parity fixtures the Java tests read (developer-only; CI does not run this).

    /usr/bin/python3 tools/reference/make_training_fixtures.py [--out DIR]

Everything is computed in float64, an independent reference for the Java float32 path: no oneDNN
(libtorch has no float64 oneDNN kernels), and its gradients are checked here against central
finite differences. Stored as float32 (int64 for timesteps).

  <config>/train_step.npz   for the config's state_dict.npz (rgb16, gray28) and one fixed batch:
      x0, noise, t (int64, 1..T), c (one-hot, some rows zeroed as context dropout does),
      x_t (the noised batch), loss (the three steps' losses), grad1/<name>, grad2/<name> and
      grad3/<name> (every parameter's gradient at each step), after1/<name>, after2/<name> and
      after3/<name> (every state_dict entry but num_batches_tracked after each of three
      torch.optim.Adam steps on the same batch, lr below).
  gradients/conv_stacks.npz  small stacks of 3x3 convolutions, loss sum(y^2):
      <case>/x, <case>/w1, <case>/b1, <case>/w2, <case>/b2 and the gradients <case>/dx, dw1, db1,
      dw2, db2; cases in CONV_STACKS, among them output-channel counts below and off oneDNN's
      16-channel block.
  gradients/residual_block.npz  ResidualConvBlock(in, out, is_res=True) in training mode (batch
      statistics), loss sum(y^2): <case>/x, <case>/param/<name>, <case>/grad/<name>, <case>/dx.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import contextunet as cu  # noqa: E402

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DEFAULT_OUT = os.path.join(REPO, "src", "test", "resources", "fixtures")

# The trainer's defaults (TrainingSettings): Adam at lr 1e-3, beta (0.9, 0.999), eps 1e-8.
LEARNING_RATE = 1e-3
ADAM_STEPS = 3
TRAIN_CONFIGS = {
    # name: batch size, seed of the batch, rows whose context is dropped
    "rgb16": dict(batch=6, seed=16016, dropped=[2, 5]),
    "gray28": dict(batch=8, seed=28028, dropped=[1, 6]),
}
CONV_STACKS = {
    # name: (in, mid, out) channels; batch 2, 6 x 6, padding 1
    "c1-64-1": (1, 64, 1),
    "c2-2-2": (2, 2, 2),
    "c1-8-1": (1, 8, 1),
    "c3-32-3": (3, 32, 3),
    "c16-24-5": (16, 24, 5),
    "c1-16-16": (1, 16, 16),
}
RESIDUAL_BLOCKS = {"r2-2": (2, 2), "r1-8": (1, 8), "r3-16": (3, 16)}


def f32(t):
    return t.detach().to(torch.float32).numpy()


def schedule64(timesteps=cu.TIMESTEPS, beta1=cu.BETA1, beta2=cu.BETA2):
    """ab_t as NoiseSchedule computes it (double): beta_t = b1 + (b2 - b1) t / T, cumulative from t = 0."""
    t = torch.arange(timesteps + 1, dtype=torch.float64)
    beta = beta1 + (beta2 - beta1) * t / timesteps
    ab = torch.exp(torch.cumsum(torch.log(1 - beta), 0))
    ab[0] = 1.0
    return ab


def finite_difference_check(loss_of, params, names, generator, picks=3, h=1e-5):
    """Largest relative gap between autograd and central differences over a few elements."""
    worst = 0.0
    for name in names:
        p = params[name]
        flat = p.grad.flatten()
        candidates = [int(flat.abs().argmax())]
        candidates += torch.randint(0, flat.numel(), (picks - 1,), generator=generator).tolist()
        for i in candidates:
            with torch.no_grad():
                view = p.view(-1)
                original = view[i].item()
                view[i] = original + h
                up = loss_of().item()
                view[i] = original - h
                down = loss_of().item()
                view[i] = original
            fd = (up - down) / (2 * h)
            scale = max(abs(fd), float(flat.abs().max()) * 1e-3, 1e-12)
            worst = max(worst, abs(fd - flat[i].item()) / scale)
    return worst


def float32_step_gaps(C, H, n_feat, n_cfeat, state, arrays):
    """PyTorch's own float32 gradient at each step, from the float32-rounded reference state before
    it, against the float64 gradient: its largest gap in units of the Java tests' tolerance
    (1e-4 of the tensor's largest value, floored at 1e-6 of the largest gradient). Far above 1
    means the step sits on a max-pool near-tie that rounding flips."""
    x_t, noise, c = (torch.from_numpy(arrays[k]) for k in ("x_t", "noise", "c"))
    time = (torch.from_numpy(arrays["t"]).to(torch.float32) / cu.TIMESTEPS).view(-1, 1, 1, 1)
    scale = max(np.abs(v).max() for k, v in arrays.items() if k.startswith("grad1/"))
    gaps = []
    for step in range(1, ADAM_STEPS + 1):
        model = cu.ContextUnet(C, n_feat, n_cfeat, H)
        model.load_state_dict({k: torch.from_numpy(state[k] if step == 1 or k.endswith("num_batches_tracked")
                                                   else arrays[f"after{step - 1}/{k}"]) for k in state.files})
        model.train()
        ((model(x_t, time, c) - noise) ** 2).mean().backward()
        worst = 0.0
        for k, p in model.named_parameters():
            ref = arrays[f"grad{step}/{k}"]
            tolerance = max(1e-4 * np.abs(ref).max(), 1e-6 * scale)
            worst = max(worst, float(np.abs(p.grad.numpy() - ref).max() / tolerance))
        gaps.append(round(worst, 3))
    return gaps


def train_step_fixture(out_dir, name, settings):
    """The first batch seed from settings["seed"] on whose steps float32 is well conditioned."""
    for seed in range(settings["seed"], settings["seed"] + 20):
        report, arrays, shape = train_step_arrays(out_dir, name, dict(settings, seed=seed))
        report["float32_gap_per_step"] = float32_step_gaps(*shape, np.load(os.path.join(out_dir, name, "state_dict.npz")),
                                                           arrays)
        if max(report["float32_gap_per_step"]) < 0.25:
            np.savez(os.path.join(out_dir, name, "train_step.npz"), **arrays)
            return report
        print(json.dumps(dict(report, rejected="a step sits on a near-tie")), file=sys.stderr)
    raise RuntimeError(f"{name}: no well-conditioned batch in 20 seeds")


def train_step_arrays(out_dir, name, settings):
    folder = os.path.join(out_dir, name)
    with open(os.path.join(folder, "spec.json"), encoding="utf-8") as f:
        arch = json.load(f)["architecture"]
    C, H, n_feat, n_cfeat = arch["inChannels"], arch["height"], arch["nFeat"], arch["nCfeat"]
    state = np.load(os.path.join(folder, "state_dict.npz"))
    model = cu.ContextUnet(C, n_feat, n_cfeat, H).double()
    model.load_state_dict({k: torch.from_numpy(state[k]).to(torch.float64)
                           if state[k].dtype == np.float32 else torch.from_numpy(state[k])
                           for k in state.files})
    model.train()

    g = torch.Generator().manual_seed(settings["seed"])
    B = settings["batch"]
    # Float32 inputs, as the Java trainer has them.
    x0 = (torch.rand(B, C, H, H, generator=g) * 2 - 1).to(torch.float32)
    noise = torch.randn(B, C, H, H, generator=g).to(torch.float32)
    t = torch.randint(1, cu.TIMESTEPS + 1, (B,), generator=g)
    t[0], t[-1] = 1, cu.TIMESTEPS  # both ends of the schedule
    labels = torch.randint(0, n_cfeat, (B,), generator=g)
    c = F.one_hot(labels, n_cfeat).to(torch.float32)
    c[settings["dropped"]] = 0.0

    ab = schedule64()[t].view(B, 1, 1, 1)
    x_t = ab.sqrt() * x0.double() + (1 - ab).sqrt() * noise.double()
    time = (t.to(torch.float32) / cu.TIMESTEPS).double().view(B, 1, 1, 1)  # (float) t / T, as Java

    def loss_of():
        return ((model(x_t, time, c.double()) - noise.double()) ** 2).mean()

    params = dict(model.named_parameters())
    optimiser = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    arrays = {"x0": f32(x0), "noise": f32(noise), "t": t.numpy().astype(np.int64), "c": f32(c),
              "x_t": f32(x_t)}
    losses = []
    report = {"config": name, "batch": B}
    for step in range(1, ADAM_STEPS + 1):
        optimiser.zero_grad()
        loss = loss_of()
        loss.backward()
        losses.append(loss.item())
        for k, p in params.items():
            arrays[f"grad{step}/{k}"] = f32(p.grad)
        if step == 1:
            # Finite differences on a copy, so the extra forward passes leave BatchNorm's running
            # statistics of the model alone.
            state_before = {k: v.clone() for k, v in model.state_dict().items()}
            report["fd_vs_autograd_max_rel"] = finite_difference_check(
                loss_of, params, ["out.3.weight", "init_conv.conv1.0.weight",
                                  "contextembed1.model.0.weight", "up0.0.weight", "down2.model.1.conv2.1.weight"],
                torch.Generator().manual_seed(1))
            model.load_state_dict(state_before)
        optimiser.step()
        for k, v in model.state_dict().items():
            if not k.endswith("num_batches_tracked"):
                arrays[f"after{step}/{k}"] = f32(v)
    arrays["loss"] = np.array(losses, dtype=np.float32)
    report["seed"] = settings["seed"]
    report["losses"] = losses
    return report, arrays, (C, H, n_feat, n_cfeat)


def conv_stacks(out_dir):
    g = torch.Generator().manual_seed(424242)
    arrays = {}
    for name, (cin, cmid, cout) in CONV_STACKS.items():
        x = torch.randn(2, cin, 6, 6, generator=g).double().requires_grad_(True)
        w1 = (torch.randn(cmid, cin, 3, 3, generator=g) * 0.3).double().requires_grad_(True)
        b1 = (torch.randn(cmid, generator=g) * 0.1).double().requires_grad_(True)
        w2 = (torch.randn(cout, cmid, 3, 3, generator=g) * 0.3).double().requires_grad_(True)
        b2 = (torch.randn(cout, generator=g) * 0.1).double().requires_grad_(True)
        y = F.conv2d(F.conv2d(x, w1, b1, padding=1), w2, b2, padding=1)
        (y ** 2).sum().backward()
        for k, v in dict(x=x, w1=w1, b1=b1, w2=w2, b2=b2).items():
            arrays[f"{name}/{k}"] = f32(v)
            arrays[f"{name}/d{k}"] = f32(v.grad)
    os.makedirs(os.path.join(out_dir, "gradients"), exist_ok=True)
    np.savez(os.path.join(out_dir, "gradients", "conv_stacks.npz"), **arrays)


def residual_blocks(out_dir):
    g = torch.Generator().manual_seed(515151)
    arrays = {}
    for name, (cin, cout) in RESIDUAL_BLOCKS.items():
        torch.manual_seed(cin * 100 + cout)
        block = cu.ResidualConvBlock(cin, cout, is_res=True).double().train()
        with torch.no_grad():
            for m in block.modules():
                if isinstance(m, torch.nn.BatchNorm2d):
                    m.weight.uniform_(0.5, 1.5)
                    m.bias.normal_(0.0, 0.2)
        x = torch.randn(3, cin, 5, 5, generator=g).double().requires_grad_(True)
        initial = {k: f32(v) for k, v in block.state_dict().items() if not k.endswith("num_batches_tracked")}
        (block(x) ** 2).sum().backward()
        arrays[f"{name}/x"] = f32(x)
        arrays[f"{name}/dx"] = f32(x.grad)
        for k, v in initial.items():
            arrays[f"{name}/param/{k}"] = v
        for k, p in block.named_parameters():
            arrays[f"{name}/grad/{k}"] = f32(p.grad)
    np.savez(os.path.join(out_dir, "gradients", "residual_block.npz"), **arrays)


def main(argv=None):
    p = argparse.ArgumentParser(description="Write the Java training-parity fixtures (float64).")
    p.add_argument("--out", default=DEFAULT_OUT, help="fixtures folder (default: %(default)s)")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    conv_stacks(args.out)
    residual_blocks(args.out)
    for name, settings in TRAIN_CONFIGS.items():
        print(json.dumps(train_step_fixture(args.out, name, settings)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
