#!/usr/bin/python3
"""Turns a state dict into a TorchScript model directory the worker loads (developer tool).

    java -jar target/quarkus-app/quarkus-run.jar export-state-dict --model models/fashion-mnist --out /tmp/fm.npz
    PYTHONHASHSEED=0 /usr/bin/python3 tools/reference/export_torchscript.py --state-dict /tmp/fm.npz \
        --card models/fashion-mnist/model.json --precision bf16 --out models/fashion-mnist-bf16
    PYTHONHASHSEED=0 /usr/bin/python3 tools/reference/export_torchscript.py --state-dict /tmp/fm.npz \
        --card models/fashion-mnist/model.json --precision fp32-packed --out models/fashion-mnist-packed

(PYTHONHASHSEED=0 makes the file byte-reproducible: TorchScript writes a class's constants in the order of Python's
string hashing.) The module is scripted, not traced, so that it can be made where Debian's torch 1.13 cannot run it
(some bf16 operators); an fp32 module is loaded back and compared with the eager network before the script reports
success. Inputs and outputs are fp32; with --precision bf16 the weights and arithmetic inside are bfloat16: the
route to the CPU's bf16 units that DJL cannot take with bf16 arrays of its own. Writes <out>/contextunet-<precision>.pt and <out>/model.json (the card of the
source model with the new weights file, format and SHA-256, and the precision under provenance).

--precision fp32-packed (CPU only): fp32, with every BatchNorm folded into the convolution before it, each 3x3
convolution's weight held in oneDNN's blocked layout (torch.utils.mkldnn.MkldnnConv2d, reordered once when the module
is loaded instead of at every call) and the activations kept in that layout through each residual block. Most of what
torch.jit.optimize_for_inference does, in a form that can be saved (its frozen MKLDNN constants cannot be).
"""
import argparse
import copy
import hashlib
import json
import os
import sys
import tempfile

import numpy as np
import torch
import torch.utils.mkldnn
from torch.nn.utils.fusion import fuse_conv_bn_eval

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import contextunet as cu  # noqa: E402


class Exported(torch.nn.Module):
    """fp32 in and out; the network's own dtype inside."""

    def __init__(self, net: torch.nn.Module, dtype: torch.dtype):
        super().__init__()
        self.net = net.to(dtype)
        self.dtype = dtype

    def forward(self, x: torch.Tensor, t: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        return self.net(x.to(self.dtype), t.to(self.dtype), c.to(self.dtype)).float()


class PackedResidualBlock(torch.nn.Module):
    """A ResidualConvBlock for inference: each BatchNorm folded into its convolution, the weights prepacked, and
    conv-GELU-conv-GELU (and the shortcut sum) run on tensors in oneDNN's blocked layout, so that the activations
    are reordered once on the way in rather than around every convolution. Returns that layout, except for a
    residual block, whose division by 1.414 needs a plain tensor."""

    def __init__(self, block: cu.ResidualConvBlock):
        super().__init__()
        self.conv1 = prepacked(fuse_conv_bn_eval(block.conv1[0], block.conv1[1]))
        self.conv2 = prepacked(fuse_conv_bn_eval(block.conv2[0], block.conv2[1]))
        self.is_res = block.is_res
        self.same_channels = block.same_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xm = x if x.is_mkldnn else x.to_mkldnn()
        x1 = torch.nn.functional.gelu(self.conv1(xm))
        x2 = torch.nn.functional.gelu(self.conv2(x1))
        if not self.is_res:
            return x2
        if self.same_channels:
            out = xm + x2
        else:
            out = x1 + x2
        return out.to_dense() / 1.414


class Plain(torch.nn.Module):
    """Back from oneDNN's layout to a plain tensor, for the operators that take only plain ones (cat, the
    transposed convolution, GroupNorm)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.to_dense() if x.is_mkldnn else x


def prepacked(conv: torch.nn.Conv2d) -> torch.nn.Module:
    # torch's own wrapper: the weight is reordered into oneDNN's layout when the module is built and again in its
    # __setstate__ when a saved module is loaded (saved plain, so the file is portable across CPUs).
    return torch.utils.mkldnn.MkldnnConv2d(conv, torch.float32)


def packed(net: cu.ContextUnet) -> cu.ContextUnet:
    """The network for CPU inference with prepacked convolutions (in place; the parameter values are unchanged)."""
    net.init_conv = PackedResidualBlock(net.init_conv)
    for down in (net.down1, net.down2):
        first, second, pool = down.model
        down.model = torch.nn.Sequential(PackedResidualBlock(first), PackedResidualBlock(second), pool, Plain())
    for up in (net.up1, net.up2):
        transposed, first, second = up.model
        up.model = torch.nn.Sequential(transposed, PackedResidualBlock(first), PackedResidualBlock(second), Plain())
    conv, norm, relu, last = net.out
    net.out = torch.nn.Sequential(prepacked(conv), norm, relu, prepacked(last))
    return net


def saved_vs_eager(path: str, eager: torch.nn.Module, arch: dict) -> float:
    """max |saved module - eager fp32 network| on a fixed batch of 3 (noise, three steps, three conditionings)."""
    g = torch.Generator().manual_seed(0)
    size, labels = arch["height"], arch["nCfeat"]
    x = torch.randn(3, arch["inChannels"], size, size, generator=g)
    t = torch.tensor([1.0, 0.5, 0.02]).view(3, 1, 1, 1)
    c = torch.zeros(3, labels)
    c[0, 0] = 1
    c[1, labels - 1] = 1
    loaded = torch.jit.load(path).eval()
    with torch.no_grad():
        return (loaded(x, t, c) - eager(x, t, c)).abs().max().item()


def main(argv=None):
    p = argparse.ArgumentParser(description="State dict -> TorchScript model directory.")
    p.add_argument("--state-dict", required=True)
    p.add_argument("--card", required=True, help="model.json of the source model (architecture, labels, ...)")
    p.add_argument("--precision", choices=["bf16", "fp32", "fp32-packed"], default="bf16")
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)

    card = json.load(open(a.card))
    arch = card["architecture"]
    net = cu.ContextUnet(arch["inChannels"], arch["nFeat"], arch["nCfeat"], arch["height"]).eval()
    arrays = np.load(a.state_dict)
    state = {k: torch.from_numpy(arrays[k]) for k in arrays.files}
    net.load_state_dict(state, strict=True)
    eager = copy.deepcopy(net)  # the reference for the check below; packing and .to(bf16) change net in place
    dtype = torch.bfloat16 if a.precision == "bf16" else torch.float32
    if a.precision == "fp32-packed":
        net = packed(net)
    scripted = torch.jit.script(Exported(net, dtype).eval())
    os.makedirs(a.out, exist_ok=True)
    name = "contextunet-%s.pt" % a.precision
    path = os.path.join(a.out, name)
    # Written into a scratch folder beside the target (under the same file name: TorchScript names the archive's
    # root after it) and moved over it only once checked, so that a failed export leaves the model directory as it
    # was, its card still matching its weights.
    with tempfile.TemporaryDirectory(dir=a.out) as scratch:
        written = os.path.join(scratch, name)
        scripted.save(written)
        # Debian's torch 1.13 cannot run every bf16 operator (its bf16 transposed convolution fails), so only the
        # fp32 modules are checked here; the Java tests compare the bf16 one under libtorch 2.7.
        difference = saved_vs_eager(written, eager, arch) if a.precision != "bf16" else None
        if difference is not None and difference > 1e-4:
            raise SystemExit("the saved module differs from the eager network by %g (fp32 allows 1e-4)" % difference)
        os.replace(written, path)
    sha = hashlib.sha256(open(path, "rb").read()).hexdigest()
    card["weights"] = {"file": name, "format": "torchscript", "sha256": sha}
    card.setdefault("provenance", {})["precision"] = (
        ("fp32-packed (BatchNorm folded, convolution weights prepacked for oneDNN; CPU only)"
         if a.precision == "fp32-packed" else "%s inside, fp32 at the edges" % a.precision)
        + ": scripted from %s by tools/reference/export_torchscript.py" % os.path.basename(a.state_dict))
    card["name"] = card.get("name", "model") + {"bf16": "-bf16", "fp32-packed": "-packed", "fp32": ""}[a.precision]
    with open(os.path.join(a.out, "model.json"), "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    print(json.dumps({"out": a.out, "file": name, "sha256": sha, "precision": a.precision,
                      "saved_vs_eager_max_abs": difference}))


if __name__ == "__main__":
    main()
