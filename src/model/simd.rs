//! The vector `exp` of the AVX2 and AVX-512 paths, shared by the packed products (SiLU), the
//! fused attention and the logits (log-sum-exp).
//!
//! Both widths compute the same operations lane by lane (Cody–Waite reduction `x = n·ln 2 + r`
//! with |r| ≤ ln2/2, a degree-7 polynomial for `e^r`, `2^n` built in the exponent bits), so an
//! AVX-512 lane gives the AVX2 lane's bits: the two paths differ only where they sum in another
//! order. Within 2 ulp of the correctly rounded result for normal results; 0 below −87.3, +∞
//! above 88.7, NaN for NaN.

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// Largest argument with a finite result.
const EXP_MAX: f32 = 88.722_83;
/// Smallest argument with a normal result.
const EXP_MIN: f32 = -87.336_55;
/// ln 2 split in a part exact in f32 and a correction.
const LN2_HI: f32 = 0.693_145_75;
const LN2_LO: f32 = 1.428_606_8e-6;
/// Taylor coefficients of e^r from r^7 down to r^0 (|r| ≤ 0.35: truncation below 2^-27).
const POLY: [f32; 8] = [
    1.0 / 5040.0,
    1.0 / 720.0,
    1.0 / 120.0,
    1.0 / 24.0,
    1.0 / 6.0,
    0.5,
    1.0,
    1.0,
];

/// `e^x` per lane (8 lanes).
///
/// # Safety
/// The CPU has AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn exp256(x: __m256) -> __m256 {
    let max = _mm256_set1_ps(EXP_MAX);
    let min = _mm256_set1_ps(EXP_MIN);
    let too_big = _mm256_cmp_ps::<_CMP_GT_OQ>(x, max);
    let too_small = _mm256_cmp_ps::<_CMP_LT_OQ>(x, min);
    let xc = _mm256_min_ps(_mm256_max_ps(x, min), max);
    let n = _mm256_round_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(_mm256_mul_ps(
        xc,
        _mm256_set1_ps(std::f32::consts::LOG2_E),
    ));
    let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_HI), xc);
    let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_LO), r);
    let mut p = _mm256_set1_ps(POLY[0]);
    for &c in &POLY[1..] {
        p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(c));
    }
    // 2^n for n in [-126, 128): n = 128 (x near the top) is split as 2^(n-1) · 2.
    let n_int = _mm256_cvtps_epi32(n);
    let half = _mm256_srai_epi32::<1>(n_int);
    let rest = _mm256_sub_epi32(n_int, half);
    let pow = |e: __m256i| {
        _mm256_castsi256_ps(_mm256_slli_epi32::<23>(_mm256_add_epi32(
            e,
            _mm256_set1_epi32(127),
        )))
    };
    let y = _mm256_mul_ps(_mm256_mul_ps(p, pow(half)), pow(rest));
    let y = _mm256_blendv_ps(y, _mm256_set1_ps(f32::INFINITY), too_big);
    let y = _mm256_blendv_ps(y, _mm256_setzero_ps(), too_small);
    // NaN in, NaN out (min/max above turned NaN into a bound).
    let nan = _mm256_cmp_ps::<_CMP_UNORD_Q>(x, x);
    _mm256_blendv_ps(y, x, nan)
}

/// `e^x` per lane (16 lanes), bit for bit [`exp256`]'s result in each lane.
///
/// # Safety
/// The CPU has AVX-512 F.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx512f,avx2,fma")]
pub(crate) unsafe fn exp512(x: __m512) -> __m512 {
    let max = _mm512_set1_ps(EXP_MAX);
    let min = _mm512_set1_ps(EXP_MIN);
    let too_big = _mm512_cmp_ps_mask::<_CMP_GT_OQ>(x, max);
    let too_small = _mm512_cmp_ps_mask::<_CMP_LT_OQ>(x, min);
    let xc = _mm512_min_ps(_mm512_max_ps(x, min), max);
    let n = _mm512_roundscale_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(
        _mm512_mul_ps(xc, _mm512_set1_ps(std::f32::consts::LOG2_E)),
    );
    let r = _mm512_fnmadd_ps(n, _mm512_set1_ps(LN2_HI), xc);
    let r = _mm512_fnmadd_ps(n, _mm512_set1_ps(LN2_LO), r);
    let mut p = _mm512_set1_ps(POLY[0]);
    for &c in &POLY[1..] {
        p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(c));
    }
    let n_int = _mm512_cvtps_epi32(n);
    let half = _mm512_srai_epi32::<1>(n_int);
    let rest = _mm512_sub_epi32(n_int, half);
    let pow = |e: __m512i| {
        _mm512_castsi512_ps(_mm512_slli_epi32::<23>(_mm512_add_epi32(
            e,
            _mm512_set1_epi32(127),
        )))
    };
    let y = _mm512_mul_ps(_mm512_mul_ps(p, pow(half)), pow(rest));
    let y = _mm512_mask_blend_ps(too_big, y, _mm512_set1_ps(f32::INFINITY));
    let y = _mm512_mask_blend_ps(too_small, y, _mm512_setzero_ps());
    let nan = _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(x, x);
    _mm512_mask_blend_ps(nan, y, x)
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;
    use crate::cpu::{self, KernelPath};

    fn inputs() -> Vec<f32> {
        let mut inputs: Vec<f32> = (-8800..=8800).map(|i| i as f32 * 0.01).collect();
        inputs.extend([-200.0, -87.4, 88.8, 300.0, 0.0, -0.0, 1e-8, f32::NAN]);
        inputs
    }

    fn check(x: f32, got: f32) {
        let want = (x as f64).exp();
        if x.is_nan() {
            assert!(got.is_nan(), "exp(NaN) = {got}");
        } else if want > f32::MAX as f64 {
            assert_eq!(got, f32::INFINITY, "exp({x})");
        } else if want < f32::MIN_POSITIVE as f64 {
            assert!(got == 0.0 || (got as f64 - want).abs() < 1e-38, "exp({x})");
        } else {
            let ulp = (want as f32).to_bits().abs_diff(got.to_bits());
            assert!(ulp <= 2, "exp({x}) = {got}, expected {want} ({ulp} ulp)");
        }
    }

    #[test]
    fn exp256_is_within_two_ulp() {
        if cpu::cpu().detected < KernelPath::Avx2 {
            eprintln!("skipped: this CPU has no AVX2");
            return;
        }
        for chunk in inputs().chunks(8) {
            let mut lanes = [0f32; 8];
            lanes[..chunk.len()].copy_from_slice(chunk);
            let mut out = [0f32; 8];
            // SAFETY: AVX2 and FMA checked above.
            unsafe { _mm256_storeu_ps(out.as_mut_ptr(), exp256(_mm256_loadu_ps(lanes.as_ptr()))) };
            for (&x, &got) in chunk.iter().zip(&out) {
                check(x, got);
            }
        }
    }

    #[test]
    fn exp512_gives_the_bits_of_exp256() {
        if cpu::cpu().detected < KernelPath::Avx512 {
            eprintln!("skipped: this CPU has no AVX-512");
            return;
        }
        for chunk in inputs().chunks(16) {
            let mut lanes = [0f32; 16];
            lanes[..chunk.len()].copy_from_slice(chunk);
            let (mut wide, mut narrow) = ([0f32; 16], [0f32; 16]);
            // SAFETY: AVX-512 F (and so AVX2 and FMA) checked above.
            unsafe {
                _mm512_storeu_ps(wide.as_mut_ptr(), exp512(_mm512_loadu_ps(lanes.as_ptr())));
                for h in 0..2 {
                    let x = _mm256_loadu_ps(lanes[8 * h..].as_ptr());
                    _mm256_storeu_ps(narrow[8 * h..].as_mut_ptr(), exp256(x));
                }
            }
            for ((&x, &w), &n) in chunk.iter().zip(&wide).zip(&narrow) {
                check(x, w);
                assert!(
                    w.to_bits() == n.to_bits() || (w.is_nan() && n.is_nan()),
                    "exp({x})"
                );
            }
        }
    }
}
