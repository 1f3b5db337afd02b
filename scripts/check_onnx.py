"""Runs an exported ONNX model in ONNX Runtime, for tests/onnx_export.rs to compare with SegStudio.

Usage: check_onnx.py MODEL INPUT.bin OUTPUT.bin
INPUT.bin holds raw little-endian float32 images [N, 3, H, W] run one at a time (the model's batch is
1); OUTPUT.bin receives the logits, concatenated. Prints one JSON object: the output shape of one
image and the model's metadata.
"""
import json
import sys

import numpy as np
import onnxruntime as ort

model, inputs, outputs = sys.argv[1:4]
options = ort.SessionOptions()
options.intra_op_num_threads = 2
session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
(inp,) = session.get_inputs()
shape = inp.shape
x = np.fromfile(inputs, np.float32).reshape([-1] + list(shape[1:]))
logits = [session.run(None, {inp.name: image[None]})[0] for image in x]
np.concatenate(logits).astype(np.float32).tofile(outputs)
print(json.dumps({
    "input": inp.name,
    "shape": list(logits[0].shape),
    "metadata": session.get_modelmeta().custom_metadata_map,
}))
