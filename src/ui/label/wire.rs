//! The intelligent scissors' searches, off the UI thread: a click asks for the path tree from its
//! point (and, the first time on a photo, for the photo's cost map); the canvas draws a straight
//! segment until the tree arrives, tens of milliseconds later, and the live wire after.

use std::sync::Arc;

use crate::geometry::Point;
use crate::label::mask_edit::Photo;
use crate::label::scissors::{CostMap, PathTree};
use crate::workers::{Waker, WorkPool};

struct Request {
    photo: Arc<Photo>,
    costs: Option<Arc<CostMap>>,
    seed: Point,
}

struct Reply {
    costs: Arc<CostMap>,
    tree: Arc<PathTree>,
}

/// Key of a request: (photo index, seed pixel).
type Key = (usize, (u32, u32));

/// The latest-wins search worker and what it found for the selected photo.
pub struct Wire {
    pool: WorkPool<Key, Request, Reply>,
    costs: Option<(usize, Arc<CostMap>)>,
    tree: Option<(Key, Arc<PathTree>)>,
}

fn key(index: usize, seed: Point) -> Key {
    (index, (seed[0].max(0.0) as u32, seed[1].max(0.0) as u32))
}

impl Wire {
    pub fn start(ctx: &egui::Context) -> std::io::Result<Self> {
        let ctx = ctx.clone();
        let waker: Waker = Arc::new(move || ctx.request_repaint());
        let pool = WorkPool::start(
            "label-scissors",
            1,
            |_key: &Key, req: Request| {
                let costs = req
                    .costs
                    .unwrap_or_else(|| Arc::new(CostMap::of_photo(&req.photo)));
                let tree = Arc::new(PathTree::grow(&costs, req.seed));
                Reply { costs, tree }
            },
            &waker,
        )?;
        Ok(Self {
            pool,
            costs: None,
            tree: None,
        })
    }

    /// Asks for the paths from `seed` on photo `index`.
    pub fn search_from(&mut self, index: usize, photo: Arc<Photo>, seed: Point) {
        let costs = self
            .costs
            .as_ref()
            .filter(|(i, _)| *i == index)
            .map(|(_, c)| c.clone());
        self.pool
            .submit_latest(key(index, seed), Request { photo, costs, seed });
    }

    /// Takes in finished searches; returns the tree from `seed` on photo `index` if it is here.
    pub fn tree_from(&mut self, index: usize, seed: Point) -> Option<Arc<PathTree>> {
        for (k, reply) in self.pool.results() {
            self.costs = Some((k.0, reply.costs));
            self.tree = Some((k, reply.tree));
        }
        self.tree
            .as_ref()
            .filter(|(k, _)| *k == key(index, seed))
            .map(|(_, t)| t.clone())
    }
}
