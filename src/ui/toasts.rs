//! Short notifications in the bottom-right corner: errors stay until dismissed, news fades. When too
//! many pile up, the oldest news goes first; an error is never dropped for a newer toast.

use std::time::Duration;

/// How serious a toast is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Info,
    Warning,
    Error,
}

#[derive(Clone, Debug)]
struct Toast {
    level: Level,
    text: String,
    shown_at: Option<f64>,
}

/// The toasts on screen.
#[derive(Default)]
pub struct Toasts {
    toasts: Vec<Toast>,
}

const INFO_SECONDS: f64 = 5.0;
pub const MAX_TOASTS: usize = 6;

impl Toasts {
    pub fn info(&mut self, text: impl Into<String>) {
        self.push(Level::Info, text.into());
    }

    pub fn warning(&mut self, text: impl Into<String>) {
        self.push(Level::Warning, text.into());
    }

    pub fn error(&mut self, text: impl Into<String>) {
        let text = text.into();
        log::error!("{text}");
        self.push(Level::Error, text);
    }

    /// A job's log line: warnings and errors are shown, the rest only logged.
    pub fn log(&mut self, level: log::Level, text: String) {
        match level {
            log::Level::Error => self.error(text),
            log::Level::Warn => self.warning(text),
            log::Level::Info => self.info(text),
            _ => log::debug!("{text}"),
        }
    }

    fn push(&mut self, level: Level, text: String) {
        self.toasts.push(Toast {
            level,
            text,
            shown_at: None,
        });
        while self.toasts.len() > MAX_TOASTS {
            // The oldest that is not an error; errors stay until the user dismisses them.
            let Some(oldest) = self.toasts.iter().position(|t| t.level != Level::Error) else {
                break;
            };
            self.toasts.remove(oldest);
        }
    }

    /// Texts of the toasts on screen, oldest first (for tests and the status bar).
    pub fn texts(&self) -> Vec<&str> {
        self.toasts.iter().map(|t| t.text.as_str()).collect()
    }

    pub fn show(&mut self, ctx: &egui::Context) {
        let now = ctx.input(|i| i.time);
        self.toasts.retain(|t| {
            t.level == Level::Error || t.shown_at.is_none_or(|at| now - at < INFO_SECONDS)
        });
        if self.toasts.is_empty() {
            return;
        }
        let mut dismissed = None;
        egui::Area::new(egui::Id::unique("toasts"))
            .anchor(egui::Align2::RIGHT_BOTTOM, [-12.0, -36.0])
            .order(egui::Order::Foreground)
            .show(ctx, |ui| {
                ui.set_max_width(460.0);
                for (i, toast) in self.toasts.iter_mut().enumerate() {
                    toast.shown_at.get_or_insert(now);
                    let (fill, title) = match toast.level {
                        Level::Info => (ui.visuals().extreme_bg_color, "Info"),
                        Level::Warning => (egui::Color32::from_rgb(90, 70, 20), "Warning"),
                        Level::Error => (egui::Color32::from_rgb(110, 30, 30), "Error"),
                    };
                    egui::Frame::popup(ui.style()).fill(fill).show(ui, |ui| {
                        ui.horizontal(|ui| {
                            ui.strong(title);
                            if ui.small_button("Dismiss").clicked() {
                                dismissed = Some(i);
                            }
                        });
                        ui.label(&toast.text);
                    });
                }
            });
        if let Some(i) = dismissed {
            self.toasts.remove(i);
        }
        ctx.request_repaint_after(Duration::from_millis(500));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_never_dropped_for_newer_toasts() {
        let mut toasts = Toasts::default();
        toasts.error("disk full");
        for k in 0..20 {
            toasts.info(format!("news {k}"));
        }
        let texts = toasts.texts();
        assert_eq!(texts.len(), MAX_TOASTS);
        assert_eq!(texts[0], "disk full");
        assert_eq!(texts[MAX_TOASTS - 1], "news 19", "the newest news is shown");
    }
}
