#!/usr/bin/env bash
# Synthesis speed against the numpy/Pillow peer, as ratios measured in the same run (BENCHMARKS.md,
# "Synthesis"). Each round runs the peer, then SegStudio, each into a new folder, with a sync between
# runs so that neither pays for the other's writeback. Nothing is deleted until the end: ext4 scans
# past recently freed inodes when it allocates new ones, which would bill one run for another's
# deletions (up to a third of the time on this machine).
#
# usage: scripts/bench_synth.sh PROJECT COUNT [ROUNDS] [PYTHON]
#   PROJECT: a project with the atWork photos imported and backgrounds/training linked in
#   PYTHON:  an interpreter with numpy and Pillow (default python3)
set -euo pipefail
cd "$(dirname "$0")/.."
project=$1 count=$2 rounds=${3:-3} python=${4:-python3}
bin=target/release/segstudio
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-synth.XXXXXX")
trap 'rm -rf "$work"' EXIT
for round in $(seq "$rounds"); do
  sync; mkdir -p "$work/peer-$round"
  peer=$("$python" -B ../shared/peers/synth_peer.py ../shared/data/atwork "$work/peer-$round" "$count" \
    | tail -1)
  sync
  ours=$(/usr/bin/time -f '{"rss_kb": %M}' -o "$work/rss" "$bin" synth --project "$project" \
    --count "$count" --seed "$round" --out "$work/ours-$round" --preset seed --outputs images,labels,boxes \
    --json | tail -1)
  "$python" - "$peer" "$ours" "$(cat "$work/rss")" "$round" <<'PY'
import json, sys
peer, ours, rss, rnd = json.loads(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4]
print(f"round {rnd}: peer {peer['ms_per_image']:.2f} ms/image, SegStudio {ours['ms_per_image']:.2f} ms/image "
      f"(load {ours['load_seconds']:.2f} s, {ours['jpeg_encoder']}, RSS {rss['rss_kb'] // 1024} MB): "
      f"ratio {ours['ms_per_image'] / peer['ms_per_image']:.3f}")
PY
done
