//! Checkpoint round trip and the mismatch report.

use std::collections::HashMap;

use candle_core::{DType, Device, Result, Tensor};
use segstudio::model::checkpoint::{self, CheckpointError};
use segstudio::model::{Config, Model};

fn small() -> Config {
    Config::mobilenetv2_plus()
        .with_depth_multiplier(0.35)
        .with_num_classes(4)
}

#[test]
fn save_and_load_round_trip() -> Result<()> {
    let dir = std::env::temp_dir().join(format!("segstudio-ckpt-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("model.safetensors");
    let model = Model::new(small(), &Device::Cpu)?;
    checkpoint::save(&model, &path).map_err(candle_core::Error::wrap)?;
    assert!(checkpoint::config_path(&path).exists());
    let loaded = checkpoint::load(&path, &Device::Cpu).map_err(candle_core::Error::wrap)?;
    assert_eq!(loaded.config, model.config);
    let x = Tensor::ones((1, 3, 33, 33), DType::F32, &Device::Cpu)?;
    let diff = (model.forward_t(&x, false)? - loaded.forward_t(&x, false)?)?
        .abs()?
        .flatten_all()?
        .max(0)?
        .to_scalar::<f32>()?;
    assert!(diff.abs() < f32::EPSILON, "outputs differ by {diff}");
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

#[test]
fn mismatch_lists_missing_unexpected_and_mis_shaped() -> Result<()> {
    let model = Model::new(small(), &Device::Cpu)?;
    let mut tensors: HashMap<String, Tensor> = model
        .varmap
        .data()
        .lock()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_tensor().clone()))
        .collect();
    tensors.remove("logits.bias");
    tensors.insert(
        "extra.weight".into(),
        Tensor::zeros(3, DType::F32, &Device::Cpu)?,
    );
    tensors.insert(
        "logits.weight".into(),
        Tensor::zeros((5, 256, 1, 1), DType::F32, &Device::Cpu)?,
    );
    let err = checkpoint::assign(&model.varmap, &tensors).unwrap_err();
    let CheckpointError::Mismatch(m) = &err else {
        panic!("unexpected error {err}")
    };
    assert_eq!(m.missing, vec!["logits.bias".to_string()]);
    assert_eq!(m.unexpected, vec!["extra.weight".to_string()]);
    assert_eq!(
        m.mis_shaped,
        vec![(
            "logits.weight".to_string(),
            vec![4, 256, 1, 1],
            vec![5, 256, 1, 1]
        )]
    );
    let text = err.to_string();
    assert!(
        text.contains("missing tensors (1): logits.bias")
            && text.contains("extra.weight")
            && text.contains("mis-shaped tensor logits.weight"),
        "{text}"
    );
    let missing_file = checkpoint::load(
        std::path::Path::new("/nonexistent/x.safetensors"),
        &Device::Cpu,
    );
    assert!(matches!(missing_file, Err(CheckpointError::Io { .. })));
    Ok(())
}
