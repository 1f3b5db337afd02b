#!/usr/bin/env python3
"""Write tests/fixtures/init/: a width-reduced torchvision `mobilenet_v2` with seeded random weights
and non-trivial BatchNorm statistics saved as a PyTorch state dict (`.pth`, the format torchvision's
ImageNet weights come in), and its eval-mode features on one seeded input, so that a test can load the
file through `segstudio train --init` and check SegStudio's encoder against torchvision's without torch.

Run from the repository root with the peer venv (../shared/peers/setup.sh):
    "$VENV/bin/python" -B scripts/make_init_fixture.py

Features stored (safetensors, f32): `input` [1, 3, 48, 64] in [-1, 1]; `stride4` = features[:4](input)
(torchvision's block 3, SegStudio's stem + blocks 0..3); `stride16` = features[:14](input) (the last
block before torchvision's stride-32 stage, which DeepLab runs atrous at output stride 16).
"""
import json
import os
import struct
import zipfile

import torch
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.join(HERE, "..", "tests", "fixtures", "init")
WIDTH = 0.25


def save_file(tensors, path):
    """Minimal safetensors writer (f32 only), so the script needs nothing beyond torch."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        data = tensors[name].detach().to(torch.float32).contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


def rezip(path):
    """Rewrite torch's archive with Python's zip writer, entries and names unchanged. torch 2.15
    always adds a zip64 end record, and the `zip` crate that Candle reads `.pth` files with rejects
    the archive ("Invalid Central Directory header"); torch.load reads either form."""
    with zipfile.ZipFile(path) as z:
        entries = [(i.filename, z.read(i)) for i in z.infolist()]
    with zipfile.ZipFile(path + ".tmp", "w", zipfile.ZIP_STORED) as z:
        for name, data in entries:
            z.writestr(name, data)
    os.replace(path + ".tmp", path)
    torch.load(path)  # still a valid PyTorch file


def main():
    torch.manual_seed(0)
    model = torchvision.models.mobilenet_v2(weights=None, width_mult=WIDTH, num_classes=10)
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.copy_(torch.rand(m.num_features, generator=g) * 0.5 + 0.75)
                m.bias.copy_(torch.randn(m.num_features, generator=g) * 0.1)
                m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(m.num_features, generator=g) * 0.5 + 0.75)
    model.eval()
    x = torch.rand(1, 3, 48, 64, generator=g) * 2 - 1
    with torch.no_grad():
        stride4 = model.features[:4](x)
        stride16 = model.features[:14](x)
    os.makedirs(OUT_DIR, exist_ok=True)
    path = os.path.join(OUT_DIR, "torchvision_mnv2_w025.pth")
    torch.save(model.state_dict(), path)
    rezip(path)
    save_file({"input": x, "stride4": stride4, "stride16": stride16},
              os.path.join(OUT_DIR, "torchvision_mnv2_w025_features.safetensors"))
    print("stride4", tuple(stride4.shape), "stride16", tuple(stride16.shape),
          "torch", torch.__version__, "torchvision", torchvision.__version__)


if __name__ == "__main__":
    main()
