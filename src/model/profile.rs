//! Where the time of a forward or training step goes: named scopes around the custom kernels and
//! the Candle ops the model calls, summed as *self* time (a scope that calls another scope does
//! not count the inner one's time), so the totals add up to the measured wall time minus what no
//! scope covers. Off by default and per thread: `bench --profile` turns it on for the thread that
//! runs the model. When off, a scope costs one thread-local read.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::time::Instant;

use serde::{Deserialize, Serialize};

thread_local! {
    // Per thread: the model's ops run on the calling thread (their parallel parts inside a
    // scope), and other threads, such as tests running side by side, must not mix in.
    static ENABLED: Cell<bool> = const { Cell::new(false) };
    /// Open scopes: (name, start, seconds spent in nested scopes).
    static STACK: RefCell<Vec<(&'static str, Instant, f64)>> = const { RefCell::new(Vec::new()) };
    static TOTALS: RefCell<BTreeMap<&'static str, (u64, f64)>> = const { RefCell::new(BTreeMap::new()) };
}

/// One scope's totals since the last [`take`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub calls: u64,
    pub self_ms: f64,
}

/// Turns collection on or off for the calling thread (and clears nothing).
pub fn set_enabled(on: bool) {
    ENABLED.with(|e| e.set(on));
}

/// Returns the calling thread's totals collected so far and starts afresh.
pub fn take() -> BTreeMap<String, Entry> {
    TOTALS
        .with(|t| std::mem::take(&mut *t.borrow_mut()))
        .into_iter()
        .map(|(name, (calls, secs))| {
            (
                name.to_string(),
                Entry {
                    calls,
                    self_ms: secs * 1e3,
                },
            )
        })
        .collect()
}

/// An open scope; its time is recorded when it is dropped.
#[must_use = "a scope measures until it is dropped"]
pub struct Scope {
    active: bool,
}

/// Opens a scope named `name` on this thread.
pub fn scope(name: &'static str) -> Scope {
    if !ENABLED.with(Cell::get) {
        return Scope { active: false };
    }
    STACK.with(|s| s.borrow_mut().push((name, Instant::now(), 0.0)));
    Scope { active: true }
}

impl Drop for Scope {
    fn drop(&mut self) {
        if self.active {
            close_innermost(|start| start.elapsed().as_secs_f64());
        }
    }
}

/// Closes the innermost open scope, `elapsed` giving its wall time from its start: the parent
/// scope is told to leave that time out of its own, and the scope's self time is recorded.
fn close_innermost(elapsed: impl FnOnce(Instant) -> f64) {
    STACK.with(|s| {
        let mut stack = s.borrow_mut();
        let Some((name, start, nested)) = stack.pop() else {
            return;
        };
        let elapsed = elapsed(start);
        if let Some(parent) = stack.last_mut() {
            parent.2 += elapsed;
        }
        TOTALS.with(|t| {
            let mut totals = t.borrow_mut();
            let e = totals.entry(name).or_insert((0, 0.0));
            e.0 += 1;
            e.1 += (elapsed - nested).max(0.0);
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_scopes_count_self_time_only() {
        // Scopes closed with given wall times, so the arithmetic is checked without a clock:
        // outer 50 ms in all, of which the inner took 30 and a second inner 5.
        set_enabled(true);
        let _ = take();
        let outer = scope("test.outer");
        let inner = scope("test.inner");
        close_innermost(|_| 0.030);
        std::mem::forget(inner);
        let inner = scope("test.inner");
        close_innermost(|_| 0.005);
        std::mem::forget(inner);
        close_innermost(|_| 0.050);
        std::mem::forget(outer);
        set_enabled(false);
        let t = take();
        let (outer, inner) = (t["test.outer"], t["test.inner"]);
        assert_eq!((outer.calls, inner.calls), (1, 2));
        assert!((inner.self_ms - 35.0).abs() < 1e-9, "{inner:?}");
        assert!((outer.self_ms - 15.0).abs() < 1e-9, "{outer:?}");
    }
}
