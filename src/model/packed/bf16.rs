//! The opt-in bf16 weights: each f32 weight rounded to its upper 16 bits (sign, the 8 exponent
//! bits, 7 mantissa bits; ties to even), half the bytes of f32 to read per product. The kernels
//! widen them back to f32 (a 16-bit shift, exact) and multiply in f32, so only the rounding of
//! the weights separates a bf16 product from the f32 one.

use super::{float_panels, PackedMatrix, PanelRowBf16, Panels, PANEL};

/// `value` rounded to the nearest bf16 (ties to even), as its 16 bits; a NaN stays a NaN.
pub(crate) fn narrow(value: f32) -> u16 {
    let bits = value.to_bits();
    if value.is_nan() {
        // Keep the sign and set the quiet bit, so the payload cannot round to infinity.
        return ((bits >> 16) | 0x0040) as u16;
    }
    let rounding = 0x7fff + ((bits >> 16) & 1);
    (bits.wrapping_add(rounding) >> 16) as u16
}

/// The f32 value of bf16 bits (exact).
#[inline(always)]
pub(crate) fn widen(bits: u16) -> f32 {
    f32::from_bits((bits as u32) << 16)
}

impl PackedMatrix {
    /// Packs `weights`, row-major `out × inp`, rounded to bf16, in the f32 panel layout.
    pub(crate) fn pack_bf16(weights: &[f32], out: usize, inp: usize) -> Self {
        let empty = PanelRowBf16([0; PANEL]);
        Self {
            out,
            inp,
            panels: Panels::Bf16(float_panels(weights, out, inp, empty, narrow)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrowing_rounds_to_nearest_even_and_keeps_specials() {
        // Exactly representable values come back unchanged.
        for v in [
            0.0f32,
            -0.0,
            1.0,
            -2.5,
            0.15625,
            f32::INFINITY,
            f32::NEG_INFINITY,
        ] {
            assert_eq!(widen(narrow(v)).to_bits(), v.to_bits(), "{v}");
        }
        // 1 + 2^-8 lies halfway between 1 and 1 + 2^-7: ties go to the even mantissa (1).
        assert_eq!(widen(narrow(1.0 + 2f32.powi(-8))), 1.0);
        // 1 + 3·2^-8 lies halfway between 1 + 2^-7 and 1 + 2^-6: to the even one, 1 + 2^-6.
        assert_eq!(
            widen(narrow(1.0 + 3.0 * 2f32.powi(-8))),
            1.0 + 2f32.powi(-6)
        );
        // Just above halfway rounds up.
        assert_eq!(
            widen(narrow(f32::from_bits((1.0f32).to_bits() + 0x8001))),
            1.0 + 2f32.powi(-7)
        );
        // The largest finite values round to infinity, as in IEEE arithmetic.
        assert_eq!(widen(narrow(f32::MAX)), f32::INFINITY);
        assert!(widen(narrow(f32::NAN)).is_nan());
        assert!(widen(narrow(-f32::NAN)).is_nan());
        // Relative error at most half a unit in the last of 8 significant bits: 2^-8.
        for i in 1..10_000 {
            let v = (i as f32 * 0.7311).sin() * 10f32.powi(i % 20 - 10);
            let back = widen(narrow(v));
            assert!((back - v).abs() <= v.abs() * 2f32.powi(-8), "{v} -> {back}");
        }
    }
}
