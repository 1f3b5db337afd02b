#!/usr/bin/env python3
"""Makes the TF model-zoo fixtures of `tests/train_init.rs` (numpy only; no TensorFlow, no downloads):

    python scripts/make_tf_init_fixture.py mobilenetv2 tests/fixtures/init
    python scripts/make_tf_init_fixture.py xception65 /tmp/dir

- `mobilenetv2` writes `tf_mnv2_w025.npz`: the variables of a DeepLab MobileNetV2 checkpoint as the
  model zoo's `mobilenetv2_coco_voc_trainaug` names and lays them out (slim's names, HWIO kernels), at
  depth multiplier 0.25 with random weights, with the image-pooling + 1x1 head and 3-class logits, and a
  few variables a checkpoint may have that are not DeepLab weights (global_step, a Momentum slot, and
  `Conv_1`, which slim's ImageNet checkpoint has and DeepLab's do not). Channels are rounded with
  slim's divisor 8, as SegStudio and torchvision round them.
  Next to it `tf_mnv2_w025_features.npz`: an input (NCHW) and the encoder's features at strides 4 and
  16 (NCHW), computed here in numpy from the TF-layout arrays with TF's NHWC convolutions, so the test
  checks SegStudio's loading of the converted file against an independent forward pass.
  Padding is symmetric, as SegStudio pads (see convert_tf_deeplab.py for TF's SAME).
- `xception65` writes `tf_xception65.npz`: every variable of a DeepLab Xception-65 checkpoint with ASPP
  (rates 6/12/18) and decoder, e.g. `xception65_coco_voc_trainaug`, full width, random; the test checks
  that each one converts to a tensor of the right shape.
"""

import os
import sys

import numpy as np

rng = np.random.default_rng(20261203)
EPS_BACKBONE = 1e-3


def make_divisible(v, divisor=8, min_value=8):
    """slim mobilenet's `_make_divisible`."""
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def kernel(kh, kw, cin, cout):
    return (rng.uniform(-1, 1, (kh, kw, cin, cout)) / np.sqrt(kh * kw * cin)).astype(np.float32)


def batchnorm(variables, scope, c):
    variables[f"{scope}/BatchNorm/gamma"] = rng.uniform(0.5, 1.5, c).astype(np.float32)
    variables[f"{scope}/BatchNorm/beta"] = rng.uniform(-0.2, 0.2, c).astype(np.float32)
    variables[f"{scope}/BatchNorm/moving_mean"] = rng.uniform(-0.2, 0.2, c).astype(np.float32)
    variables[f"{scope}/BatchNorm/moving_variance"] = rng.uniform(0.5, 2.0, c).astype(np.float32)


def conv_bn(variables, scope, kh, cin, cout):
    variables[f"{scope}/weights"] = kernel(kh, kh, cin, cout)
    batchnorm(variables, scope, cout)


def depthwise_bn(variables, scope, c, kh=3):
    variables[f"{scope}/depthwise_weights"] = (kernel(kh, kh, c, 1) * np.sqrt(c)).astype(np.float32)
    batchnorm(variables, scope, c)


# slim's MobileNetV2 (V2_DEF) after the stem: (expansion, channels, repeats, stride).
MNV2_BLOCKS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]


def mnv2_layers(multiplier):
    """(scope, cin, expanded, cout, stride) of each expanded_conv layer."""
    cin = make_divisible(32 * multiplier)
    layers, k = [], 0
    for t, c, n, s in MNV2_BLOCKS:
        cout = make_divisible(c * multiplier)
        for i in range(n):
            scope = "MobilenetV2/expanded_conv" + (f"_{k}" if k else "")
            layers.append((scope, cin, make_divisible(cin * t) if t > 1 else cin, cout, s if i == 0 else 1))
            cin, k = cout, k + 1
    return layers


def mnv2_variables(multiplier, classes):
    v = {}
    stem = make_divisible(32 * multiplier)
    conv_bn(v, "MobilenetV2/Conv", 3, 3, stem)
    for scope, cin, expanded, cout, _ in mnv2_layers(multiplier):
        if expanded != cin:
            conv_bn(v, f"{scope}/expand", 1, cin, expanded)
        depthwise_bn(v, f"{scope}/depthwise", expanded)
        conv_bn(v, f"{scope}/project", 1, expanded, cout)
    top = mnv2_layers(multiplier)[-1][3]
    conv_bn(v, "image_pooling", 1, top, 256)
    conv_bn(v, "aspp0", 1, top, 256)
    conv_bn(v, "concat_projection", 1, 512, 256)
    v["logits/semantic/weights"] = kernel(1, 1, 256, classes)
    v["logits/semantic/biases"] = rng.uniform(-0.1, 0.1, classes).astype(np.float32)
    # What a real checkpoint also holds and the conversion leaves out.
    v["global_step"] = np.array(30000, dtype=np.int64)
    v["aspp0/BatchNorm/beta/Momentum"] = np.zeros(256, np.float32)
    conv_bn(v, "MobilenetV2/Conv_1", 1, top, 1280)
    return v


# TF's (NHWC, HWIO) operations, written from their definitions.
def conv2d(x, w, stride=1, dilation=1):
    kh, kw = w.shape[:2]
    ph, pw = (kh - 1) // 2 * dilation, (kw - 1) // 2 * dilation
    n, h, wd, _ = x.shape
    xp = np.pad(x, ((0, 0), (ph, ph), (pw, pw), (0, 0)))
    ho = (h + 2 * ph - dilation * (kh - 1) - 1) // stride + 1
    wo = (wd + 2 * pw - dilation * (kw - 1) - 1) // stride + 1
    out = np.zeros((n, ho, wo, w.shape[3]), np.float64)
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, i * dilation : i * dilation + stride * (ho - 1) + 1 : stride, j * dilation : j * dilation + stride * (wo - 1) + 1 : stride]
            out += patch @ w[i, j].astype(np.float64)
    return out


def depthwise2d(x, w, stride=1):
    kh, kw = w.shape[:2]
    ph, pw = (kh - 1) // 2, (kw - 1) // 2
    n, h, wd, c = x.shape
    xp = np.pad(x, ((0, 0), (ph, ph), (pw, pw), (0, 0)))
    ho, wo = (h + 2 * ph - kh) // stride + 1, (wd + 2 * pw - kw) // stride + 1
    out = np.zeros((n, ho, wo, c), np.float64)
    for i in range(kh):
        for j in range(kw):
            out += xp[:, i : i + stride * (ho - 1) + 1 : stride, j : j + stride * (wo - 1) + 1 : stride] * w[i, j, :, 0]
    return out


def bn(v, scope, x):
    g, b = v[f"{scope}/BatchNorm/gamma"], v[f"{scope}/BatchNorm/beta"]
    m, var = v[f"{scope}/BatchNorm/moving_mean"], v[f"{scope}/BatchNorm/moving_variance"]
    return (x - m) / np.sqrt(var.astype(np.float64) + EPS_BACKBONE) * g + b


def relu6(x):
    return np.clip(x, 0, 6)


def mnv2_features(v, x, multiplier, n_layers):
    """The stem and the first `n_layers` expanded_conv layers, inference mode."""
    y = relu6(bn(v, "MobilenetV2/Conv", conv2d(x, v["MobilenetV2/Conv/weights"], 2)))
    for scope, cin, expanded, cout, stride in mnv2_layers(multiplier)[:n_layers]:
        h = y
        if expanded != cin:
            h = relu6(bn(v, f"{scope}/expand", conv2d(h, v[f"{scope}/expand/weights"])))
        h = relu6(bn(v, f"{scope}/depthwise", depthwise2d(h, v[f"{scope}/depthwise/depthwise_weights"], stride)))
        h = bn(v, f"{scope}/project", conv2d(h, v[f"{scope}/project/weights"]))
        y = y + h if stride == 1 and cin == cout else h
    return y


def xception65_variables(classes, middle_units=16):
    v = {}
    conv_bn(v, "xception_65/entry_flow/conv1_1", 3, 3, 32)
    conv_bn(v, "xception_65/entry_flow/conv1_2", 3, 32, 64)
    units = [("entry_flow/block1", 1, [128] * 3, True), ("entry_flow/block2", 1, [256] * 3, True),
             ("entry_flow/block3", 1, [728] * 3, True), ("middle_flow/block1", middle_units, [728] * 3, False),
             ("exit_flow/block1", 1, [728, 1024, 1024], True), ("exit_flow/block2", 1, [1536, 1536, 2048], False)]
    cin = 64
    for block, n, depths, shortcut in units:
        for u in range(1, n + 1):
            scope = f"xception_65/{block}/unit_{u}/xception_module"
            c = cin
            for j, d in enumerate(depths, 1):
                depthwise_bn(v, f"{scope}/separable_conv{j}_depthwise", c)
                conv_bn(v, f"{scope}/separable_conv{j}_pointwise", 1, c, d)
                c = d
            if shortcut:
                conv_bn(v, f"{scope}/shortcut", 1, cin, depths[2])
            cin = depths[2]
    conv_bn(v, "image_pooling", 1, 2048, 256)
    conv_bn(v, "aspp0", 1, 2048, 256)
    for k in (1, 2, 3):
        depthwise_bn(v, f"aspp{k}_depthwise", 2048)
        conv_bn(v, f"aspp{k}_pointwise", 1, 2048, 256)
    conv_bn(v, "concat_projection", 1, 1280, 256)
    conv_bn(v, "decoder/feature_projection0", 1, 256, 48)
    depthwise_bn(v, "decoder/decoder_conv0_depthwise", 304)
    conv_bn(v, "decoder/decoder_conv0_pointwise", 1, 304, 256)
    depthwise_bn(v, "decoder/decoder_conv1_depthwise", 256)
    conv_bn(v, "decoder/decoder_conv1_pointwise", 1, 256, 256)
    v["logits/semantic/weights"] = kernel(1, 1, 256, classes)
    v["logits/semantic/biases"] = np.zeros(classes, np.float32)
    v["global_step"] = np.array(0, dtype=np.int64)
    return v


def main():
    which, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    if which == "mobilenetv2":
        v = mnv2_variables(0.25, 3)
        x = rng.uniform(-1, 1, (1, 64, 80, 3))
        np.savez(os.path.join(out, "tf_mnv2_w025.npz"), **v)
        features = {
            "input": x.transpose(0, 3, 1, 2).astype(np.float32),
            "stride4": mnv2_features(v, x, 0.25, 3).transpose(0, 3, 1, 2).astype(np.float32),
            "stride16": mnv2_features(v, x, 0.25, 13).transpose(0, 3, 1, 2).astype(np.float32),
        }
        np.savez(os.path.join(out, "tf_mnv2_w025_features.npz"), **features)
    elif which == "xception65":
        np.savez(os.path.join(out, "tf_xception65.npz"), **xception65_variables(21))
    else:
        raise SystemExit(f"unknown fixture {which}: mobilenetv2 or xception65")


if __name__ == "__main__":
    main()
