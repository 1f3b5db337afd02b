#!/usr/bin/env python3
"""Print the records of target/compare/results.jsonl (peer JSON objects and model_bench lines)
as one table in run order: what, median/min ms, other processes' CPU %."""
import json
import sys

path = sys.argv[1] if len(sys.argv) > 1 else "target/compare/results.jsonl"
text = open(path).read()
dec, i, objs = json.JSONDecoder(), 0, []
while i < len(text):
    if text[i].isspace():
        i += 1
        continue
    obj, i = dec.raw_decode(text, i)
    objs.append(obj)


def peer_records(obj, path=""):
    """Every timing record (a dict with median_ms) inside a peer result, with its key path."""
    if isinstance(obj, dict):
        if "median_ms" in obj:
            yield path, obj
            return
        for key, val in obj.items():
            if key not in ("machine", "settings", "model_info"):
                yield from peer_records(val, f"{path}/{key}" if path else key)
    elif isinstance(obj, list):
        for val in obj:
            yield from peer_records(val, path)


for obj in objs:
    if "task" in obj and "ms_median" in obj:
        c = obj["config"]
        name = f"ours {obj['task']} {c['backbone']} b{obj['batch']} {obj['height']}x{obj['width']}"
        extra = f" phases={obj['phase_median_ms']}" if obj.get("phase_median_ms") else ""
        print(f"{name:58s} median {obj['ms_median']:9.1f}  min {obj['ms_min']:9.1f}  others {obj['other_procs_cpu_pct']}%{extra}")
    elif "failed" in obj:
        print("FAILED", obj["failed"])
    else:
        for key, rec in peer_records(obj):
            keys = ("config", "precision", "quant", "batch", "size")
            label = " ".join(str(rec.get(k)) for k in keys if rec.get(k) is not None)
            extra = f" phases={rec['phase_median_ms']}" if rec.get("phase_median_ms") else ""
            print(f"peer {key} {label:48s} median {rec['median_ms']:9.1f}  min {rec.get('min_ms', float('nan')):9.1f}  others {rec.get('other_procs_cpu_pct')}%{extra}")
