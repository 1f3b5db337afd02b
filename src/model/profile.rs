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
        if !self.active {
            return;
        }
        STACK.with(|s| {
            let mut stack = s.borrow_mut();
            let Some((name, start, nested)) = stack.pop() else {
                return;
            };
            let elapsed = start.elapsed().as_secs_f64();
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_scopes_count_self_time_only() {
        set_enabled(true);
        let _ = take();
        {
            let _outer = scope("test.outer");
            std::thread::sleep(std::time::Duration::from_millis(20));
            let _inner = scope("test.inner");
            std::thread::sleep(std::time::Duration::from_millis(30));
        }
        set_enabled(false);
        let t = take();
        let (outer, inner) = (t["test.outer"], t["test.inner"]);
        assert_eq!((outer.calls, inner.calls), (1, 1));
        assert!(inner.self_ms >= 30.0, "{inner:?}");
        // The outer scope's own time excludes the inner 30 ms (with it, it would be >= 50 ms).
        assert!(outer.self_ms >= 20.0 && outer.self_ms < 45.0, "{outer:?}");
    }
}
