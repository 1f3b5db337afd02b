//! Activation ranges from running the f32 graph on calibration images: the minimum and maximum of
//! every value, and optionally a percentile of each (a histogram per value, filled in a second
//! pass over the same images), which ignores the rare outliers that would stretch the grid.

use candle_core::{Result, Tensor};
use serde::{Deserialize, Serialize};

use crate::model::graph::Graph;

/// How an activation's range is chosen from what calibration saw.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum RangeMethod {
    /// The smallest and largest value seen.
    MinMax,
    /// The given percentile of the values at the top (and `100 − p` at the bottom).
    Percentile(f64),
}

impl RangeMethod {
    pub fn describe(&self) -> String {
        match self {
            RangeMethod::MinMax => "min/max".into(),
            RangeMethod::Percentile(p) => format!("percentile {p}"),
        }
    }
}

const BINS: usize = 2048;

/// What calibration saw of every graph value.
#[derive(Clone, Debug)]
pub struct Ranges {
    pub min: Vec<f32>,
    pub max: Vec<f32>,
    /// Per value, counts in `BINS` equal bins over `[min, max]` (percentile method only).
    histograms: Option<Vec<Vec<u64>>>,
}

impl Ranges {
    /// The range of value `v` by `method`.
    pub fn range(&self, v: usize, method: RangeMethod) -> (f32, f32) {
        let (lo, hi) = (self.min[v], self.max[v]);
        let (RangeMethod::Percentile(p), Some(hists)) = (method, &self.histograms) else {
            return (lo, hi);
        };
        let hist = &hists[v];
        let total: u64 = hist.iter().sum();
        if total == 0 || hi <= lo {
            return (lo, hi);
        }
        // The count allowed outside at each end (the epsilon keeps 99.9 % of 1000 at 1, not 0).
        let tail = ((1.0 - p / 100.0).max(0.0) * total as f64 + 1e-6).floor() as u64;
        let width = (hi - lo) / BINS as f32;
        let mut seen = 0;
        let mut low_bin = 0;
        for (i, c) in hist.iter().enumerate() {
            seen += c;
            if seen > tail {
                low_bin = i;
                break;
            }
        }
        seen = 0;
        let mut high_bin = BINS - 1;
        for (i, c) in hist.iter().enumerate().rev() {
            seen += c;
            if seen > tail {
                high_bin = i;
                break;
            }
        }
        (
            lo + width * low_bin as f32,
            lo + width * (high_bin + 1) as f32,
        )
    }
}

/// Runs `graph` on every input (`[1, 3, H, W]` tensors) and records the range of each value; a
/// second pass fills the histograms when `method` is a percentile. `progress` is told of each
/// image and can stop the work by returning an error.
pub fn calibrate(
    graph: &Graph,
    inputs: &[Tensor],
    method: RangeMethod,
    mut progress: impl FnMut() -> Result<()>,
) -> Result<Ranges> {
    let values = graph.nodes.len() + 1;
    let mut min = vec![f32::INFINITY; values];
    let mut max = vec![f32::NEG_INFINITY; values];
    for x in inputs {
        progress()?;
        graph.run_f32(x, |v, t| {
            let data = t.flatten_all()?.to_vec1::<f32>()?;
            let (lo, hi) = data
                .iter()
                .fold((f32::INFINITY, f32::NEG_INFINITY), |(l, h), &x| {
                    (l.min(x), h.max(x))
                });
            min[v] = min[v].min(lo);
            max[v] = max[v].max(hi);
            Ok(())
        })?;
    }
    let histograms = match method {
        RangeMethod::MinMax => None,
        RangeMethod::Percentile(_) => {
            let mut hists = vec![vec![0u64; BINS]; values];
            for x in inputs {
                progress()?;
                graph.run_f32(x, |v, t| {
                    let (lo, hi) = (min[v], max[v]);
                    if hi <= lo {
                        return Ok(());
                    }
                    let k = BINS as f32 / (hi - lo);
                    for x in t.flatten_all()?.to_vec1::<f32>()? {
                        let bin = (((x - lo) * k) as usize).min(BINS - 1);
                        hists[v][bin] += 1;
                    }
                    Ok(())
                })?;
            }
            Some(hists)
        }
    };
    Ok(Ranges {
        min,
        max,
        histograms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_cuts_the_tails_by_hand() {
        // 1000 values: 998 spread over [0, 1), one at -50 and one at 100.
        let mut hist = vec![0u64; BINS];
        let (lo, hi) = (-50f32, 100f32);
        let bin = |x: f32| (((x - lo) * BINS as f32 / (hi - lo)) as usize).min(BINS - 1);
        hist[bin(-50.0)] += 1;
        hist[bin(100.0)] += 1;
        for i in 0..998 {
            hist[bin(i as f32 / 998.0)] += 1;
        }
        let r = Ranges {
            min: vec![lo],
            max: vec![hi],
            histograms: Some(vec![hist]),
        };
        assert_eq!(r.range(0, RangeMethod::MinMax), (-50.0, 100.0));
        // 99.9 %: one value may fall outside on each side, so both outliers go.
        let (a, b) = r.range(0, RangeMethod::Percentile(99.9));
        let width = (hi - lo) / BINS as f32;
        assert!(a > -0.1 - width && a <= 0.0, "{a}");
        assert!(b >= 1.0 && b < 1.0 + 2.0 * width, "{b}");
    }
}
