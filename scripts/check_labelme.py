"""Loads a SegStudio LabelMe export with labelme's own LabelFile and checks it against the class masks
SegStudio rasterised (an `export --format masks` of the same variant).

Every file must load, with its photo; every `mask` shape's bitmap must have the size its two points
give (labelme's convention: first and last pixel); pasting the masks and filling the polygons with
labelme's own shape_to_mask (PIL, which also paints the outline, so edges differ by a pixel) must agree
with our masks on every pixel off the edges (pixels whose 8 neighbours all have their label). Prints one line of JSON; exits 1 on a failure.

Usage: python check_labelme.py EXPORT_DIR MASKS_DIR LABEL...   (labels in id order, from 1)
"""
import glob
import json
import os
import sys

import numpy as np
import PIL.Image
from labelme.label_file import LabelFile
from labelme.utils import shape_to_mask



def main(export_dir, masks_dir, labels):
    value = {name: k + 1 for k, name in enumerate(labels)}
    value["__ignore__"] = 255
    files, shapes, masks, failures, worst = 0, 0, 0, [], 1.0
    for path in sorted(glob.glob(os.path.join(export_dir, "*.json"))):
        lf = LabelFile(path)
        files += 1
        if not lf.imageData:
            failures.append(f"{path}: no photo")
        stem = os.path.splitext(os.path.basename(path))[0]
        ours = np.array(PIL.Image.open(os.path.join(masks_dir, stem + ".png")))
        theirs = np.zeros_like(ours)
        for s in lf.shapes:
            shapes += 1
            v = value[s["label"]]
            if s["shape_type"] == "mask":
                masks += 1
                (x1, y1), (x2, y2) = np.asarray(s["points"]).astype(int)
                m = s["mask"]
                if m.shape != (y2 - y1 + 1, x2 - x1 + 1):
                    failures.append(f"{path}: a mask of {m.shape} for points {s['points']}")
                    continue
                theirs[y1 : y2 + 1, x1 : x2 + 1][m] = v
            else:
                theirs[shape_to_mask(ours.shape, s["points"], s["shape_type"])] = v
        agreement = float((theirs == ours).mean())
        worst = min(worst, agreement)
        padded = np.pad(ours, 1, mode="edge")
        h, w = ours.shape
        interior = np.ones_like(ours, dtype=bool)
        for dy in (0, 1, 2):
            for dx in (0, 1, 2):
                interior &= padded[dy : dy + h, dx : dx + w] == ours
        off_edge = int(((theirs != ours) & interior).sum())
        if off_edge:
            failures.append(f"{path}: {off_edge} pixels off the edges differ")
    print(json.dumps({"files": files, "shapes": shapes, "masks": masks,
                      "worst_agreement": round(worst, 5), "failures": failures}))
    return 1 if failures or files == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
