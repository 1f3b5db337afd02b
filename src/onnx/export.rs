//! `export-model`: a run's network (f32, or its int8 checkpoint) written as an ONNX file whose
//! metadata says how to feed it.

use std::path::{Path, PathBuf};

use candle_core::Device;
use serde::Serialize;

use crate::model::Model;
use crate::quantize::job::int8_path;
use crate::quantize::{Granularity, store};
use crate::train::{Predictor, RunDir};

/// What was written.
#[derive(Clone, Debug, Serialize)]
pub struct ExportedModel {
    pub file: PathBuf,
    pub precision: String,
    /// The weights it came from.
    pub source: PathBuf,
    pub bytes: u64,
    pub nodes: usize,
    /// Width × height of the input.
    pub input_size: [u32; 2],
}

/// Writes `run`'s network to `out`: the f32 checkpoint (`best`, `last` or a file), or with `int8`
/// the run's per-channel int8 checkpoint (or `checkpoint`, when it names an int8 file).
pub fn export_run(
    run: &RunDir,
    checkpoint: Option<&str>,
    int8: bool,
    out: &Path,
) -> Result<ExportedModel, String> {
    let record = run.read_record()?;
    let [w, h] = record.train.size;
    let named_int8 = checkpoint.is_some_and(|c| store::is_int8(Path::new(c)));
    let (graph, net, source, precision) = if int8 || named_int8 {
        let file = match checkpoint {
            Some(c) if named_int8 => PathBuf::from(c),
            _ => int8_path(run, Granularity::PerChannel),
        };
        if !file.exists() {
            return Err(format!(
                "run {} has no int8 checkpoint ({}): run `segstudio quantize --run {}` first",
                run.id,
                file.display(),
                run.id
            ));
        }
        let model = Model::new(record.model.clone(), &Device::Cpu).map_err(|e| e.to_string())?;
        let graph = model.net.graph().map_err(|e| e.to_string())?;
        let net = store::load(&file, &graph)?;
        let precision = net.granularity.name().to_owned();
        (graph, Some(net), file, precision)
    } else {
        let predictor = Predictor::load(run, checkpoint, &Device::Cpu)?;
        let graph = predictor.graph().map_err(|e| e.to_string())?;
        (graph, None, predictor.weights.clone(), "f32".to_owned())
    };
    let classes = serde_json::to_string(&record.label_names()).map_err(|e| e.to_string())?;
    let metadata = [
        ("segstudio.run", run.id.clone()),
        ("segstudio.precision", precision.clone()),
        (
            "segstudio.input",
            format!("image: float32 [1, 3, {h}, {w}] (N, C, H, W), RGB"),
        ),
        (
            "segstudio.normalisation",
            "each channel value v in 0..255 as v / 127.5 - 1 (range [-1, 1]); resize the photo \
             to the input size with a triangle filter first"
                .to_owned(),
        ),
        (
            "segstudio.output",
            format!("logits: float32 [1, C, {h}, {w}]; the label of a pixel is the arg-max over C"),
        ),
        ("segstudio.labels", classes),
    ]
    .map(|(k, v)| (k.to_owned(), v));
    let model = super::model(&graph, net.as_ref(), (h as usize, w as usize), &metadata)?;
    let nodes = model.graph.as_ref().map_or(0, |g| g.node.len());
    let bytes = super::encode(&model);
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    crate::project::fsio::atomic_write(out, &bytes).map_err(|e| e.to_string())?;
    Ok(ExportedModel {
        file: out.to_owned(),
        precision,
        source,
        bytes: bytes.len() as u64,
        nodes,
        input_size: [w, h],
    })
}
