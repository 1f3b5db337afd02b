"""Loads a SegStudio COCO export with pycocotools and compares every annotation's mask with the mask
SegStudio rasterised for it (raw row-major u8 files `<masks>/<annotation id>.bin`).

RLE annotations (instances with holes) must match exactly; polygon annotations are rasterised by
pycocotools' own polygon filler, which differs from the pixel-centre rule along edges, so they must
reach an IoU of at least MIN_IOU. Prints one line of JSON with the figures; exits 1 on a failure.

Usage: python check_coco.py EXPORT_DIR MASKS_DIR
"""
import json
import sys

import numpy as np
from pycocotools.coco import COCO

MIN_IOU = 0.9


def main(export_dir, masks_dir):
    coco = COCO(f"{export_dir}/annotations.json")
    worst_polygon, rle_exact, polygons, failures = 1.0, 0, 0, []
    for ann in coco.loadAnns(coco.getAnnIds()):
        image = coco.loadImgs(ann["image_id"])[0]
        theirs = coco.annToMask(ann).astype(bool)
        ours = np.fromfile(f"{masks_dir}/{ann['id']}.bin", dtype=np.uint8)
        ours = ours.reshape(image["height"], image["width"]).astype(bool)
        if abs(ann["area"] - ours.sum()) > 0.5:
            failures.append(f"annotation {ann['id']}: area {ann['area']} but the mask has {ours.sum()}")
        if isinstance(ann["segmentation"], dict):
            if not np.array_equal(theirs, ours):
                failures.append(f"annotation {ann['id']}: RLE decodes to another mask")
            rle_exact += 1
        else:
            union = np.logical_or(theirs, ours).sum()
            iou = np.logical_and(theirs, ours).sum() / union if union else 1.0
            worst_polygon = min(worst_polygon, iou)
            polygons += 1
            if iou < MIN_IOU:
                failures.append(f"annotation {ann['id']}: polygon IoU {iou:.4f} < {MIN_IOU}")
    print(json.dumps({
        "annotations": len(coco.getAnnIds()),
        "rle_exact": rle_exact,
        "polygons": polygons,
        "worst_polygon_iou": round(float(worst_polygon), 5),
        "failures": failures,
    }))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
