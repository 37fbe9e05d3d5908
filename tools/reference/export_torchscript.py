#!/usr/bin/python3
"""Turns a state dict into a TorchScript model directory the worker loads (developer tool).

    java -jar target/quarkus-app/quarkus-run.jar export-state-dict --model models/fashion-mnist --out /tmp/sd.npz
    /usr/bin/python3 tools/reference/export_torchscript.py --state-dict /tmp/sd.npz \
        --card models/fashion-mnist/model.json --precision bf16 --out models/fashion-mnist-bf16

The module is scripted (not traced, so nothing runs in this torch), with fp32 inputs and outputs at its edges and,
for --precision bf16, bfloat16 weights and arithmetic inside: the route to the CPU's bf16 units that DJL cannot
take with bf16 arrays of its own. Writes <out>/contextunet-<precision>.pt and <out>/model.json (the card of the
source model with the new weights file, format and SHA-256, and the precision under provenance).
"""
import argparse
import hashlib
import json
import os
import sys

import numpy as np
import torch

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


def main(argv=None):
    p = argparse.ArgumentParser(description="State dict -> TorchScript model directory.")
    p.add_argument("--state-dict", required=True)
    p.add_argument("--card", required=True, help="model.json of the source model (architecture, labels, ...)")
    p.add_argument("--precision", choices=["bf16", "fp32"], default="bf16")
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)

    card = json.load(open(a.card))
    arch = card["architecture"]
    net = cu.ContextUnet(arch["inChannels"], arch["nFeat"], arch["nCfeat"], arch["height"]).eval()
    arrays = np.load(a.state_dict)
    state = {k: torch.from_numpy(arrays[k]) for k in arrays.files}
    net.load_state_dict(state, strict=True)
    dtype = torch.bfloat16 if a.precision == "bf16" else torch.float32
    scripted = torch.jit.script(Exported(net, dtype).eval())
    os.makedirs(a.out, exist_ok=True)
    name = "contextunet-%s.pt" % a.precision
    path = os.path.join(a.out, name)
    scripted.save(path)
    sha = hashlib.sha256(open(path, "rb").read()).hexdigest()
    card["weights"] = {"file": name, "format": "torchscript", "sha256": sha}
    card.setdefault("provenance", {})["precision"] = (
        "%s inside, fp32 at the edges: scripted from %s by tools/reference/export_torchscript.py"
        % (a.precision, os.path.basename(a.state_dict)))
    card["name"] = card.get("name", "model") + ("-" + a.precision if a.precision != "fp32" else "")
    with open(os.path.join(a.out, "model.json"), "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    print(json.dumps({"out": a.out, "file": name, "sha256": sha, "precision": a.precision}))


if __name__ == "__main__":
    main()
