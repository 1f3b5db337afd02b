#!/usr/bin/env bash
# Side-by-side timings against the Python peer, alternating processes (peer, ours, peer, ours)
# with 2 threads each, as ../shared/peers/README.md asks. Writes one JSON object per line to
# target/compare/results.jsonl. Run from the repository root after `cargo build --release`;
# PY names the peer's Python (see ../shared/peers/README.md for its venv).
set -uo pipefail
PY=${PY:-/work/venvs/peer/bin/python}
PEER=${PEER:-../shared/peers/bench.py}
BIN=./target/release/segstudio
# BENCH infer|train CONFIG H W BATCH REPEATS WARMUP, as the CLI's bench subcommands.
bench() {
  local task=$1 cfg=$2 h=$3 w=$4 b=$5 r=$6 wu=$7
  [[ $task == train ]] && task=train-step
  "$BIN" bench "$task" --encoder "$cfg" --size "${w}x${h}" --batch "$b" --repeats "$r" --warmup "$wu" --json
}
OUT=target/compare/results.jsonl
ROUNDS=${ROUNDS:-2}
mkdir -p target/compare
# The binary tunes its own allocator and Candle's thread count (src/main.rs), so no environment
# is set here.
run() { echo "== $*" >&2; "$@" >> "$OUT" || echo "{\"failed\": \"$*\"}" >> "$OUT"; }
export -f bench; export BIN
peer() { run "$PY" -B "$PEER" --threads 2 --out - "$@"; }
ours() { run env RAYON_NUM_THREADS=2 "$@"; }
for r in $(seq "$ROUNDS"); do
  peer --configs mnv2_tf_zoo --tasks onnx --sizes 513
  ours bash -c 'bench "$@"' _ infer mobilenetv2 513 513 1 7 2
  peer --configs xception65 --tasks onnx --sizes 513
  ours bash -c 'bench "$@"' _ infer xception65 513 513 1 5 1
done
peer --configs mnv2_tf_zoo --tasks torch_train --train-shapes 8x256
ours bash -c 'bench "$@"' _ train mobilenetv2 256 256 8 5 1
peer --configs mnv2_tf_zoo --tasks torch_train --train-shapes 8x256
ours bash -c 'bench "$@"' _ train mobilenetv2 256 256 8 5 1
peer --configs xception65 --tasks torch_train --train-shapes 8x256
ours bash -c 'bench "$@"' _ train xception65 256 256 8 2 1
peer --configs xception65 --tasks torch_train --train-shapes 8x256
ours bash -c 'bench "$@"' _ train xception65 256 256 8 2 1
