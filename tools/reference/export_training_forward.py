#!/usr/bin/python3
"""Writes the TorchScript forward pass that `train --precision bf16` runs (developer tool).

    PYTHONHASHSEED=0 /usr/bin/python3 tools/reference/export_training_forward.py

The module holds no weights: its forward takes (x [B, C, H, W], t [B], c [B, n_cfeat], p), where p maps every
parameter and BatchNorm statistic of the Java network to its tensor by the seed's names (`init_conv.conv1.0.weight`,
...). So one small file serves every n_feat, n_cfeat, channel count and height, the weights stay the Java network's
(checkpoints, the optimiser and the moving average see no difference), and autograd carries the gradients through
the scripted graph back to them. BatchNorm runs in training mode and updates the running statistics in p in place,
as the Java blocks do.

Why it exists: DJL 0.36 cannot hold a bf16 array (its native layer has no mapping for the dtype; converting one
terminates the JVM), so the bf16 arithmetic has to stay inside one native call. With --bf16 every convolution and
transposed convolution casts its input, weight and bias to bfloat16 and its output back to float32: the weights stay
float32 (the master copy Adam updates), normalisations, activations, the embeddings and the loss run in float32
(mixed precision as torch.autocast does it, written out: Debian's torch 1.13 can neither script the CPU autocast
switch nor run this network under autocast, whose group_norm rejects the bf16 output of the transposed convolution).

Each convolution and transposed convolution whose output channels are not a multiple of the channel block (16 for
float32, as the Java ChannelPaddedConv2d; 32 for bf16, the widest bf16 block, to be safe) is run with zero filters
added up to it and the extra channels dropped: oneDNN's backward-data pass reads the padding of its blocks without
zeroing it on some CPUs (docs/training.md). For n_feat a multiple of 32 only the last convolution is padded.

Writes src/main/resources/org/diffusionworker/training/contextunet-train-bf16.pt and, for the tests, the same
function in float32 as src/test/resources/org/diffusionworker/training/contextunet-train-fp32.pt (the Java tests
hold that one to the float64 training fixtures, so the scripted structure is checked exactly; the bf16 one differs
from it only in the casts). The float32 module is checked here against the eager reference network (forward,
every gradient, the BatchNorm statistics) before anything is written. PYTHONHASHSEED=0 makes the files
byte-reproducible for an unchanged script.
"""
import argparse
import copy
import os
import sys
import tempfile
from typing import Dict

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import contextunet as cu  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
MAIN = os.path.join(ROOT, "src/main/resources/org/diffusionworker/training/contextunet-train-bf16.pt")
TEST = os.path.join(ROOT, "src/test/resources/org/diffusionworker/training/contextunet-train-fp32.pt")


class TrainingForward(torch.nn.Module):
    """contextunet.ContextUnet.forward in training mode, as a function of its parameters p."""

    def __init__(self, bf16: bool):
        super().__init__()
        self.bf16 = bf16
        self.channel_block = 32 if bf16 else 16

    def padded_channels(self, channels: int) -> int:
        return (channels + self.channel_block - 1) // self.channel_block * self.channel_block

    def conv(self, x: torch.Tensor, p: Dict[str, torch.Tensor], name: str) -> torch.Tensor:
        w = p[name + ".weight"]  # [out, in, 3, 3]
        b = p[name + ".bias"]
        out = w.shape[0]
        extra = self.padded_channels(out) - out
        if extra > 0:
            w = torch.cat((w, torch.zeros([extra, w.shape[1], w.shape[2], w.shape[3]], dtype=w.dtype, device=w.device)), 0)
            b = torch.cat((b, torch.zeros([extra], dtype=b.dtype, device=b.device)), 0)
        if self.bf16:
            y = F.conv2d(x.to(torch.bfloat16), w.to(torch.bfloat16), b.to(torch.bfloat16), 1, 1).float()
        else:
            y = F.conv2d(x, w, b, 1, 1)
        return y if extra == 0 else y[:, :out]

    def conv_transpose(self, x: torch.Tensor, p: Dict[str, torch.Tensor], name: str, k: int) -> torch.Tensor:
        w = p[name + ".weight"]  # [in, out, k, k]
        b = p[name + ".bias"]
        out = w.shape[1]
        extra = self.padded_channels(out) - out
        if extra > 0:
            w = torch.cat((w, torch.zeros([w.shape[0], extra, w.shape[2], w.shape[3]], dtype=w.dtype, device=w.device)), 1)
            b = torch.cat((b, torch.zeros([extra], dtype=b.dtype, device=b.device)), 0)
        if self.bf16:
            y = F.conv_transpose2d(x.to(torch.bfloat16), w.to(torch.bfloat16), b.to(torch.bfloat16), k).float()
        else:
            y = F.conv_transpose2d(x, w, b, k)
        return y if extra == 0 else y[:, :out]

    def batch_norm(self, x: torch.Tensor, p: Dict[str, torch.Tensor], name: str) -> torch.Tensor:
        # PyTorch's defaults (momentum 0.1, eps 1e-5), on batch statistics, updating the running ones in p.
        return F.batch_norm(x, p[name + ".running_mean"], p[name + ".running_var"], p[name + ".weight"],
                            p[name + ".bias"], True, 0.1, 1e-5)

    def residual(self, x: torch.Tensor, p: Dict[str, torch.Tensor], name: str, is_res: bool) -> torch.Tensor:
        x1 = F.gelu(self.batch_norm(self.conv(x, p, name + ".conv1.0"), p, name + ".conv1.1"))
        x2 = F.gelu(self.batch_norm(self.conv(x1, p, name + ".conv2.0"), p, name + ".conv2.1"))
        if not is_res:
            return x2
        # minDiffusion's deterministic shortcut; 1.414 as the seed has it (contextunet.RES_SCALE).
        if x.shape[1] == x2.shape[1]:
            return (x + x2) / 1.414
        return (x1 + x2) / 1.414

    def embed(self, v: torch.Tensor, p: Dict[str, torch.Tensor], name: str) -> torch.Tensor:
        h = F.gelu(F.linear(v, p[name + ".model.0.weight"], p[name + ".model.0.bias"]))
        return F.linear(h, p[name + ".model.2.weight"], p[name + ".model.2.bias"])

    def group_norm(self, x: torch.Tensor, p: Dict[str, torch.Tensor], name: str) -> torch.Tensor:
        return F.group_norm(x, 8, p[name + ".weight"], p[name + ".bias"], 1e-5)

    def up(self, x: torch.Tensor, skip: torch.Tensor, p: Dict[str, torch.Tensor], name: str) -> torch.Tensor:
        y = self.conv_transpose(torch.cat((x, skip), 1), p, name + ".model.0", 2)
        return self.residual(self.residual(y, p, name + ".model.1", False), p, name + ".model.2", False)

    def down(self, x: torch.Tensor, p: Dict[str, torch.Tensor], name: str) -> torch.Tensor:
        y = self.residual(self.residual(x, p, name + ".model.0", False), p, name + ".model.1", False)
        return F.max_pool2d(y, 2)

    def forward(self, x: torch.Tensor, t: torch.Tensor, c: torch.Tensor, p: Dict[str, torch.Tensor]) -> torch.Tensor:
        n_feat = p["init_conv.conv1.0.weight"].shape[0]
        features = self.residual(x, p, "init_conv", True)
        down1 = self.down(features, p, "down1")
        down2 = self.down(down1, p, "down2")
        hidden = F.gelu(down2.mean([2, 3], keepdim=True))
        time = t.reshape(-1, 1)
        cemb1 = self.embed(c, p, "contextembed1").view(-1, 2 * n_feat, 1, 1)
        temb1 = self.embed(time, p, "timeembed1").view(-1, 2 * n_feat, 1, 1)
        cemb2 = self.embed(c, p, "contextembed2").view(-1, n_feat, 1, 1)
        temb2 = self.embed(time, p, "timeembed2").view(-1, n_feat, 1, 1)
        up1 = F.relu(self.group_norm(self.conv_transpose(hidden, p, "up0.0", x.shape[2] // 4), p, "up0.1"))
        up2 = self.up(cemb1 * up1 + temb1, down2, p, "up1")
        up3 = self.up(cemb2 * up2 + temb2, down1, p, "up2")
        head = F.relu(self.group_norm(self.conv(torch.cat((up3, features), 1), p, "out.0"), p, "out.1"))
        return self.conv(head, p, "out.3")


def check_fp32(path: str) -> float:
    """Largest relative difference between the saved fp32 function and the eager network (training mode):
    the output, every gradient (relative to the largest gradient, as conv biases before a BatchNorm have none
    in exact arithmetic) and the BatchNorm statistics after the step. Two shapes: one channel at 28, n_feat 8
    (every channel count below the block of 16 padded) with 10 labels; three channels at 16, n_feat 32, 5 labels."""
    worst = 0.0
    loaded = torch.jit.load(path)
    for channels, height, n_feat, labels in ((1, 28, 8, 10), (3, 16, 32, 5)):
        torch.manual_seed(0)
        eager = cu.ContextUnet(channels, n_feat, labels, height).double().train()
        copied = copy.deepcopy(eager)
        g = torch.Generator().manual_seed(1)
        x = torch.randn(4, channels, height, height, generator=g, dtype=torch.float64)
        t = torch.rand(4, generator=g, dtype=torch.float64)
        c = F.one_hot(torch.randint(0, labels, (4,), generator=g), labels).double()
        expected = eager(x, t.view(-1, 1, 1, 1), c)
        expected.square().mean().backward()
        p = dict(copied.named_parameters())
        p.update({k: v for k, v in copied.named_buffers() if not k.endswith("num_batches_tracked")})
        got = loaded(x, t, c, p)
        got.square().mean().backward()
        worst = max(worst, ((got - expected).abs().max() / expected.abs().max()).item())
        scale = max(q.grad.abs().max().item() for q in eager.parameters())
        for (name, a), b in zip(eager.named_parameters(), copied.parameters()):
            worst = max(worst, (a.grad - b.grad).abs().max().item() / scale)
        for (name, a), b in zip(eager.named_buffers(), copied.buffers()):
            if not name.endswith("num_batches_tracked"):
                worst = max(worst, ((a - b).abs().max() / a.abs().max().clamp(min=1e-12)).item())
    return worst


def save_checked(module: torch.nn.Module, path: str, check) -> None:
    """Saves into a scratch folder beside path and moves the file in place only once check passes."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with tempfile.TemporaryDirectory(dir=os.path.dirname(path)) as scratch:
        written = os.path.join(scratch, os.path.basename(path))
        torch.jit.script(module).save(written)
        if check is not None:
            difference = check(written)
            # Both sides run in float64 here, so only rounding separates them.
            if difference > 1e-10:
                raise SystemExit("the scripted forward differs from contextunet.py by %g (allowed 1e-10)" % difference)
            print("%s: scripted vs eager float64, largest relative difference %.3g" % (path, difference))
        os.replace(written, path)


def main(argv=None):
    argparse.ArgumentParser(description=__doc__.split("\n")[0]).parse_args(argv)
    # Debian's torch 1.13 cannot run this network's bf16 transposed convolution, so the bf16 module is checked
    # by the Java tests under libtorch 2.7 (ScriptedTrainingForwardTest); its float32 twin is checked here.
    save_checked(TrainingForward(bf16=False), TEST, check_fp32)
    save_checked(TrainingForward(bf16=True), MAIN, None)
    print("wrote %s and %s" % (MAIN, TEST))


if __name__ == "__main__":
    main()
