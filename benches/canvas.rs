//! Canvas benchmark (issue 9): the real studio, in the Label workspace, on a 4000×3000 photo with
//! 1,000 non-convex polygons of 50 vertices, one of them selected (its handles drawn).
//!
//! Measures, each as the median (and 90th percentile) of many frames:
//! - `frame`: one UI frame as the user sees it while the pointer moves over the canvas: egui's run
//!   of the whole app (kittest's AccessKit update included) plus tessellation of its shapes;
//! - `drag_apply`: applying one finished vertex drag: the frame that releases the button (the
//!   edit, its undo record and the autosave queued) plus the next frame (the fill redrawn), each
//!   with its tessellation.
//!
//! Run: `cargo bench --bench canvas` (add `-- --json` for one JSON line). Frames run on this thread
//! exactly as eframe runs them; the GPU upload and rasterisation of the frame are not part of it.
#![expect(
    clippy::unwrap_used,
    reason = "a benchmark that cannot set up fails loudly, which is what it should do"
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::{Modifiers, PointerButton};
use egui_kittest::Harness;
use rand::{Rng as _, SeedableRng as _};
use segstudio::cli::StudioArgs;
use segstudio::label::LabelSession;
use segstudio::project::{ClassDef, ImageEntry, Instance, Part, Preset, Project, Tool};
use segstudio::ui::StudioApp;
use segstudio::ui::label::ToolKind;
use segstudio::ui::workspace::WorkspaceId;

const PHOTO_W: u32 = 4000;
const PHOTO_H: u32 = 3000;
const POLYGONS: usize = 1000;
const VERTICES: usize = 50;
const FRAMES: usize = 200;
const DRAGS: usize = 30;

fn main() {
    let json = std::env::args().any(|a| a == "--json");
    let dir = tempfile::tempdir().unwrap();
    let instances = make_project(dir.path());
    let mut harness = open_studio(dir.path());

    // Hover frames: the pointer crosses the canvas, so the hover tests run as they do for a user.
    let mut frames = Vec::with_capacity(FRAMES);
    for k in 0..FRAMES {
        let t = k as f32 / FRAMES as f32;
        let p = [
            t * PHOTO_W as f32,
            (0.5 + 0.3 * (t * 12.0).sin()) * PHOTO_H as f32,
        ];
        let pos = screen(&harness, p);
        harness.event(egui::Event::PointerMoved(pos));
        frames.push(timed_frame(&mut harness));
    }

    // Vertex drags: press on vertex 0 of a selected instance, move it 12 px in four frames,
    // release; the release frame and the one after it apply the edit and redraw the fill.
    let mut drags = Vec::with_capacity(DRAGS);
    for k in 0..DRAGS {
        let target = &instances[(k * 37) % instances.len()];
        select(&mut harness, target.id);
        let before = generation(&harness);
        let start = screen(&harness, target.parts[0].outer[0]);
        harness.event(egui::Event::PointerMoved(start));
        timed_frame(&mut harness);
        press(&mut harness, start, true);
        timed_frame(&mut harness);
        for step in 1..=4 {
            let pos = start + egui::vec2(3.0 * step as f32, 3.0 * step as f32);
            harness.event(egui::Event::PointerMoved(pos));
            timed_frame(&mut harness);
        }
        press(&mut harness, start + egui::vec2(12.0, 12.0), false);
        let release = timed_frame(&mut harness);
        let redraw = timed_frame(&mut harness);
        assert!(
            generation(&harness) > before,
            "drag {k} did not change the annotation"
        );
        drags.push(release + redraw);
    }
    // Everything queued reaches the disk before the folder goes.
    harness
        .state_mut()
        .open
        .as_mut()
        .unwrap()
        .session
        .flush()
        .unwrap();

    let frame = Summary::of(&mut frames);
    let drag = Summary::of(&mut drags);
    // What applying the edit adds to the two frames it spans.
    let extra = drag.median - 2.0 * frame.median;
    if json {
        println!(
            "{{\"photo\": \"{PHOTO_W}x{PHOTO_H}\", \"polygons\": {POLYGONS}, \"vertices\": {VERTICES}, \
             \"frame_ms\": {{\"median\": {:.3}, \"p90\": {:.3}}}, \
             \"drag_apply_ms\": {{\"median\": {:.3}, \"p90\": {:.3}, \"over_two_frames\": {extra:.3}}}}}",
            frame.median, frame.p90, drag.median, drag.p90
        );
    } else {
        println!(
            "canvas {PHOTO_W}x{PHOTO_H}, {POLYGONS} polygons x {VERTICES} vertices ({} frames, {} drags)",
            frames.len(),
            drags.len()
        );
        println!(
            "  frame (egui run + tessellation): median {:.2} ms, p90 {:.2} ms",
            frame.median, frame.p90
        );
        println!(
            "  apply one vertex drag (release frame + redraw frame): median {:.2} ms, p90 {:.2} ms \
             ({extra:.2} ms over two frames)",
            drag.median, drag.p90
        );
    }
}

struct Summary {
    median: f64,
    p90: f64,
}

impl Summary {
    fn of(samples: &mut [Duration]) -> Self {
        samples.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        Self {
            median: ms(samples[samples.len() / 2]),
            p90: ms(samples[samples.len() * 9 / 10]),
        }
    }
}

/// One frame: egui's run of the app plus the tessellation eframe would do next (the shapes are
/// copied out of the harness untimed: eframe moves them instead).
fn timed_frame(harness: &mut Harness<'_, StudioApp>) -> Duration {
    let started = Instant::now();
    harness.step();
    let run = started.elapsed();
    let shapes = harness.output().shapes.clone();
    let ppp = harness.output().pixels_per_point;
    let started = Instant::now();
    let primitives = harness.ctx.tessellate(shapes, ppp);
    let tessellate = started.elapsed();
    std::hint::black_box(primitives);
    run + tessellate
}

/// A project with one 4000×3000 photo and its 1,000 polygons; returns the polygons.
fn make_project(root: &std::path::Path) -> Vec<Instance> {
    let mut project = Project::create(root, "canvas bench", Preset::Empty).unwrap();
    let classes: Vec<ClassDef> = (1..=6)
        .map(|id| ClassDef {
            id,
            name: format!("object {id}"),
            color: [
                (id * 40) as u8,
                (250 - id * 35) as u8,
                (id * 90 % 256) as u8,
            ],
            size_mm: None,
        })
        .collect();
    let variants = vec![segstudio::project::preset::full_variant(&classes)];
    project.replace_classes(classes, variants).unwrap();
    // A textured photo, so its JPEG is as large as a camera's.
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
    let photo = image::RgbImage::from_fn(PHOTO_W, PHOTO_H, |x, y| {
        let n: u8 = rng.random_range(0..24);
        image::Rgb([(x / 16) as u8 ^ n, (y / 12) as u8 ^ n, ((x + y) / 28) as u8])
    });
    photo.save(root.join("images").join("bench.jpg")).unwrap();
    project.push_image(ImageEntry {
        file: "bench.jpg".into(),
        width: PHOTO_W,
        height: PHOTO_H,
        split: None,
        done: false,
    });
    project.save_project_file().unwrap();

    // A 40 × 25 grid of cells of 100 × 120 px, one wobbly star in each: non-convex outlines that
    // egui cannot fill itself, of 50 vertices each.
    let mut instances = Vec::with_capacity(POLYGONS);
    for i in 0..POLYGONS {
        let (cx, cy) = (
            (i % 40) as f32 * 100.0 + 50.0,
            (i / 40) as f32 * 120.0 + 60.0,
        );
        let outer = (0..VERTICES)
            .map(|v| {
                let a = v as f32 / VERTICES as f32 * std::f32::consts::TAU;
                let r = if v % 2 == 0 { 44.0 } else { 30.0 } + rng.random_range(-4.0..4.0);
                [cx + r * a.cos(), cy + r * a.sin()]
            })
            .collect();
        instances.push(Instance {
            id: i as u32 + 1,
            class_id: (i % 6) as u16 + 1,
            parts: vec![Part {
                outer,
                holes: Vec::new(),
            }],
            order: i as i32,
            tool: Tool::Polygon,
        });
    }
    let mut session = LabelSession::open(project, Arc::new(|| {})).unwrap();
    session
        .set_instances(0, "bench setup", instances.clone())
        .unwrap();
    session.flush().unwrap();
    instances
}

/// The studio on `root`, in the Label workspace, with the photo on the canvas.
fn open_studio(root: &std::path::Path) -> Harness<'static, StudioApp> {
    let args = StudioArgs {
        project: Some(root.to_path_buf()),
        image: Some("bench.jpg".into()),
        workspace: Some("label".into()),
        ..StudioArgs::default()
    };
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1600.0, 1000.0))
        .build_eframe(move |cc| StudioApp::new(cc, args));
    let started = Instant::now();
    loop {
        harness.step();
        let app = harness.state();
        if app.active == WorkspaceId::Label
            && app
                .open
                .as_ref()
                .is_some_and(|o| o.selection.image == Some(0))
            && app.workspaces.label.canvas.is_showing(0)
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_mins(2),
            "the studio did not show the photo"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    harness.state_mut().workspaces.label.tool = ToolKind::Select;
    // A few frames for the fill and the first layout to settle.
    for _ in 0..5 {
        harness.step();
    }
    harness
}

fn select(harness: &mut Harness<'_, StudioApp>, id: u32) {
    harness
        .state_mut()
        .open
        .as_mut()
        .unwrap()
        .selection
        .instance = Some(id);
    timed_frame(harness);
}

fn generation(harness: &Harness<'_, StudioApp>) -> u64 {
    harness.state().open.as_ref().unwrap().session.generation(0)
}

fn screen(harness: &Harness<'_, StudioApp>, p: [f32; 2]) -> egui::Pos2 {
    harness
        .state()
        .workspaces
        .label
        .canvas
        .to_screen(p)
        .unwrap()
}

fn press(harness: &mut Harness<'_, StudioApp>, pos: egui::Pos2, pressed: bool) {
    harness.event(egui::Event::PointerButton {
        pos,
        button: PointerButton::Primary,
        pressed,
        modifiers: Modifiers::NONE,
    });
}
