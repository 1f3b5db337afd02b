#!/usr/bin/env python3
"""Converts a TensorFlow DeepLab model-zoo checkpoint into a safetensors file for `segstudio train --init`.

Usage, on a machine with TensorFlow (1.15 or 2.x; only its checkpoint reader is used):

    python scripts/convert_tf_deeplab.py deeplabv3_mnv2_pascal_train_aug/model.ckpt-30000 \
        --encoder mobilenetv2 --out mnv2_coco_voc_trainaug.safetensors
    python scripts/convert_tf_deeplab.py xception_65/model.ckpt --encoder xception65 \
        --out xception65_imagenet.safetensors
    segstudio train --project P --encoder mobilenetv2 --init mnv2_coco_voc_trainaug.safetensors ...

The checkpoints are those of the DeepLab model zoo (tensorflow/models, research/deeplab/g3doc/model_zoo.md):
`mobilenetv2_coco_voc_trainaug` (the MobileNetV2 encoder with DeepLab's image-pooling + 1x1 head) and
`xception65_imagenet` (the Xception-65 encoder alone); the other DeepLab checkpoints of these two encoders
(e.g. `xception65_coco_voc_trainaug`, with ASPP and decoder) convert the same way. CHECKPOINT may also be
an `.npz` of TF-named arrays in TF's layout, which needs numpy only (the tests use this).

What the conversion does:
- renames each variable to SegStudio's name (the table is in `segstudio_name`);
- transposes convolution kernels from TF's HWIO to SegStudio's OIHW, and depthwise kernels from
  [kh, kw, C, 1] to [C, 1, kh, kw];
- keeps BatchNorm's gamma, beta, moving mean and moving variance (a BatchNorm without gamma, as slim
  builds with `scale=False`, gets ones). The epsilons need no shift: slim's backbones use 1e-3 and
  DeepLab's head 1e-5, as SegStudio's `EPS_BACKBONE` and `EPS_HEAD` do;
- leaves out what SegStudio's DeepLab has no place for: optimiser slots (`Momentum`), moving-average
  shadows, `global_step`, MobileNetV2's last 1x1 conv (`Conv_1`) and the ImageNet classifiers. They
  are listed on stderr.

One difference stays: slim's MobileNetV2 pads its stride-2 convolutions "SAME" (one pixel at the
bottom and right of an even-sized map), SegStudio symmetrically, as DeepLab's Xception does
(`fixed_padding`) and PyTorch ports do. Fine-tuning absorbs it; MobileNetV2 features on the same
input differ near the borders of the stride-2 layers. DeepLab's width-reduced MobileNetV2 checkpoints
(`mnv2_dm05_*`) round channels with divisor 1, not slim's 8, and are refused by the shape check.

The class count of `logits` follows the checkpoint (21 for VOC); SegStudio keeps a run's own logits
when the count differs from the run's labels, so the rest of the net still starts from the file.
"""

import argparse
import json
import os
import re
import struct
import sys

import numpy as np

BN_FIELDS = {
    "gamma": "weight",
    "beta": "bias",
    "moving_mean": "running_mean",
    "moving_variance": "running_var",
}

# Variables of a checkpoint that are not weights of the network.
SKIPPED = re.compile(r"(^global_step$|/Momentum$|/ExponentialMovingAverage$|/Adam(_1)?$|/RMSProp(_1)?$)")


def conv_layer(scope_rest, target):
    """`weights`, `depthwise_weights` or `BatchNorm/<field>` of one conv, as SegStudio's
    `<target>.0.weight` (kernel) and `<target>.1.<field>` (its BatchNorm). DeepLab's convs have no
    biases (each has a BatchNorm); the logits' biases are mapped by `head_name`."""
    if scope_rest in ("weights", "depthwise_weights"):
        return f"{target}.0.weight"
    if scope_rest.startswith("BatchNorm/"):
        field = BN_FIELDS.get(scope_rest[len("BatchNorm/"):])
        return f"{target}.1.{field}" if field else None
    return None


def head_name(name):
    """DeepLab's ASPP, decoder and logits (the same for both encoders)."""
    m = re.fullmatch(r"(image_pooling|aspp0|concat_projection)/(.+)", name)
    if m:
        return conv_layer(m.group(2), f"aspp.{m.group(1)}")
    m = re.fullmatch(r"aspp(\d+)_(depthwise|pointwise)/(.+)", name)
    if m:
        return conv_layer(m.group(3), f"aspp.atrous.{int(m.group(1)) - 1}.{m.group(2)}")
    m = re.fullmatch(r"decoder/feature_projection0/(.+)", name)
    if m:
        return conv_layer(m.group(1), "decoder.feature_projection0")
    m = re.fullmatch(r"decoder/decoder_conv(\d+)_(depthwise|pointwise)/(.+)", name)
    if m:
        return conv_layer(m.group(3), f"decoder.decoder_conv{m.group(1)}.{m.group(2)}")
    if name == "logits/semantic/weights":
        return "logits.weight"
    if name == "logits/semantic/biases":
        return "logits.bias"
    return None


def mobilenetv2_name(name):
    m = re.fullmatch(r"MobilenetV2/Conv/(.+)", name)
    if m:
        return conv_layer(m.group(1), "encoder.stem")
    m = re.fullmatch(r"MobilenetV2/expanded_conv(?:_(\d+))?/(expand|depthwise|project)/(.+)", name)
    if m:
        layer = int(m.group(1) or 0)
        return conv_layer(m.group(3), f"encoder.layers.{layer}.{m.group(2)}")
    return head_name(name)


def xception_unit_index(flow, block, unit, middle_units):
    """The position of a unit in SegStudio's flat `encoder.units` list: entry flow blocks 1-3 (one
    unit each), the middle flow's units, exit flow blocks 1-2 (one unit each)."""
    if flow == "entry_flow":
        return block - 1
    if flow == "middle_flow":
        return 3 + unit - 1
    return 3 + middle_units + block - 1


def xception65_name(name, middle_units):
    m = re.fullmatch(r"xception_65/entry_flow/(conv1_[12])/(.+)", name)
    if m:
        return conv_layer(m.group(2), f"encoder.{m.group(1)}")
    m = re.fullmatch(
        r"xception_65/(entry_flow|middle_flow|exit_flow)/block(\d+)/unit_(\d+)/xception_module/(.+)", name
    )
    if m:
        unit = xception_unit_index(m.group(1), int(m.group(2)), int(m.group(3)), middle_units)
        rest = m.group(4)
        s = re.fullmatch(r"separable_conv(\d)_(depthwise|pointwise)/(.+)", rest)
        if s:
            return conv_layer(s.group(3), f"encoder.units.{unit}.convs.{int(s.group(1)) - 1}.{s.group(2)}")
        s = re.fullmatch(r"shortcut/(.+)", rest)
        if s:
            return conv_layer(s.group(1), f"encoder.units.{unit}.shortcut")
        return None
    return head_name(name)


def to_segstudio_layout(source, array):
    """TF's kernel layouts to SegStudio's (PyTorch's)."""
    if array.ndim != 4:
        return array
    if source.endswith("depthwise_weights"):
        # [kh, kw, C, multiplier 1] -> [C, 1, kh, kw]
        return array.transpose(2, 3, 0, 1)
    # HWIO -> OIHW
    return array.transpose(3, 2, 0, 1)


def convert(variables, encoder):
    """TF name -> array, to SegStudio name -> float32 array; returns (tensors, left_out names)."""
    if encoder == "xception65":
        units = [
            int(m.group(1))
            for n in variables
            if (m := re.match(r"xception_65/middle_flow/block1/unit_(\d+)/", n))
        ]
        middle = max(units, default=16)

        def rename(n):
            return xception65_name(n, middle)
    else:
        rename = mobilenetv2_name
    tensors, left_out, gammas = {}, [], set()
    for source in sorted(variables):
        target = None if SKIPPED.search(source) else rename(source)
        if target is None:
            left_out.append(source)
            continue
        if target in tensors:
            raise SystemExit(f"two variables map to {target} (the second is {source})")
        tensors[target] = np.ascontiguousarray(to_segstudio_layout(source, np.asarray(variables[source])), np.float32)
        if source.endswith("BatchNorm/gamma"):
            gammas.add(target)
    # slim's batch_norm with scale=False has no gamma: it multiplies by one.
    for name, array in list(tensors.items()):
        if name.endswith(".1.bias"):
            gamma = name[: -len("bias")] + "weight"
            if gamma not in tensors:
                tensors[gamma] = np.ones_like(array)
    if not tensors:
        raise SystemExit(f"no variable of this checkpoint is a {encoder} DeepLab weight (wrong --encoder?)")
    return tensors, left_out


def write_safetensors(path, tensors, metadata):
    """The safetensors format: an 8-byte little-endian header length, a JSON header naming each
    tensor's dtype, shape and byte range, then the raw little-endian data."""
    header, offset, blobs = {"__metadata__": metadata}, 0, []
    for name in sorted(tensors):
        data = tensors[name].astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    tmp = path + ".part"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def read_checkpoint(path):
    if path.endswith(".npz"):
        with np.load(path) as f:
            return {k: f[k] for k in f.files}
    try:
        import tensorflow as tf
    except ImportError:
        raise SystemExit(f"{path}: reading a TF checkpoint needs TensorFlow (pip install tensorflow-cpu)")
    reader = tf.train.load_checkpoint(path)
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint", help="TF checkpoint prefix (model.ckpt-N) or an .npz of TF-named arrays")
    ap.add_argument("--encoder", choices=["mobilenetv2", "xception65"], required=True)
    ap.add_argument("--out", required=True, help="the .safetensors file to write")
    a = ap.parse_args()
    tensors, left_out = convert(read_checkpoint(a.checkpoint), a.encoder)
    write_safetensors(a.out, tensors, {"source": a.checkpoint, "encoder": a.encoder, "converted_by": "convert_tf_deeplab.py"})
    print(f"{a.out}: {len(tensors)} tensors; {len(left_out)} variables left out", file=sys.stderr)
    for name in left_out:
        print(f"  left out: {name}", file=sys.stderr)


if __name__ == "__main__":
    main()
