"""Scores label maps exactly as the torch peer does (../shared/peers/train_peer.py, `evaluate`), with
numpy only, for tests/eval_numpy.rs to hold SegStudio's evaluator against.

Usage: check_eval.py DIR CLASSES  (DIR holds truth_K.bin and pred_K.bin, raw uint8 maps; 255 is ignored)
Prints one JSON object: {"miou": ..., "pixel_acc": ..., "iou": [per class, percent, NaN-free]}.
"""
import json
import pathlib
import sys

import numpy as np

folder, ncls = pathlib.Path(sys.argv[1]), int(sys.argv[2])
conf = np.zeros((ncls, ncls), np.int64)
for truth_file in sorted(folder.glob("truth_*.bin")):
    y = np.fromfile(truth_file, np.uint8)
    p = np.fromfile(folder / truth_file.name.replace("truth_", "pred_"), np.uint8)
    k = y != 255
    np.add.at(conf, (y[k].astype(int), p[k].astype(int)), 1)
inter = np.diag(conf)
union = conf.sum(0) + conf.sum(1) - inter
present = conf.sum(1) > 0
iou = np.where(union > 0, inter / np.maximum(union, 1), 0.0)
print(json.dumps({
    "miou": float(iou[present].mean() * 100),
    "pixel_acc": float(inter.sum() / conf.sum() * 100),
    "iou": [float(v) * 100 for v in iou],
    "union": [int(v) for v in union],
}))
