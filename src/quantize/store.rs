//! The int8 checkpoint: one safetensors file holding, per convolution, `{name}.weight` (`I8`),
//! `{name}.weight_scale` (`F32`, one per output channel or one per tensor) and `{name}.bias`
//! (`I32`, on the product scale), plus the grid of every activation (`activations.scale`,
//! `activations.zero_point`, and `activations.float` marking the values kept in f32). The
//! metadata names the format, the weight granularity and the calibration method. The topology
//! is not stored: it comes from the run's model config, and loading checks every name and shape.

use std::collections::HashMap;
use std::path::Path;

use safetensors::tensor::{Dtype, SafeTensors, TensorView, serialize};

use super::calibrate::RangeMethod;
use super::net::{QConv, QuantizedNet};
use super::params::{ActQuant, Granularity, QuantWeights};
use crate::model::graph::Graph;

/// The metadata value of `format` that marks an int8 checkpoint.
pub const FORMAT: &str = "segstudio-int8";

/// Little-endian bytes of f32 values (safetensors and ONNX raw data alike).
pub(crate) fn le_f32(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn le_i32(v: &[i32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Serialises `net` (see the module doc).
pub fn to_bytes(net: &QuantizedNet) -> Result<Vec<u8>, String> {
    let mut buffers: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = Vec::new();
    for c in net.convs() {
        let (a, b, k1, k2) = c.spec.weight_shape();
        buffers.push((
            format!("{}.weight", c.name),
            Dtype::I8,
            vec![a, b, k1, k2],
            c.weight.data.iter().map(|&q| q as u8).collect(),
        ));
        buffers.push((
            format!("{}.weight_scale", c.name),
            Dtype::F32,
            vec![c.weight.scales.len()],
            le_f32(&c.weight.scales),
        ));
        buffers.push((
            format!("{}.bias", c.name),
            Dtype::I32,
            vec![c.bias.len()],
            le_i32(&c.bias),
        ));
    }
    let n = net.acts.len();
    let scales: Vec<f32> = net
        .acts
        .iter()
        .map(|a| a.map_or(0.0, |a| a.scale))
        .collect();
    let zeros: Vec<u8> = net
        .acts
        .iter()
        .map(|a| a.map_or(0, |a| a.zero_point))
        .collect();
    let float: Vec<u8> = net.acts.iter().map(|a| u8::from(a.is_none())).collect();
    buffers.push((
        "activations.scale".into(),
        Dtype::F32,
        vec![n],
        le_f32(&scales),
    ));
    buffers.push(("activations.zero_point".into(), Dtype::U8, vec![n], zeros));
    buffers.push(("activations.float".into(), Dtype::U8, vec![n], float));
    let views = buffers
        .iter()
        .map(|(name, dtype, shape, data)| {
            TensorView::new(*dtype, shape.clone(), data).map(|v| (name.clone(), v))
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let metadata = HashMap::from([
        ("format".to_owned(), FORMAT.to_owned()),
        (
            "granularity".to_owned(),
            ron::to_string(&net.granularity).map_err(|e| e.to_string())?,
        ),
        (
            "method".to_owned(),
            ron::to_string(&net.method).map_err(|e| e.to_string())?,
        ),
    ]);
    serialize(views, Some(metadata)).map_err(|e| e.to_string())
}

/// Writes `net` to `path` atomically.
pub fn save(net: &QuantizedNet, path: &Path) -> Result<(), String> {
    let bytes = to_bytes(net)?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    crate::project::fsio::atomic_write(path, &bytes).map_err(|e| e.to_string())
}

/// Whether `path` is an int8 checkpoint (its metadata says so).
pub fn is_int8(path: &Path) -> bool {
    let Ok(bytes) = std::fs::read(path) else {
        return false;
    };
    SafeTensors::read_metadata(&bytes)
        .ok()
        .and_then(|(_, m)| {
            m.metadata()
                .as_ref()
                .map(|m| m.get("format").map(String::as_str) == Some(FORMAT))
        })
        .unwrap_or(false)
}

/// Reads an int8 checkpoint for the network whose topology is `graph` (the run's model).
pub fn load(path: &Path, graph: &Graph) -> Result<QuantizedNet, String> {
    let at = |e: String| format!("{}: {e}", path.display());
    let bytes = std::fs::read(path).map_err(|e| at(e.to_string()))?;
    let (_, meta) = SafeTensors::read_metadata(&bytes).map_err(|e| at(e.to_string()))?;
    let meta = meta.metadata().clone().unwrap_or_default();
    if meta.get("format").map(String::as_str) != Some(FORMAT) {
        return Err(at(format!(
            "not an int8 checkpoint (no \"format\": \"{FORMAT}\" in its metadata)"
        )));
    }
    let parse = |key: &str| -> Result<&String, String> {
        meta.get(key)
            .ok_or_else(|| at(format!("metadata has no \"{key}\"")))
    };
    let granularity: Granularity =
        ron::from_str(parse("granularity")?).map_err(|e| at(e.to_string()))?;
    let method: RangeMethod = ron::from_str(parse("method")?).map_err(|e| at(e.to_string()))?;
    let st = SafeTensors::deserialize(&bytes).map_err(|e| at(e.to_string()))?;
    let tensor = |name: &str, dtype: Dtype, shape: &[usize]| -> Result<&[u8], String> {
        let t = st
            .tensor(name)
            .map_err(|_| at(format!("missing tensor {name}")))?;
        if t.dtype() != dtype || t.shape() != shape {
            return Err(at(format!(
                "tensor {name} is {:?} {:?}, the model expects {dtype:?} {shape:?}",
                t.dtype(),
                t.shape()
            )));
        }
        Ok(t.data())
    };
    let f32s = |b: &[u8]| -> Vec<f32> {
        b.chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    };
    let i32s = |b: &[u8]| -> Vec<i32> {
        b.chunks_exact(4)
            .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    };
    let n = graph.nodes.len() + 1;
    let scales = f32s(tensor("activations.scale", Dtype::F32, &[n])?);
    let zeros = tensor("activations.zero_point", Dtype::U8, &[n])?;
    let float = tensor("activations.float", Dtype::U8, &[n])?;
    let acts: Vec<Option<ActQuant>> = (0..n)
        .map(|v| {
            (float[v] == 0).then_some(ActQuant {
                scale: scales[v],
                zero_point: zeros[v],
            })
        })
        .collect();
    let ops = graph
        .nodes
        .iter()
        .map(|op| {
            op.map_conv(|c| {
                let (a, b, k1, k2) = c.spec.weight_shape();
                let data = tensor(&format!("{}.weight", c.name), Dtype::I8, &[a, b, k1, k2])?
                    .iter()
                    .map(|&q| q as i8)
                    .collect();
                let scale_len = match granularity {
                    Granularity::PerChannel => c.spec.cout,
                    Granularity::PerTensor => 1,
                };
                let scales = f32s(tensor(
                    &format!("{}.weight_scale", c.name),
                    Dtype::F32,
                    &[scale_len],
                )?);
                let bias = i32s(tensor(
                    &format!("{}.bias", c.name),
                    Dtype::I32,
                    &[c.spec.cout],
                )?);
                let Some(x) = acts[c.input] else {
                    return Err(at(format!("{}: its input has no grid", c.name)));
                };
                Ok(QConv::new(c, x.scale, QuantWeights { data, scales }, bias))
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(QuantizedNet {
        ops,
        acts,
        output: graph.output,
        granularity,
        method,
    })
}
