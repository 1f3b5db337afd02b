"""Ultralytics' own dataset check of a SegStudio YOLO export, run by hand (it needs torch: not in CI).

check_det_dataset reads data.yaml and resolves the folders; YOLODataset(task="segment") then verifies
every image and label file as training would, counting corrupt ones.

Usage: python check_ultralytics.py EXPORT/data.yaml   (ultralytics 8.3.40, torch 2.5.1 were used)
"""
import sys
from ultralytics.data.utils import check_det_dataset
from ultralytics.data.dataset import YOLODataset
from ultralytics.cfg import get_cfg
data = check_det_dataset(sys.argv[1])
print("check_det_dataset:", {k: (v if k != "names" else len(v)) for k, v in data.items() if k in ("train", "val", "test", "nc", "names")})
cfg = get_cfg()
for split in ("train", "val", "test"):
    if not data.get(split):
        continue
    ds = YOLODataset(img_path=data[split], data=data, task="segment", hyp=cfg, augment=False, cache=False)
    labels = ds.labels
    segs = sum(len(l["segments"]) for l in labels)
    print(split, "images", len(ds.im_files), "labels", len(labels), "segments", segs)
