//! Logits against the `PyTorch` reference (`scripts/make_model_fixture.py`): small `MobileNetV2`
//! and Xception models with the reference's structure, seeded weights and BN statistics.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{Device, Result, Tensor};
use candle_nn::ModuleT;
use segstudio::model::{Config, Model, checkpoint};

fn check_fixture(name: &str) -> Result<()> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/model")
        .join(format!("{name}.safetensors"));
    let bytes = std::fs::read(&path).map_err(candle_core::Error::wrap)?;
    let (_, meta) =
        safetensors::SafeTensors::read_metadata(&bytes).map_err(candle_core::Error::wrap)?;
    let json = &meta.metadata().as_ref().expect("metadata")["config"];
    let cfg: Config = serde_json::from_str(json).map_err(candle_core::Error::wrap)?;
    let mut tensors: HashMap<String, Tensor> = candle_core::safetensors::load(&path, &Device::Cpu)?;
    let input = tensors.remove("__input").expect("input");
    let want = tensors.remove("__logits").expect("logits");
    let model = Model::new(cfg, &Device::Cpu)?;
    checkpoint::assign(&model.varmap, &tensors).map_err(candle_core::Error::wrap)?;
    // The network as trained (BatchNorm folded on every call) and the frozen inference copy
    // (folded once) must both match the reference.
    let frozen = model.net.frozen()?;
    for (kind, got) in [
        ("live", model.forward_t(&input, false)?),
        ("frozen", frozen.forward_t(&input, false)?),
    ] {
        assert_eq!(got.dims(), want.dims());
        let err = got
            .sub(&want)?
            .abs()?
            .flatten_all()?
            .max(0)?
            .to_scalar::<f32>()?;
        let scale = want.abs()?.flatten_all()?.max(0)?.to_scalar::<f32>()?;
        eprintln!("{name} ({kind}): max |logit| {scale}, max abs err {err}");
        assert!(err < 1e-4, "{name} ({kind}): max abs err {err}");
    }
    assert!(
        frozen.forward_t(&input, true).is_err(),
        "a frozen copy must refuse to train"
    );
    Ok(())
}

#[test]
fn mobilenetv2_plus_os16_matches_reference() -> Result<()> {
    check_fixture("mnv2_plus_os16")
}

#[test]
fn mobilenetv2_zoo_os8_matches_reference() -> Result<()> {
    check_fixture("mnv2_zoo_os8")
}

#[test]
fn xception_os16_matches_reference() -> Result<()> {
    check_fixture("xception_os16")
}
