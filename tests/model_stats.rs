//! Parameter and MAC counts against the reference's exact integers
//! (`/work/shared/peers/params-flops.json`, produced by `deeplab_ref.py info --json`).

use candle_core::Device;
use segstudio::model::{Config, MacsByPart, Model, stats};

fn parts(encoder: u64, aspp: u64, decoder: u64, logits: u64) -> MacsByPart {
    MacsByPart {
        encoder,
        aspp,
        decoder,
        logits,
    }
}

#[test]
fn macs_match_reference() {
    let cases = [
        (
            Config::mobilenetv2(),
            513,
            513,
            parts(2_502_824_384, 232_030_208, 0, 5_296_896),
            2_740_151_488u64,
        ),
        (
            Config::mobilenetv2(),
            481,
            641,
            parts(2_923_255_680, 270_794_752, 0, 6_182_144),
            3_200_232_576,
        ),
        (
            Config::mobilenetv2(),
            256,
            256,
            parts(595_066_880, 54_607_872, 0, 1_245_184),
            650_919_936,
        ),
        (
            Config::mobilenetv2_plus(),
            513,
            513,
            parts(2_502_824_384, 723_177_920, 2_584_546_992, 80_941_824),
            5_891_491_120,
        ),
        (
            Config::mobilenetv2_plus(),
            480,
            640,
            parts(2_789_376_000, 796_881_920, 2_981_990_400, 93_388_800),
            6_661_637_120,
        ),
        (
            Config::xception65(),
            513,
            513,
            parts(48_570_448_320, 2_701_383_680, 2_674_009_008, 80_941_824),
            54_026_782_832,
        ),
        (
            Config::xception65(),
            481,
            641,
            parts(56_715_969_552, 3_152_766_976, 3_130_362_928, 94_755_584),
            63_093_855_040,
        ),
        (
            Config::xception65(),
            480,
            640,
            parts(53_933_616_000, 2_976_677_888, 3_085_209_600, 93_388_800),
            60_088_892_288,
        ),
    ];
    for (cfg, h, w, want_parts, want) in cases {
        let s = stats(&cfg, h, w);
        assert_eq!(s.macs_by_part, want_parts, "{:?} {h}x{w}", cfg.backbone);
        assert_eq!(s.macs, want);
        assert_eq!(s.flops, 2 * want);
    }
    // The seed's "FLOPs" are 2×MACs at 481×641: 6.40 B and 126.19 B.
    assert_eq!(stats(&Config::mobilenetv2(), 481, 641).flops, 6_400_465_152);
    assert_eq!(
        stats(&Config::xception65(), 481, 641).flops,
        126_187_710_080
    );
}

#[test]
fn params_match_reference_and_built_models() {
    for (cfg, p, ps) in [
        (Config::mobilenetv2(), 2_113_043u64, 2_146_131u64),
        (Config::mobilenetv2_plus(), 2_725_059, 2_763_843),
        (Config::xception65(), 41_054_899, 41_257_699),
    ] {
        let s = stats(&cfg, 513, 513);
        assert_eq!((s.params, s.params_with_stats), (p, ps));
        assert_eq!(s.bytes_f32, 4 * ps);
    }
    // Off-preset configs: the arithmetic walk agrees with the built VarMap.
    for cfg in [
        Config::mobilenetv2()
            .with_depth_multiplier(0.5)
            .with_output_stride(8),
        Config {
            xception_middle_units: 2,
            ..Config::xception65().with_depth_multiplier(0.25)
        },
    ] {
        let s = stats(&cfg, 65, 65);
        let (p, ps) = Model::new(cfg, &Device::Cpu).unwrap().param_counts();
        assert_eq!((s.params, s.params_with_stats), (p as u64, ps as u64));
    }
}
