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
