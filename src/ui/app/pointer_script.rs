//! `--pointer SCRIPT`: pointer and key steps in the Label canvas's image coordinates, played into
//! the real window once the photo shows, one input event per frame as a hand would. The README's
//! pictures of each tool in use are taken this way (`scripts/screenshots.sh`), and a bug report can
//! carry the gesture that shows it.
//!
//! Steps, separated by `;`: `move X,Y`, `click X,Y`, `shift-click X,Y`, `right-click X,Y`,
//! `double-click X,Y`, `drag X,Y X,Y` (press, six moves, release), `press X,Y` and `release X,Y`
//! (the primary button alone: a drag left in progress), `view Z X,Y` (X,Y in the middle at zoom Z, screen points per pixel), `key NAME` (an egui key name: `Enter`,
//! `Escape`, `Backspace`, `V`…), `wait N` (frames).

use std::collections::VecDeque;

use egui::{Event, Modifiers, PointerButton};

use crate::geometry::Point;
use crate::ui::workspace::WorkspaceId;

/// One parsed step.
#[derive(Clone, Debug, PartialEq)]
enum Step {
    Move(Point),
    Click {
        at: Point,
        button: PointerButton,
        modifiers: Modifiers,
        times: u8,
    },
    Drag(Point, Point),
    /// The primary button alone (a drag left in progress for a picture).
    Button(Point, bool),
    /// Show a point in the middle of the view at a zoom.
    View(f32, Point),
    Key(egui::Key),
    Wait(u32),
}

/// What one frame gets: events at image points (made screen points when played), or a key.
#[derive(Clone, Debug, PartialEq)]
enum FrameInput {
    Moved(Point),
    Button {
        at: Point,
        button: PointerButton,
        pressed: bool,
        modifiers: Modifiers,
    },
    Key {
        key: egui::Key,
        pressed: bool,
    },
    /// The keyboard's modifiers change (a shift-click's Shift let go).
    Modifiers(Modifiers),
    View(f32, Point),
    Nothing,
}

/// Frames the photo must have been on screen before the first step plays (the panels and the
/// view's fit settle in the first few).
const SETTLE_FRAMES: u32 = 10;

/// A script being played.
#[derive(Debug)]
pub struct PointerScript {
    frames: VecDeque<FrameInput>,
    /// Frames in a row that the photo has been shown.
    shown_for: u32,
}

impl PointerScript {
    /// Parses `text`; the error names the step that is wrong and why.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut frames = VecDeque::new();
        for step in text.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            for frame in expand(&parse_step(step)?) {
                frames.push_back(frame);
            }
        }
        Ok(Self {
            frames,
            shown_for: 0,
        })
    }

    /// Whether every step has been played.
    pub fn is_done(&self) -> bool {
        self.frames.is_empty()
    }

    /// Plays the next frame's input into `raw` with `to_screen` mapping image points to the
    /// window; `None` while no photo is shown, and nothing plays until one has been for a few
    /// frames. A `view` step is not input: it comes back as (zoom, point) for the caller to set.
    pub fn play(
        &mut self,
        raw: &mut egui::RawInput,
        to_screen: Option<impl Fn(Point) -> Option<egui::Pos2>>,
    ) -> Option<(f32, Point)> {
        let Some(to_screen) = to_screen else {
            self.shown_for = 0;
            return None;
        };
        self.shown_for = self.shown_for.saturating_add(1);
        if self.shown_for < SETTLE_FRAMES {
            return None;
        }
        let frame = self.frames.front()?;
        let event = match frame {
            FrameInput::Moved(p) => to_screen(*p).map(Event::PointerMoved),
            FrameInput::Button {
                at,
                button,
                pressed,
                modifiers,
            } => to_screen(*at).map(|pos| Event::PointerButton {
                pos,
                button: *button,
                pressed: *pressed,
                modifiers: *modifiers,
            }),
            FrameInput::Key { key, pressed } => Some(Event::Key {
                key: *key,
                physical_key: None,
                pressed: *pressed,
                repeat: false,
                modifiers: Modifiers::NONE,
            }),
            FrameInput::Modifiers(modifiers) => Some(Event::ModifiersChanged(*modifiers)),
            FrameInput::View(zoom, at) => {
                let view = (*zoom, *at);
                self.frames.pop_front();
                return Some(view);
            }
            FrameInput::Nothing => None,
        };
        let played = match (event, frame) {
            (None, FrameInput::Nothing) => true,
            (None, _) => false,
            (Some(event), _) => {
                if let Event::PointerButton { modifiers, .. } = event
                    && modifiers != Modifiers::NONE
                {
                    // Held down before the button, as a hand holds Shift.
                    raw.events.push(Event::ModifiersChanged(modifiers));
                }
                raw.events.push(event);
                true
            }
        };
        if played {
            self.frames.pop_front();
        }
        None
    }
}

impl super::StudioApp {
    /// `--tool` and `--pointer`: the Label tool to start with and the steps to play (a bad name or
    /// step is said on stderr and in a toast, and nothing is played).
    pub(super) fn set_up_gestures(&mut self, tool: Option<&str>, pointer: Option<&str>) {
        if let Some(name) = tool {
            match crate::ui::label::ToolKind::from_name(name) {
                Some(tool) => self.workspaces.label.tool = tool,
                None => self.toasts.error(format!(
                    "No tool {name:?}: the tools are select, click, polygon, scissors, rectangle, hole, brush, eraser and wand"
                )),
            }
        }
        if let Some(text) = pointer {
            match PointerScript::parse(text) {
                Ok(script) => self.pointer = Some(script),
                Err(err) => {
                    eprintln!("error: --pointer: {err}");
                    self.toasts.error(format!("--pointer: {err}"));
                }
            }
        }
    }

    /// Plays the next `--pointer` step into this frame's input, once the Label canvas shows the
    /// selected photo (the real window calls this through eframe; tests may call it themselves).
    pub fn play_pointer(&mut self, raw_input: &mut egui::RawInput) {
        let Some(script) = &mut self.pointer else {
            return;
        };
        let canvas = &mut self.workspaces.label.canvas;
        let showing = self.active == WorkspaceId::Label
            && self
                .open
                .as_ref()
                .and_then(|o| o.selection.image)
                .is_some_and(|i| canvas.is_showing(i));
        let view = {
            let canvas = &*canvas;
            script.play(raw_input, showing.then_some(|p| canvas.to_screen(p)))
        };
        if let Some((zoom, at)) = view {
            canvas.view.centre_on(at, zoom);
        }
    }

    /// Whether `--pointer` steps are still to be played.
    pub fn pointer_pending(&self) -> bool {
        self.pointer.as_ref().is_some_and(|s| !s.is_done())
    }
}

fn parse_step(step: &str) -> Result<Step, String> {
    let (verb, rest) = step.split_once(' ').unwrap_or((step, ""));
    let rest = rest.trim();
    let point = |text: &str| -> Result<Point, String> {
        let (x, y) = text
            .split_once(',')
            .ok_or_else(|| format!("{step:?}: {text:?} is not a point X,Y"))?;
        let coord = |v: &str| {
            v.trim()
                .parse::<f32>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| format!("{step:?}: {v:?} is not a number"))
        };
        Ok([coord(x)?, coord(y)?])
    };
    let click = |button, modifiers, times| -> Result<Step, String> {
        Ok(Step::Click {
            at: point(rest)?,
            button,
            modifiers,
            times,
        })
    };
    match verb {
        "move" => Ok(Step::Move(point(rest)?)),
        "click" => click(PointerButton::Primary, Modifiers::NONE, 1),
        "shift-click" => click(PointerButton::Primary, Modifiers::SHIFT, 1),
        "right-click" => click(PointerButton::Secondary, Modifiers::NONE, 1),
        "double-click" => click(PointerButton::Primary, Modifiers::NONE, 2),
        "drag" => {
            let (from, to) = rest
                .split_once(' ')
                .ok_or_else(|| format!("{step:?}: drag needs two points, X,Y X,Y"))?;
            Ok(Step::Drag(point(from)?, point(to.trim())?))
        }
        "view" => {
            let (zoom, at) = rest
                .split_once(' ')
                .ok_or_else(|| format!("{step:?}: view needs a zoom and a point, Z X,Y"))?;
            let zoom = zoom
                .parse::<f32>()
                .ok()
                .filter(|z| z.is_finite() && *z > 0.0)
                .ok_or_else(|| format!("{step:?}: {zoom:?} is not a zoom"))?;
            Ok(Step::View(zoom, point(at.trim())?))
        }
        "press" => Ok(Step::Button(point(rest)?, true)),
        "release" => Ok(Step::Button(point(rest)?, false)),
        "key" => egui::Key::from_name(rest)
            .map(Step::Key)
            .ok_or_else(|| format!("{step:?}: {rest:?} is not a key name (Enter, Escape, A…)")),
        "wait" => rest
            .parse::<u32>()
            .map(Step::Wait)
            .map_err(|_| format!("{step:?}: wait needs a number of frames")),
        _ => Err(format!(
            "{step:?}: unknown step {verb:?} (move, click, shift-click, right-click, double-click, drag, press, release, view, key, wait)"
        )),
    }
}

/// The frames a step takes: a click is a move, a press and a release, each in a frame of its own
/// (egui tells a click from a drag by what it sees between them).
fn expand(step: &Step) -> Vec<FrameInput> {
    let button = |at, button, pressed, modifiers| FrameInput::Button {
        at,
        button,
        pressed,
        modifiers,
    };
    match *step {
        Step::Move(p) => vec![FrameInput::Moved(p)],
        Step::Click {
            at,
            button: b,
            modifiers,
            times,
        } => {
            let mut frames = vec![FrameInput::Moved(at)];
            for _ in 0..times {
                frames.push(button(at, b, true, modifiers));
                frames.push(button(at, b, false, modifiers));
            }
            if modifiers != Modifiers::NONE {
                frames.push(FrameInput::Modifiers(Modifiers::NONE));
            }
            frames
        }
        Step::Drag(from, to) => {
            let mut frames = vec![
                FrameInput::Moved(from),
                button(from, PointerButton::Primary, true, Modifiers::NONE),
            ];
            for k in 1..=6 {
                let t = k as f32 / 6.0;
                frames.push(FrameInput::Moved([
                    from[0] + (to[0] - from[0]) * t,
                    from[1] + (to[1] - from[1]) * t,
                ]));
            }
            frames.push(button(to, PointerButton::Primary, false, Modifiers::NONE));
            frames
        }
        Step::Button(at, pressed) => vec![
            FrameInput::Moved(at),
            button(at, PointerButton::Primary, pressed, Modifiers::NONE),
        ],
        Step::View(zoom, at) => vec![FrameInput::View(zoom, at)],
        Step::Key(key) => vec![
            FrameInput::Key { key, pressed: true },
            FrameInput::Key {
                key,
                pressed: false,
            },
        ],
        Step::Wait(n) => vec![FrameInput::Nothing; n as usize],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_parse_into_frames_and_bad_ones_are_named() {
        let script =
            PointerScript::parse("click 10,20; drag 0,0 60,0 ; key Enter; wait 2").unwrap();
        // click: move + press + release; drag: move + press + 6 moves + release; key: 2; wait: 2.
        assert_eq!(script.frames.len(), 3 + 9 + 2 + 2);
        assert_eq!(script.frames[3], FrameInput::Moved([0.0, 0.0]));
        assert_eq!(script.frames[5], FrameInput::Moved([10.0, 0.0]));
        for (bad, says) in [
            ("click 10", "not a point"),
            ("click a,2", "not a number"),
            ("jump 1,2", "unknown step"),
            ("key Hyper", "not a key name"),
            ("drag 1,2", "two points"),
            ("view 0 1,2", "not a zoom"),
        ] {
            let err = PointerScript::parse(bad).unwrap_err();
            assert!(err.contains(says) && err.contains(bad), "{bad}: {err}");
        }
    }

    #[test]
    fn frames_wait_for_the_photo_and_carry_screen_points() {
        let mut script = PointerScript::parse("shift-click 10,20").unwrap();
        let mut raw = egui::RawInput::default();
        let to_screen = |p: Point| Some(egui::pos2(p[0] * 2.0 + 5.0, p[1] * 2.0));
        script.play(&mut raw, None::<fn(Point) -> Option<egui::Pos2>>);
        for _ in 1..SETTLE_FRAMES {
            script.play(&mut raw, Some(to_screen));
        }
        assert!(
            raw.events.is_empty() && !script.is_done(),
            "the photo has just come"
        );
        script.play(&mut raw, Some(to_screen));
        script.play(&mut raw, Some(to_screen));
        assert_eq!(raw.events[0], Event::PointerMoved(egui::pos2(25.0, 40.0)));
        assert_eq!(raw.events[1], Event::ModifiersChanged(Modifiers::SHIFT));
        assert!(matches!(
            raw.events[2],
            Event::PointerButton { pressed: true, modifiers, .. } if modifiers == Modifiers::SHIFT
        ));
        // The release, then Shift let go in a frame of its own.
        script.play(&mut raw, Some(to_screen));
        assert!(!script.is_done());
        script.play(&mut raw, Some(to_screen));
        assert_eq!(
            raw.events.last(),
            Some(&Event::ModifiersChanged(Modifiers::NONE))
        );
        assert!(script.is_done());
    }
}
