#!/usr/bin/python3
"""PyTorch reference of the seed's ContextUnet, with the project's fixes (developer-only).

This is the network of the DeepLearning.AI "How diffusion models work" course (derived from
minDiffusion), as restated in shared/docs/seed-notes.md. Parameter names are exactly those of
the seed's parameter dump, so weights map one to one. Differences from the seed (on purpose):

1. ResidualConvBlock with is_res and in != out uses minDiffusion's deterministic shortcut
   (x1 + x2) / 1.414 instead of a 1x1 conv created with fresh random weights in every forward.
2. to_vec pools the whole H/4 x W/4 map to 1 x 1 (AdaptiveAvgPool2d(1)) instead of AvgPool2d(4);
   identical to the seed for height 16, and valid for any height divisible by 4.
3. A height not divisible by 4 is rejected with a ValueError.
4. perturb_input scales the noise by sqrt(1 - ab_t) (the DDPM paper's form), not (1 - ab_t).

Run `/usr/bin/python3 tools/reference/contextunet.py --dump` to print the state_dict of the
seed's variant ContextUnet(3, 256, 10, 28) in the seed dump's format, or `--check-seed` to
compare it with the dump in shared/seed/diffusion-code-walkthrough.zh.txt.
"""
import argparse
import os
import re
import sys

import torch
import torch.nn as nn

# The residual scale of the seed; exactly 1.414, not sqrt(2).
RES_SCALE = 1.414


class ResidualConvBlock(nn.Module):
    def __init__(self, in_channels, out_channels, is_res=False):
        super().__init__()
        self.same_channels = in_channels == out_channels
        self.is_res = is_res
        self.conv1 = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, 3, 1, 1),
            nn.BatchNorm2d(out_channels),
            nn.GELU(),
        )
        self.conv2 = nn.Sequential(
            nn.Conv2d(out_channels, out_channels, 3, 1, 1),
            nn.BatchNorm2d(out_channels),
            nn.GELU(),
        )

    def forward(self, x):
        x1 = self.conv1(x)
        x2 = self.conv2(x1)
        if not self.is_res:
            return x2
        if self.same_channels:
            out = x + x2
        else:
            # minDiffusion's deterministic shortcut (fix 1): no fresh random 1x1 conv.
            out = x1 + x2
        return out / 1.414  # RES_SCALE, written out: TorchScript cannot read a module global


class UnetDown(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.model = nn.Sequential(
            ResidualConvBlock(in_channels, out_channels),
            ResidualConvBlock(out_channels, out_channels),
            nn.MaxPool2d(2),
        )

    def forward(self, x):
        return self.model(x)


class UnetUp(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.model = nn.Sequential(
            nn.ConvTranspose2d(in_channels, out_channels, 2, 2),
            ResidualConvBlock(out_channels, out_channels),
            ResidualConvBlock(out_channels, out_channels),
        )

    def forward(self, x, skip):
        x = torch.cat((x, skip), 1)
        return self.model(x)


class EmbedFC(nn.Module):
    def __init__(self, input_dim, emb_dim):
        super().__init__()
        self.input_dim = input_dim
        self.model = nn.Sequential(
            nn.Linear(input_dim, emb_dim),
            nn.GELU(),
            nn.Linear(emb_dim, emb_dim),
        )

    def forward(self, x):
        x = x.view(-1, self.input_dim)
        return self.model(x)


class ContextUnet(nn.Module):
    def __init__(self, in_channels, n_feat=256, n_cfeat=10, height=28):
        super().__init__()
        if height <= 0 or height % 4 != 0:
            raise ValueError(f"height must be a positive multiple of 4, got {height}")
        self.in_channels = in_channels
        self.n_feat = n_feat
        self.n_cfeat = n_cfeat
        self.h = height

        self.init_conv = ResidualConvBlock(in_channels, n_feat, is_res=True)
        self.down1 = UnetDown(n_feat, n_feat)
        self.down2 = UnetDown(n_feat, 2 * n_feat)
        # Fix 2: pool the whole (H/4 x W/4) map; the seed has AvgPool2d(4).
        self.to_vec = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.GELU())

        self.timeembed1 = EmbedFC(1, 2 * n_feat)
        self.timeembed2 = EmbedFC(1, 1 * n_feat)
        self.contextembed1 = EmbedFC(n_cfeat, 2 * n_feat)
        self.contextembed2 = EmbedFC(n_cfeat, 1 * n_feat)

        self.up0 = nn.Sequential(
            nn.ConvTranspose2d(2 * n_feat, 2 * n_feat, self.h // 4, self.h // 4),
            nn.GroupNorm(8, 2 * n_feat),
            nn.ReLU(),
        )
        self.up1 = UnetUp(4 * n_feat, n_feat)
        self.up2 = UnetUp(2 * n_feat, n_feat)
        self.out = nn.Sequential(
            nn.Conv2d(2 * n_feat, n_feat, 3, 1, 1),
            nn.GroupNorm(8, n_feat),
            nn.ReLU(),
            nn.Conv2d(n_feat, self.in_channels, 3, 1, 1),
        )

    def forward(self, x, t, c):
        """x [B, C, H, W]; t [B, 1, 1, 1] (step index / T); c [B, n_cfeat] (zeros = no context)."""
        x = self.init_conv(x)
        down1 = self.down1(x)
        down2 = self.down2(down1)
        hiddenvec = self.to_vec(down2)

        cemb1 = self.contextembed1(c).view(-1, self.n_feat * 2, 1, 1)
        temb1 = self.timeembed1(t).view(-1, self.n_feat * 2, 1, 1)
        cemb2 = self.contextembed2(c).view(-1, self.n_feat, 1, 1)
        temb2 = self.timeembed2(t).view(-1, self.n_feat, 1, 1)

        up1 = self.up0(hiddenvec)
        up2 = self.up1(cemb1 * up1 + temb1, down2)
        up3 = self.up2(cemb2 * up2 + temb2, down1)
        return self.out(torch.cat((up3, x), 1))


# ----------------------------------------------------------------------------- schedule

TIMESTEPS = 500
BETA1 = 1e-4
BETA2 = 0.02


def make_schedule(timesteps=TIMESTEPS, beta1=BETA1, beta2=BETA2):
    """The seed's linear DDPM schedule, float32, computed exactly as the seed does.

    Returns (b_t, a_t, ab_t), each a float32 tensor of length timesteps + 1.
    """
    b_t = (beta2 - beta1) * torch.linspace(0, 1, timesteps + 1, dtype=torch.float32) + beta1
    a_t = 1 - b_t
    ab_t = torch.cumsum(a_t.log(), dim=0).exp()
    ab_t[0] = 1
    return b_t, a_t, ab_t


def perturb_input(x, t, noise, ab_t):
    """Forward process, the fixed form: sqrt(ab_t[t]) x + sqrt(1 - ab_t[t]) noise.

    t: int64 tensor [B] of step indices in 1..T. (The seed scales the noise by (1 - ab_t),
    without the square root; that is defect 1 of shared/docs/seed-notes.md.)
    """
    ab = ab_t[t, None, None, None]
    return ab.sqrt() * x + (1 - ab).sqrt() * noise


# ----------------------------------------------------------------------------- samplers

def denoise_ddim(x, t, t_prev, pred_noise, ab_t):
    """The seed's DDIM step (eta = 0), same operation order."""
    ab = ab_t[t]
    ab_prev = ab_t[t_prev]
    x0_pred = ab_prev.sqrt() / ab.sqrt() * (x - (1 - ab).sqrt() * pred_noise)
    dir_xt = (1 - ab_prev).sqrt() * pred_noise
    return x0_pred + dir_xt


def denoise_add_noise(x, t, pred_noise, z, b_t, a_t, ab_t):
    """The seed's DDPM step, same operation order; z is the noise for this step."""
    noise = b_t.sqrt()[t] * z
    mean = (x - pred_noise * ((1 - a_t[t]) / (1 - ab_t[t]).sqrt())) / a_t[t].sqrt()
    return mean + noise


def time_tensor(i, timesteps, batch, dtype=torch.float32):
    """t = i / T as a tensor [batch, 1, 1, 1] (the seed builds torch.tensor([i / T]))."""
    return torch.tensor([i / timesteps], dtype=dtype)[:, None, None, None].expand(
        batch, 1, 1, 1).contiguous()


# ----------------------------------------------------------------------------- seed dump

SEED_VARIANT = dict(in_channels=3, n_feat=256, n_cfeat=10, height=28)
_HERE = os.path.dirname(os.path.abspath(__file__))
_SEED_CANDIDATES = [  # shared/ next to the checkout, or inside it
    os.path.normpath(os.path.join(_HERE, "..", "..", "..", "shared", "seed",
                                  "diffusion-code-walkthrough.zh.txt")),
    os.path.normpath(os.path.join(_HERE, "..", "..", "shared", "seed",
                                  "diffusion-code-walkthrough.zh.txt")),
]
SEED_DOC = next((p for p in _SEED_CANDIDATES if os.path.exists(p)), _SEED_CANDIDATES[0])


def seed_variant_state_dict():
    return ContextUnet(**SEED_VARIANT).state_dict()


def dump_lines(state_dict):
    """Lines in the seed dump's format: `name torch.Size([...])`."""
    return [f"{k} {v.shape}" for k, v in state_dict.items()]


def parse_seed_dump(path):
    """(name, shape) pairs from the seed document; the dump lines may carry trailing comments."""
    pat = re.compile(r"^([A-Za-z_][\w.]*) torch\.Size\(\[([\d, ]*)\]\)")
    entries = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = pat.match(line.strip())
            if m:
                dims = tuple(int(d) for d in m.group(2).replace(" ", "").split(",") if d)
                entries.append((m.group(1), dims))
    return entries


def check_seed_dump(path=SEED_DOC, verbose=True):
    """Every (name, shape) of the seed dump must be in the state_dict of the seed variant.

    The dump omits BatchNorm running_mean / running_var / num_batches_tracked; those are the
    only names allowed to be extra. Returns True when the check passes.
    """
    sd = seed_variant_state_dict()
    ours = {k: tuple(v.shape) for k, v in sd.items()}
    seed = parse_seed_dump(path)
    ok = True
    if not seed:
        print(f"no dump lines found in {path}", file=sys.stderr)
        return False
    seen = set()
    for name, shape in seed:
        seen.add(name)
        if name not in ours:
            print(f"MISSING in reference: {name} {shape}", file=sys.stderr)
            ok = False
        elif ours[name] != shape:
            print(f"SHAPE MISMATCH: {name} seed {shape} reference {ours[name]}", file=sys.stderr)
            ok = False
    buffer_suffixes = (".running_mean", ".running_var", ".num_batches_tracked")
    extra = [k for k in ours if k not in seen]
    unexpected = [k for k in extra if not k.endswith(buffer_suffixes)]
    for k in unexpected:
        print(f"EXTRA (not a BatchNorm buffer) in reference: {k} {ours[k]}", file=sys.stderr)
        ok = False
    same_order = [n for n, _ in seed] == [k for k in ours if k in seen]
    if verbose:
        print(f"seed dump: {len(seed)} entries; reference state_dict: {len(ours)} entries "
              f"({len(extra)} extra, all BatchNorm buffers: {not unexpected}); "
              f"same order: {same_order}; "
              f"check {'PASSED' if ok else 'FAILED'}")
    return ok


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dump", action="store_true",
                   help="print the state_dict of ContextUnet(3, 256, 10, 28) in the seed dump format")
    p.add_argument("--check-seed", action="store_true",
                   help="compare with the dump in the seed document (exit 1 on mismatch)")
    p.add_argument("--seed-doc", default=SEED_DOC, help="path of the seed document")
    args = p.parse_args(argv)
    if not (args.dump or args.check_seed):
        args.dump = True
    if args.dump:
        print("\n".join(dump_lines(seed_variant_state_dict())))
    if args.check_seed:
        return 0 if check_seed_dump(args.seed_doc) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
