#!/usr/bin/env bash
# Starts the real studio under Xvfb and saves screenshots into screenshots/.
#
# Usage: scripts/screenshots.sh [PROJECT] [IMAGE]
#   PROJECT  project folder to show (default: projects/demo when it exists, else the start screen)
#   IMAGE    file name of the image to select (demo default: demo_030.jpg)
# Needs: xvfb (xvfb-run), mesa-vulkan-drivers or libegl-mesa0 (see README). Builds the release binary.
# With xdotool and imagemagick also: help.png, the F1 overlay of the real window (keys sent by xdotool).
set -euo pipefail
cd "$(dirname "$0")/.."
project=${1:-}
image=${2:-}
if [[ -z "$project" && -f projects/demo/project.ron ]]; then
  project=projects/demo
  image=${image:-demo_030.jpg} # a busy scene: containers, a bearing and a nut with their holes
fi
cargo build --release --quiet
bin=target/release/segstudio
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d)}
chmod 700 "$XDG_RUNTIME_DIR"
# A private config folder so the user's recent projects do not leak into screenshots.
export XDG_DATA_HOME=$(mktemp -d) XDG_CONFIG_HOME=$(mktemp -d)
shoot() { # OUT ARGS...
  local out=$1; shift
  xvfb-run -a -s "-screen 0 1400x900x24" "$bin" studio --screenshot "$out" "$@"
  echo "wrote $out"
}
shoot screenshots/start.png --start-screen
if [[ -n "$project" ]]; then
  args=("$project")
  [[ -n "$image" ]] && args+=(--image "$image")
  shoot screenshots/project.png "${args[@]}"
  shoot screenshots/dataset.png "$project" --workspace dataset --view classes
  shoot screenshots/dataset-chart.png "$project" --workspace dataset --view chart
  shoot screenshots/dataset-variants.png "$project" --workspace dataset --view variants
  shoot screenshots/synthesize.png "$project" --workspace synthesize
  shoot screenshots/label.png "${args[@]}" --workspace label
fi
# The Label workspace with each tool in use: gestures played into the real window by --pointer
# (image coordinates), each on a fresh copy of the demo so that nothing they draw is kept.
tool_shot() { # NAME IMAGE TOOL POINTER
  local copy
  copy=$(mktemp -d)/demo
  cp -r projects/demo "$copy"
  shoot "screenshots/label-$1.png" "$copy" --image "$2" --workspace label --tool "$3" --pointer "$4"
  rm -rf "$(dirname "$copy")"
}
if [[ -f projects/demo/project.ron ]]; then
  # demo_001 is unlabelled: a block, an axis and a red container to draw.
  tool_shot polygon demo_001.jpg polygon "view 4 90,45; click 76,16; click 121,22; click 110,74; click 64,68; click 58,48; move 75,18"
  tool_shot scissors demo_001.jpg scissors "view 3.5 60,440; click 27,383; click 99,451; move 90,479"
  tool_shot click demo_001.jpg click "view 3.5 60,440; click 45,445; wait 10; click 38,401; wait 10; click 80,456; wait 10"
  tool_shot wand demo_001.jpg wand "view 3.5 60,440; move 45,445; wait 5"
  tool_shot rectangle demo_001.jpg rectangle "view 4 500,66; press 466,36; move 490,60; move 520,85; move 531,95"
  # demo_030 is labelled: edit what is there.
  tool_shot select demo_030.jpg select "view 4 464,88; click 464,88; move 487,82"
  tool_shot hole demo_030.jpg select "view 2.2 200,60; click 200,60; key H; click 150,40; click 230,30; click 250,90; move 170,95"
  tool_shot brush demo_030.jpg select "view 2.2 200,60; click 200,60; key B; press 160,112; move 170,122; move 180,131; move 190,140"
  tool_shot eraser demo_030.jpg select "view 2.2 200,60; click 200,60; key E; press 150,12; move 175,20; move 200,27; move 225,33"
fi
# Train, Evaluate and Compare: a short run on a copy of the demo (about two minutes on two cores).
if [[ -f projects/demo/project.ron ]]; then
  copy=$(mktemp -d)/demo
  cp -r projects/demo "$copy"
  "$bin" train --project "$copy" --variant full --size 320x240 --batch 8 --steps 150 \
    --eval-every 25 --checkpoint-every 50 >/dev/null
  run=$(ls "$copy/runs" | tail -1)
  shoot screenshots/train.png "$copy" --workspace train --run "$run"
  shoot screenshots/evaluate.png "$copy" --workspace evaluate --run "$run"
  # Compare: the run in f32 and both int8 schemes, a second run on `binary`, latency timed.
  "$bin" quantize --project "$copy" --run "$run" --calib 8 >/dev/null
  "$bin" quantize --project "$copy" --run "$run" --calib 8 --per-tensor >/dev/null
  "$bin" train --project "$copy" --variant binary --size 320x240 --batch 8 --steps 100 \
    --eval-every 25 --checkpoint-every 50 >/dev/null
  second=$(ls "$copy/runs" | tail -1)
  "$bin" quantize --project "$copy" --run "$second" --calib 8 >/dev/null
  "$bin" compare --project "$copy" --latency 5 >/dev/null
  shoot screenshots/compare.png "$copy" --workspace compare
  shoot screenshots/compare-charts.png "$copy" --workspace compare --view charts
  shoot screenshots/compare-seed.png "$copy" --workspace compare --view seed
  rm -rf "$(dirname "$copy")"
fi
if [[ -n "$project" ]] && command -v xdotool >/dev/null && command -v import >/dev/null; then
  display=:$((90 + RANDOM % 9))
  Xvfb "$display" -screen 0 1400x900x24 -nolisten tcp >/dev/null 2>&1 &
  xvfb=$!
  sleep 1
  # A copy, so that nothing the keys do can touch the project itself.
  copy=$(mktemp -d)/project
  cp -r "$project" "$copy"
  DISPLAY=$display "$bin" studio "$copy" ${image:+--image "$image"} >/dev/null 2>&1 &
  app=$!
  for _ in $(seq 50); do
    wid=$(DISPLAY=$display xdotool search --name SegStudio 2>/dev/null | head -1) && [[ -n "$wid" ]] && break
    sleep 0.2
  done
  sleep 3 # the photo and thumbnails arrive
  DISPLAY=$display xdotool windowfocus --sync "$wid" key F1
  sleep 1
  DISPLAY=$display import -window root screenshots/help.png
  echo "wrote screenshots/help.png"
  kill "$app" "$xvfb"
fi
