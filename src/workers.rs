//! A pool of named worker threads with a keyed priority queue, for interactive work that follows the
//! user (decoding the photo just selected, thumbnails of the rows in view, a synthesis preview, a
//! scissors path): requests nobody wants any more are dropped before they start.
//!
//! - [`WorkPool::submit`] queues a request under a key; a second request with a queued key replaces
//!   the first (newest wins), and higher priorities run first (newest first among equals).
//! - [`WorkPool::retain`] drops queued requests whose key is no longer wanted.
//! - [`WorkPool::submit_latest`] drops every queued request first: a pool of one thread used this way
//!   is a latest-wins worker, whose stale requests never run.
//!
//! Results come back on a channel with their key; the waker (the studio's repaint) is called after
//! each. Dropping the pool stops its threads once their current request is done.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Condvar, Mutex};

/// Wakes whoever reads the results.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

struct Queued<K, Req> {
    key: K,
    priority: i32,
    /// Submission order, to run the newest first among equal priorities.
    seq: u64,
    request: Req,
}

struct Queue<K, Req> {
    pending: Vec<Queued<K, Req>>,
    seq: u64,
    closed: bool,
}

type Shared<K, Req> = Arc<(Mutex<Queue<K, Req>>, Condvar)>;

/// Worker threads running `handler` on queued requests.
pub struct WorkPool<K, Req, Resp> {
    queue: Shared<K, Req>,
    results: Receiver<(K, Resp)>,
}

impl<K, Req, Resp> WorkPool<K, Req, Resp>
where
    K: PartialEq + Clone + Send + 'static,
    Req: Send + 'static,
    Resp: Send + 'static,
{
    /// Starts `threads` workers named `name-0`, `name-1`, …
    pub fn start(
        name: &str,
        threads: usize,
        handler: impl Fn(&K, Req) -> Resp + Send + Sync + 'static,
        waker: &Waker,
    ) -> std::io::Result<Self> {
        let queue: Shared<K, Req> = Arc::new((
            Mutex::new(Queue {
                pending: Vec::new(),
                seq: 0,
                closed: false,
            }),
            Condvar::new(),
        ));
        let (sender, results) = channel();
        let handler = Arc::new(handler);
        for k in 0..threads.max(1) {
            let (queue, sender, handler, waker) = (
                queue.clone(),
                sender.clone(),
                handler.clone(),
                waker.clone(),
            );
            std::thread::Builder::new()
                .name(format!("{name}-{k}"))
                .spawn(move || worker(&queue, &sender, &*handler, &*waker))?;
        }
        Ok(Self { queue, results })
    }

    /// Queues `request` under `key`, replacing a queued request with the same key.
    pub fn submit(&self, key: K, priority: i32, request: Req) {
        self.with_queue(|q| {
            q.pending.retain(|r| r.key != key);
            q.seq += 1;
            let seq = q.seq;
            q.pending.push(Queued {
                key,
                priority,
                seq,
                request,
            });
        });
        self.queue.1.notify_one();
    }

    /// Drops every queued request, then queues this one (latest wins).
    pub fn submit_latest(&self, key: K, request: Req) {
        self.with_queue(|q| q.pending.clear());
        self.submit(key, 0, request);
    }

    /// Keeps only the queued requests whose key `wanted` accepts.
    pub fn retain(&self, mut wanted: impl FnMut(&K) -> bool) {
        self.with_queue(|q| q.pending.retain(|r| wanted(&r.key)));
    }

    /// Whether a request with this key is queued (not yet started).
    pub fn is_queued(&self, key: &K) -> bool {
        let mut queued = false;
        self.with_queue(|q| queued = q.pending.iter().any(|r| &r.key == key));
        queued
    }

    /// Results that arrived since the last call.
    pub fn results(&self) -> impl Iterator<Item = (K, Resp)> + '_ {
        self.results.try_iter()
    }

    fn with_queue(&self, f: impl FnOnce(&mut Queue<K, Req>)) {
        if let Ok(mut q) = self.queue.0.lock() {
            f(&mut q);
        }
    }
}

impl<K, Req, Resp> Drop for WorkPool<K, Req, Resp> {
    fn drop(&mut self) {
        if let Ok(mut q) = self.queue.0.lock() {
            q.closed = true;
            q.pending.clear();
        }
        self.queue.1.notify_all();
    }
}

fn worker<K, Req, Resp>(
    queue: &(Mutex<Queue<K, Req>>, Condvar),
    sender: &Sender<(K, Resp)>,
    handler: &(dyn Fn(&K, Req) -> Resp + Send + Sync),
    waker: &(dyn Fn() + Send + Sync),
) {
    let (lock, cvar) = queue;
    loop {
        let job = {
            let Ok(mut q) = lock.lock() else { return };
            loop {
                if q.closed {
                    return;
                }
                let best = q
                    .pending
                    .iter()
                    .enumerate()
                    .max_by_key(|(_, r)| (r.priority, r.seq))
                    .map(|(i, _)| i);
                if let Some(i) = best {
                    break q.pending.swap_remove(i);
                }
                q = match cvar.wait(q) {
                    Ok(q) => q,
                    Err(_) => return,
                };
            }
        };
        let response = handler(&job.key, job.request);
        if sender.send((job.key, response)).is_err() {
            return;
        }
        waker();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::sync_channel;
    use std::time::Duration;

    /// A pool whose handler blocks until the test lets it go, so the queue can be inspected.
    fn gated_pool() -> (WorkPool<u32, u32, u32>, std::sync::mpsc::SyncSender<()>) {
        let (gate, opened) = sync_channel::<()>(0);
        let opened = Mutex::new(opened);
        let pool = WorkPool::start(
            "test-pool",
            1,
            move |_, x| {
                opened.lock().unwrap().recv().ok();
                x * 10
            },
            &(Arc::new(|| {}) as Waker),
        )
        .unwrap();
        (pool, gate)
    }

    fn next(pool: &WorkPool<u32, u32, u32>) -> (u32, u32) {
        for _ in 0..2000 {
            if let Some(r) = pool.results().next() {
                return r;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        panic!("no result");
    }

    /// Waits until the worker has taken `key` off the queue.
    fn started(pool: &WorkPool<u32, u32, u32>, key: u32) {
        while pool.is_queued(&key) {
            std::thread::yield_now();
        }
    }

    #[test]
    fn priority_then_newest_and_replaced_keys() {
        let (pool, gate) = gated_pool();
        pool.submit(0, 0, 0);
        started(&pool, 0);
        // While the worker holds request 0, queue more.
        pool.submit(1, 0, 1);
        pool.submit(2, 0, 2);
        pool.submit(3, 5, 3);
        pool.submit(1, 0, 4); // replaces the queued request of key 1 and is now the newest
        for _ in 0..4 {
            gate.send(()).unwrap();
        }
        let order: Vec<(u32, u32)> = (0..4).map(|_| next(&pool)).collect();
        assert_eq!(order, [(0, 0), (3, 30), (1, 40), (2, 20)]);
    }

    #[test]
    fn latest_wins_and_retain_drop_stale_requests() {
        let (pool, gate) = gated_pool();
        pool.submit(0, 0, 0);
        started(&pool, 0);
        pool.submit(1, 0, 1);
        pool.submit(2, 0, 2);
        pool.submit_latest(3, 3);
        pool.submit(4, 0, 4);
        pool.retain(|&k| k != 4);
        gate.send(()).unwrap();
        gate.send(()).unwrap();
        assert_eq!(next(&pool), (0, 0));
        assert_eq!(next(&pool), (3, 30));
        assert!(!pool.is_queued(&1) && !pool.is_queued(&2) && !pool.is_queued(&4));
    }
}
