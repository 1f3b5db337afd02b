#!/usr/bin/env python3
"""Write tests/fixtures/model/*.safetensors: small DeepLab models built from the PyTorch
reference (../shared/peers/deeplab_ref.py) with seeded weights and non-trivial BatchNorm
statistics, an input, and the reference's eval-mode logits.

Run from the repository root:
    /work/venvs/peer/bin/python -B scripts/make_model_fixture.py

The reference hard-codes full-width channel counts, so the width-reduced models are composed
from its own building blocks (conv_bn, ExpandedConv, XceptionModule, SplitSepConv, ASPP,
Decoder) with the same structure; tensor names are the reference's state-dict keys, which
are also the names the Rust model gives its VarMap entries. Each file stores the model's
config (the Rust `Config` as JSON) in the safetensors metadata under "config".
"""
import json
import os
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.join(HERE, "..")
# The reference lives at ../shared/peers/deeplab_ref.py relative to the repository root.
sys.path.insert(0, os.path.join(REPO_ROOT, "..", "shared", "peers"))
import deeplab_ref as ref  # noqa: E402

OUT_DIR = os.path.join(REPO_ROOT, "tests", "fixtures", "model")


def save_file(tensors, path, metadata):
    """Minimal safetensors writer (f32 only), so the script needs nothing beyond torch."""
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name in sorted(tensors):
        data = tensors[name].detach().to(torch.float32).contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)  # keep the data 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


def mnv2_channels(c, dm):
    return ref._make_divisible(c * dm)


def xc_channels(c, dm):
    return max(1, int(c * dm + 0.5))  # Rust: (c * dm).round()


class MobileNetV2Small(nn.Module):
    """ref.MobileNetV2Encoder with a depth multiplier and a configurable output stride."""

    def __init__(self, dm, output_stride):
        super().__init__()
        stem = mnv2_channels(32, dm)
        self.stem = ref.conv_bn(3, stem, 3, 2, eps=ref.EPS_BACKBONE, act="relu6")
        current_stride, rate, cin = 2, 1, stem
        layers = []
        for expansion, cout, stride in ref.MNV2_LAYERS:
            cout = mnv2_channels(cout, dm)
            if current_stride == output_stride:
                layer_stride, layer_rate = 1, rate
                rate *= stride
            else:
                layer_stride, layer_rate = stride, 1
                current_stride *= stride
            layers.append(ref.ExpandedConv(cin, cout, expansion, layer_stride, layer_rate))
            cin = cout
        self.layers = nn.ModuleList(layers)
        self.out_channels = cin
        self.low_level_channels = layers[2].depthwise[0].out_channels

    forward = ref.MobileNetV2Encoder.forward


class XceptionSmall(nn.Module):
    """ref.Xception65Encoder with scaled widths and fewer middle-flow units."""

    def __init__(self, dm, middle_units, output_stride):
        super().__init__()
        c1, c2 = xc_channels(32, dm), xc_channels(64, dm)
        self.conv1_1 = ref.conv_bn(3, c1, 3, 2, eps=ref.EPS_BACKBONE, act="relu")
        self.conv1_2 = ref.conv_bn(c1, c2, 3, 1, eps=ref.EPS_BACKBONE, act="relu")
        target = output_stride // 2
        current_stride, rate, cin = 1, 1, c2
        units = []
        for name, depths, skip, n, stride, act_in_sep in ref.XCEPTION65_BLOCKS:
            depths = tuple(xc_channels(d, dm) for d in depths)
            if name.startswith("middle_flow"):
                n = middle_units
            for _ in range(n):
                if current_stride == target:
                    units.append(ref.XceptionModule(cin, depths, skip, 1, rate, act_in_sep))
                    rate *= stride
                else:
                    units.append(ref.XceptionModule(cin, depths, skip, stride, 1, act_in_sep))
                    current_stride *= stride
                if name == "entry_flow/block2":
                    self.low_level_unit = len(units) - 1
                    self.low_level_channels = depths[1]
                cin = depths[-1]
        self.units = nn.ModuleList(units)
        self.out_channels = cin

    forward = ref.Xception65Encoder.forward


class DeepLabSmall(ref.DeepLabV3Plus):
    def __init__(self, cfg):
        nn.Module.__init__(self)
        if cfg["backbone"] == "MobileNetV2":
            self.encoder = MobileNetV2Small(cfg["depth_multiplier"], cfg["output_stride"])
        else:
            self.encoder = XceptionSmall(
                cfg["depth_multiplier"], cfg["xception_middle_units"], cfg["output_stride"]
            )
        d, p = cfg["head_channels"], cfg["decoder_projection_channels"]
        self.aspp = ref.ASPP(self.encoder.out_channels, cfg["atrous_rates"], True, depth=d)
        self.decoder = None
        if cfg["decoder"]:
            dec = ref.Decoder(self.encoder.low_level_channels, True, depth=d)
            # The reference hard-codes the 48-channel projection; rebuild the two layers that
            # depend on it with the fixture's width.
            dec.feature_projection0 = ref.conv_bn(self.encoder.low_level_channels, p, 1, act="relu")
            dec.decoder_conv0 = ref.SplitSepConv(d + p, d)
            self.decoder = dec
        self.logits = nn.Conv2d(d, cfg["num_classes"], 1, bias=True)


def base_config(**kw):
    cfg = dict(
        backbone="MobileNetV2", num_classes=5, depth_multiplier=0.05, output_stride=16,
        atrous_rates=[], head_channels=16, decoder=False, decoder_projection_channels=8,
        xception_middle_units=2, bn_momentum=0.0003, dropout=0.1,
    )
    cfg.update(kw)
    return cfg


FIXTURES = {
    # MobileNetV2 + separable ASPP + decoder at OS16 (layers 16-18 atrous, layer_4 decoder input).
    "mnv2_plus_os16": (base_config(atrous_rates=[6, 12, 18], decoder=True), (2, 3, 29, 27)),
    # The zoo head (image pooling + 1x1 only) at OS8: layers from layer_8 on are atrous.
    "mnv2_zoo_os8": (base_config(output_stride=8), (1, 3, 25, 22)),
    # Xception-65 structure (entry/middle/exit flows, exit at rate 2) + ASPP + decoder.
    "xception_os16": (
        base_config(backbone="Xception65", depth_multiplier=1 / 32, atrous_rates=[2, 4, 6],
                    decoder=True),
        (1, 3, 41, 37),
    ),
}


def randomize(model, seed):
    """Seeded weights and non-trivial BN statistics and affine parameters."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                fan_in = m.weight[0].numel()
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) * (2.0 / fan_in) ** 0.5)
                if m.bias is not None:
                    m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.1)
    ref.recalibrate_bn(model, batches=2, size=65, batch=2, seed=seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                n = m.num_features
                m.weight.copy_(0.75 + 0.5 * torch.rand(n, generator=g))
                m.bias.copy_(0.1 * torch.randn(n, generator=g))
                m.running_mean.add_(0.05 * torch.randn(n, generator=g))
                m.running_var.mul_(0.8 + 0.4 * torch.rand(n, generator=g))
        # Keep logits around unit scale so a 1e-4 absolute tolerance is a meaningful check.
        model.logits.weight.mul_(0.2)
    return model.eval()


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    torch.manual_seed(0)
    total = 0
    for i, (name, (cfg, shape)) in enumerate(FIXTURES.items()):
        model = randomize(DeepLabSmall(cfg), seed=100 + i)
        g = torch.Generator().manual_seed(200 + i)
        x = torch.rand(shape, generator=g) * 2 - 1
        with torch.no_grad():
            logits = model(x)
        tensors = {
            k: v.contiguous()
            for k, v in model.state_dict().items()
            if not k.endswith("num_batches_tracked")
        }
        tensors["__input"] = x.contiguous()
        tensors["__logits"] = logits.contiguous()
        path = os.path.join(OUT_DIR, f"{name}.safetensors")
        save_file(tensors, path, metadata={"config": json.dumps(cfg)})
        size = os.path.getsize(path)
        total += size
        params = sum(p.numel() for p in model.parameters())
        print(f"{name}: {params} params, logits {tuple(logits.shape)} "
              f"|max| {logits.abs().max():.3f}, {size} bytes")
    print(f"total {total} bytes")


if __name__ == "__main__":
    main()
