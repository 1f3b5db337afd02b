//! The PASCAL VOC colormap: label `i` gets the colour whose bits interleave the bits of `i` (label 1
//! is (128, 0, 0), 255 — the ignore label — is (224, 224, 192)). VOC, labelme and mmsegmentation all
//! draw masks with it.

/// The 256 colours of the VOC colormap.
pub fn voc_colormap() -> [[u8; 3]; 256] {
    let mut map = [[0u8; 3]; 256];
    for (label, colour) in map.iter_mut().enumerate() {
        let mut c = label;
        for shift in (0..8).rev() {
            for (channel, value) in colour.iter_mut().enumerate() {
                *value |= u8::from((c >> channel) & 1 == 1) << shift;
            }
            c >>= 3;
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_colours() {
        let map = voc_colormap();
        assert_eq!(map[0], [0, 0, 0]);
        assert_eq!(map[1], [128, 0, 0]);
        assert_eq!(map[2], [0, 128, 0]);
        assert_eq!(map[3], [128, 128, 0]);
        assert_eq!(map[15], [192, 128, 128], "person");
        assert_eq!(map[255], [224, 224, 192], "ignore");
    }
}
