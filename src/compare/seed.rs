//! The seed's published results (the talk's two tables: val mIoU of each encoder on each dataset
//! variant, and per encoder the mean over the variants with parameters, FLOPs and disk, in full
//! precision and quantized to 8 bits) set beside this project's best runs, row by row.

use super::CompareRow;

/// One row of the seed's tables.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SeedEntry {
    /// "MobileNetv2" or "Xception", as the talk names them.
    pub encoder: &'static str,
    /// The dataset variant; `None` for the mean over all four.
    pub variant: Option<&'static str>,
    pub int8: bool,
    pub miou: f64,
    /// Parameters in millions, FLOPs in billions, disk in MB (the summary table only).
    pub params_m: Option<f64>,
    pub gflops: Option<f64>,
    pub disk_mb: Option<f64>,
}

const fn variant(encoder: &'static str, variant: &'static str, miou: f64) -> SeedEntry {
    SeedEntry {
        encoder,
        variant: Some(variant),
        int8: false,
        miou,
        params_m: None,
        gflops: None,
        disk_mb: None,
    }
}

const fn summary(
    encoder: &'static str,
    int8: bool,
    miou: f64,
    params_m: f64,
    gflops: f64,
    disk_mb: f64,
) -> SeedEntry {
    SeedEntry {
        encoder,
        variant: None,
        int8,
        miou,
        params_m: Some(params_m),
        gflops: Some(gflops),
        disk_mb: Some(disk_mb),
    }
}

/// The seed talk's numbers (Nov 2018), as published.
pub const SEED: [SeedEntry; 12] = [
    variant("MobileNetv2", "full", 77.47),
    variant("MobileNetv2", "size_invariant", 83.10),
    variant("MobileNetv2", "similar_shapes", 82.10),
    variant("MobileNetv2", "binary", 96.06),
    variant("Xception", "full", 89.63),
    variant("Xception", "size_invariant", 92.47),
    variant("Xception", "similar_shapes", 90.71),
    variant("Xception", "binary", 98.68),
    summary("MobileNetv2", false, 84.66, 2.11, 6.41, 8.7),
    summary("MobileNetv2", true, 75.17, 2.11, 0.32887, 2.8),
    summary("Xception", false, 92.42, 41.05, 126.27, 165.6),
    summary("Xception", true, 90.4, 41.05, 1.94, 44.7),
];

/// The four variants the seed trained.
pub const VARIANTS: [&str; 4] = ["full", "size_invariant", "similar_shapes", "binary"];

impl SeedEntry {
    /// Whether one of our encoders is the seed's `encoder`.
    fn matches_encoder(&self, ours: &str) -> bool {
        match self.encoder {
            "MobileNetv2" => ours.starts_with("mobilenetv2"),
            _ => ours.starts_with("xception"),
        }
    }

    /// The row's name, as in the seed's tables.
    pub fn name(&self) -> String {
        let encoder = if self.int8 {
            format!("{}-8", self.encoder)
        } else {
            self.encoder.to_owned()
        };
        match self.variant {
            Some(v) => format!("{encoder}, atWork_{v}"),
            None => format!("{encoder}, mean of the 4 variants"),
        }
    }
}

/// Our side of a seed row.
#[derive(Clone, Debug, PartialEq)]
pub struct Ours {
    /// The runs it comes from (with their precision where int8).
    pub runs: Vec<String>,
    pub miou: f64,
    /// Variants found, of the 4 a mean needs.
    pub variants: usize,
    pub params_m: f64,
    /// 2 × MACs at 481×641, as the seed counted (for int8: the integer multiply-adds).
    pub gflops: f64,
    pub disk_mb: f64,
}

/// A seed row and ours beside it (`None`: no run of ours matches yet).
#[derive(Clone, Debug, PartialEq)]
pub struct SeedRow {
    pub seed: SeedEntry,
    pub ours: Option<Ours>,
}

/// The score a row is compared by: the val split at full resolution where `quantize` scored it,
/// else the best validation during training.
pub fn score(row: &CompareRow) -> Option<f64> {
    row.eval_miou.or(row.train_val_miou)
}

/// Our best row (by [`score`]) of an encoder, variant and precision.
fn best<'a>(rows: &'a [CompareRow], seed: &SeedEntry, variant: &str) -> Option<&'a CompareRow> {
    rows.iter()
        .filter(|r| {
            seed.matches_encoder(&r.encoder)
                && r.variant == variant
                && (r.precision != "f32") == seed.int8
                && score(r).is_some()
        })
        .max_by(|a, b| {
            score(a)
                .partial_cmp(&score(b))
                .unwrap_or(std::cmp::Ordering::Equal)
        })
}

/// Every seed row with our best matching runs: for a variant row the best run of that encoder
/// and variant; for a mean row the mean of the best run of each variant found.
pub fn seed_rows(rows: &[CompareRow]) -> Vec<SeedRow> {
    SEED.iter()
        .map(|seed| {
            let variants: Vec<&str> = match seed.variant {
                Some(v) => vec![v],
                None => VARIANTS.to_vec(),
            };
            let found: Vec<&CompareRow> = variants
                .iter()
                .filter_map(|v| best(rows, seed, v))
                .collect();
            let ours = (!found.is_empty()).then(|| {
                let n = found.len() as f64;
                let mean =
                    |f: &dyn Fn(&CompareRow) -> f64| found.iter().map(|r| f(r)).sum::<f64>() / n;
                Ours {
                    runs: found
                        .iter()
                        .map(|r| {
                            if r.precision == "f32" {
                                r.run.clone()
                            } else {
                                format!("{} ({})", r.run, r.precision)
                            }
                        })
                        .collect(),
                    miou: mean(&|r| score(r).unwrap_or(f64::NAN)),
                    variants: found.len(),
                    params_m: mean(&|r| r.params as f64 / 1e6),
                    gflops: mean(&|r| r.seed_flops as f64 / 1e9),
                    disk_mb: mean(&|r| r.disk_bytes as f64 / 1e6),
                }
            });
            SeedRow { seed: *seed, ours }
        })
        .collect()
}

/// The columns of the seed table.
pub const SEED_COLUMNS: [&str; 9] = [
    "seed row",
    "seed mIoU",
    "our mIoU",
    "difference",
    "seed params (M) / ours",
    "seed GFLOPs / ours",
    "seed disk (MB) / ours",
    "variants",
    "our runs",
];

impl SeedRow {
    /// The row's cells as [`SEED_COLUMNS`] names them.
    pub fn cells(&self) -> Vec<String> {
        let s = &self.seed;
        let pair = |seed: Option<f64>, ours: Option<f64>, digits: usize| {
            let f = |v: Option<f64>| v.map_or("–".to_owned(), |v| format!("{v:.digits$}"));
            format!("{} / {}", f(seed), f(ours))
        };
        let o = self.ours.as_ref();
        vec![
            s.name(),
            format!("{:.2}", s.miou),
            o.map_or(String::new(), |o| format!("{:.2}", o.miou)),
            o.map_or(String::new(), |o| format!("{:+.2}", o.miou - s.miou)),
            pair(s.params_m, o.map(|o| o.params_m), 2),
            pair(s.gflops, o.map(|o| o.gflops), 2),
            pair(s.disk_mb, o.map(|o| o.disk_mb), 1),
            o.map_or(String::new(), |o| {
                if s.variant.is_some() {
                    String::new()
                } else {
                    format!("{} of 4", o.variants)
                }
            }),
            o.map_or(String::new(), |o| o.runs.join(", ")),
        ]
    }
}

/// The seed table as Markdown.
pub fn to_markdown(rows: &[SeedRow]) -> String {
    super::markdown_table(&SEED_COLUMNS, rows.iter().map(SeedRow::cells))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(encoder: &str, variant: &str, precision: &str, miou: f64) -> CompareRow {
        CompareRow {
            run: format!("{encoder}-{variant}-{miou}"),
            encoder: encoder.into(),
            variant: variant.into(),
            precision: precision.into(),
            steps: 10,
            size: [320, 240],
            params: 2_000_000,
            macs: 1,
            seed_flops: 6_000_000_000,
            file: "w.safetensors".into(),
            disk_bytes: 8_000_000,
            train_val_miou: (precision == "f32").then_some(miou - 1.0),
            eval_miou: Some(miou),
            per_class: std::collections::BTreeMap::new(),
            latency_ms: None,
        }
    }

    #[test]
    fn the_best_run_of_each_variant_sits_beside_the_seed() {
        let rows = vec![
            row("mobilenetv2", "binary", "f32", 80.0),
            row("mobilenetv2", "binary", "f32", 83.0),
            row("mobilenetv2", "binary", "int8 per-channel", 82.5),
            row("mobilenetv2", "full", "f32", 20.0),
            row("xception65", "full", "f32", 30.0),
        ];
        let table = seed_rows(&rows);
        let find = |name: &str| table.iter().find(|r| r.seed.name() == name).unwrap();
        let binary = find("MobileNetv2, atWork_binary");
        let ours = binary.ours.as_ref().unwrap();
        assert!((ours.miou - 83.0).abs() < 1e-12);
        assert_eq!(ours.runs, vec!["mobilenetv2-binary-83".to_owned()]);
        assert_eq!(binary.cells()[3], "-13.06");
        // The mean: best binary (83) and full (20) of MobileNetV2 in f32, 2 of the 4 variants.
        let mean = find("MobileNetv2, mean of the 4 variants");
        let ours = mean.ours.as_ref().unwrap();
        assert!((ours.miou - 51.5).abs() < 1e-12);
        assert_eq!(ours.variants, 2);
        assert_eq!(mean.cells()[5], "6.41 / 6.00");
        // int8: only the binary run's checkpoint.
        let int8 = find("MobileNetv2-8, mean of the 4 variants");
        assert!((int8.ours.as_ref().unwrap().miou - 82.5).abs() < 1e-12);
        assert!(find("Xception, atWork_binary").ours.is_none());
        assert!((find("Xception, atWork_full").ours.as_ref().unwrap().miou - 30.0).abs() < 1e-12);
        let md = to_markdown(&table);
        assert_eq!(md.lines().count(), 2 + SEED.len());
        assert!(md.contains("| MobileNetv2, atWork_full | 77.47 | 20.00 | -57.47 |"));
    }
}
