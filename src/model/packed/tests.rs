use super::int8::{MAX_PAIRS_INP, ROWS16_MAX};
use super::*;

/// A deterministic matrix of values in [-1, 1).
fn values(n: usize, seed: u64) -> Vec<f32> {
    let mut state = seed;
    (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

/// `x · Wᵀ + b` in f64, the straightforward way.
fn reference(x: &[f32], w: &[f32], b: &[f32], out: usize, inp: usize) -> Vec<f64> {
    let rows = x.len() / inp;
    let mut y = vec![0f64; rows * out];
    for i in 0..rows {
        for j in 0..out {
            let dot: f64 = (0..inp)
                .map(|k| x[i * inp + k] as f64 * w[j * inp + k] as f64)
                .sum();
            y[i * out + j] = dot + b[j] as f64;
        }
    }
    y
}

/// Every kernel this CPU can run, whatever `PASSEUR_KERNEL` says: the portable one, AVX2,
/// AVX-512 with and without integer dot products, and AVX-512 with AMX tiles.
fn kernels() -> Vec<Kernel> {
    #[allow(unused_mut)]
    let mut kernels = vec![Kernel::Portable];
    #[cfg(target_arch = "x86_64")]
    {
        let detected = crate::cpu::cpu().detected;
        if detected >= KernelPath::Avx2 {
            kernels.push(Kernel::Avx2);
        }
        if detected >= KernelPath::Avx512 {
            kernels.push(Kernel::Avx512 {
                int8_dot: false,
                amx: false,
            });
            if is_x86_feature_detected!("avx512vnni") {
                kernels.push(Kernel::Avx512 {
                    int8_dot: true,
                    amx: false,
                });
            }
        }
        if detected >= KernelPath::Amx {
            kernels.push(Kernel::Avx512 {
                int8_dot: true,
                amx: true,
            });
        }
    }
    kernels
}

fn activated(value: f64, epilogue: Epilogue) -> f64 {
    match epilogue {
        Epilogue::Bias => value,
        Epilogue::BiasRelu => value.max(0.0),
        Epilogue::BiasSilu => value / (1.0 + (-value).exp()),
    }
}

/// Runs `packed` with every kernel and compares with `expected` (before the epilogue).
fn compare(
    packed: &PackedMatrix,
    x: &[f32],
    b: &[f32],
    epilogue: Epilogue,
    expected: &[f64],
    what: &str,
) {
    let inp = packed.in_dim();
    for kernel in kernels() {
        let mut y = vec![f32::NAN; expected.len()];
        packed.matmul_with(kernel, x, b, epilogue, &mut y);
        for (i, (&got, &want)) in y.iter().zip(expected).enumerate() {
            let want = activated(want, epilogue);
            let tolerance = 1e-5 * (inp as f64).sqrt() * (1.0 + want.abs());
            assert!(
                (got as f64 - want).abs() <= tolerance,
                "{what} {epilogue:?} {kernel:?}: element {i} is {got}, expected {want}"
            );
        }
    }
}

fn check(rows: usize, out: usize, inp: usize, epilogue: Epilogue) {
    let w = values(out * inp, 1);
    let x = values(rows * inp, 2);
    let b = values(out, 3);
    let packed = PackedMatrix::pack(&w, out, inp);
    let expected = reference(&x, &w, &b, out, inp);
    let what = format!("{rows}×{inp}·({out}×{inp})ᵀ");
    compare(&packed, &x, &b, epilogue, &expected, &what);
}

#[test]
fn products_match_a_direct_computation_for_every_tile_shape() {
    // Row counts cover full and partial tiles; output counts cover full and partial panels.
    for rows in [1, 2, 3, 5, 6, 7, 13] {
        for out in [1, 16, 17, 40] {
            check(rows, out, 9, Epilogue::Bias);
        }
    }
    check(64, 600, 512, Epilogue::Bias);
    check(7, 100, 33, Epilogue::BiasSilu);
    check(7, 100, 33, Epilogue::BiasRelu);
}

/// The weights as the packed matrix holds them, checked to be within half a quantization
/// step (max |row| / 254) of the originals.
fn dequantized(packed: &PackedMatrix, w: &[f32]) -> Vec<f32> {
    let (out, inp) = (packed.out_dim(), packed.in_dim());
    let ids: Vec<u32> = (0..out as u32).collect();
    let dequantized = packed.gather_rows(&ids);
    for (j, (row, original)) in dequantized.chunks(inp).zip(w.chunks(inp)).enumerate() {
        let step = original.iter().fold(0f32, |m, v| m.max(v.abs())) / 127.0;
        for (&q, &o) in row.iter().zip(original) {
            assert!((q - o).abs() <= step * 0.5 + 1e-7, "row {j}: {q} for {o}");
        }
    }
    dequantized
}

/// The last one: more rows than one row group of the integer kernels, dot products and pairs
/// (three groups, the last partial) over more blocks than one run (41 blocks: two runs, the last
/// block partial), with too little work to be split between threads, so that one job sees both
/// runs.
const INT8_SHAPES: [(usize, usize, usize); 6] = [
    (1, 40, 33),
    (2, 16, 8),
    (6, 16, 8),
    (13, 37, 64),
    (64, 100, 512),
    (53, 645, 7),
];
const _: () = assert!(53 * 645 * 7 < PARALLEL_MIN_WORK);

#[test]
fn widened_int8_products_match_the_dequantized_weights() {
    for (rows, out, inp) in INT8_SHAPES {
        let (w, x, b) = (values(out * inp, 5), values(rows * inp, 6), values(out, 7));
        let packed = PackedMatrix::pack_int8_widened(&w, out, inp);
        let expected = reference(&x, &dequantized(&packed, &w), &b, out, inp);
        let what = format!("int8 {rows}×{out}×{inp}");
        for epilogue in [Epilogue::Bias, Epilogue::BiasSilu] {
            compare(&packed, &x, &b, epilogue, &expected, &what);
        }
    }
}

#[test]
fn int8_dot_products_match_dequantized_weights_and_activations() {
    for (rows, out, inp) in INT8_SHAPES {
        let (w, x, b) = (values(out * inp, 8), values(rows * inp, 9), values(out, 10));
        let packed = PackedMatrix::pack_int8_dot(&w, out, inp);
        let weights = dequantized(&packed, &w);
        // The activations as the kernel sees them (two levels of 8 bits), checked to be
        // within half a fine step of the originals.
        let q = QuantizedRows::new(&x, inp);
        let mut x_seen = Vec::with_capacity(x.len());
        for (i, original) in x.chunks(inp).enumerate() {
            // Half a fine step at most: max |row| / 127 / 2 / 127 / 2.
            let bound = original.iter().fold(0f32, |m, v| m.max(v.abs())) / 127.0 / 254.0;
            for (k, &o) in original.iter().enumerate() {
                let at = i * q.stride + k;
                let seen = (q.coarse[at] as f32 - 128.0) * q.coarse_scales[i]
                    + (q.fine[at] as f32 - 128.0) * q.fine_scales[i];
                assert!((seen - o).abs() <= bound + 1e-7, "row {i}: {seen} for {o}");
                x_seen.push(seen);
            }
        }
        let expected = reference(&x_seen, &weights, &b, out, inp);
        let what = format!("int8 dot {rows}×{out}×{inp}");
        for epilogue in [Epilogue::Bias, Epilogue::BiasRelu] {
            compare(&packed, &x, &b, epilogue, &expected, &what);
        }
    }
}

#[test]
fn int8_pair_products_match_dequantized_weights_and_13_bit_activations() {
    for (rows, out, inp) in INT8_SHAPES.into_iter().chain([(3, 20, 7)]) {
        let (w, x, b) = (
            values(out * inp, 11),
            values(rows * inp, 12),
            values(out, 13),
        );
        let packed = PackedMatrix::pack_int8_pairs(&w, out, inp);
        let weights = dequantized(&packed, &w);
        // The activations as the kernel sees them, within half a step of the originals.
        let q = Rows16::new(&x, inp);
        let mut x_seen = Vec::with_capacity(x.len());
        for (i, original) in x.chunks(inp).enumerate() {
            let max = original.iter().fold(0f32, |m, v| m.max(v.abs()));
            for (k, &o) in original.iter().enumerate() {
                let seen = q.values[i * q.stride + k] as f32 * q.scales[i];
                assert!(
                    (seen - o).abs() <= max / ROWS16_MAX / 2.0 + 1e-7,
                    "row {i}: {seen} for {o}"
                );
                x_seen.push(seen);
            }
        }
        let expected = reference(&x_seen, &weights, &b, out, inp);
        let what = format!("int8 pairs {rows}×{out}×{inp}");
        for epilogue in [Epilogue::Bias, Epilogue::BiasSilu] {
            compare(&packed, &x, &b, epilogue, &expected, &what);
        }
    }
}

#[test]
fn the_largest_pair_sums_stay_inside_i32() {
    // Every weight and activation at its extreme: the sum the bound is computed for.
    let inp = MAX_PAIRS_INP;
    let w = vec![1.0f32; 16 * inp];
    let x = vec![-1.0f32; inp];
    let packed = PackedMatrix::pack_int8_pairs(&w, 16, inp);
    let mut y = vec![0f32; 16];
    for kernel in kernels() {
        packed.matmul_with(kernel, &x, &[0.0; 16], Epilogue::Bias, &mut y);
        // An overflow would wrap to a large positive sum.
        let expected = -(inp as f32);
        assert!(
            y.iter().all(|&v| (v - expected).abs() <= 1e-4 * inp as f32),
            "{kernel:?}: {y:?}"
        );
    }
}

#[test]
fn a_nan_weight_becomes_zero_and_its_row_keeps_the_scale_of_the_others() {
    let (out, inp) = (20, 9);
    let mut w = values(out * inp, 13);
    w[3 * inp + 4] = f32::NAN;
    let finite: Vec<f32> = (0..inp)
        .filter(|&k| k != 4)
        .map(|k| w[3 * inp + k])
        .collect();
    let step = finite.iter().fold(0f32, |m, v| m.max(v.abs())) / 127.0;
    for packed in [
        PackedMatrix::pack_int8_dot(&w, out, inp),
        PackedMatrix::pack_int8_pairs(&w, out, inp),
        PackedMatrix::pack_int8_widened(&w, out, inp),
    ] {
        let row = packed.gather_rows(&[3]);
        assert_eq!(row[4], 0.0);
        for (k, &q) in row.iter().enumerate().filter(|&(k, _)| k != 4) {
            let o = w[3 * inp + k];
            assert!(
                (q - o).abs() <= step * 0.5 + 1e-7,
                "weight {k}: {q} for {o}"
            );
        }
    }
}

#[test]
fn rows_too_small_to_scale_are_quantized_as_zero() {
    // 1e-40 is subnormal: 4095 / 1e-40 and 127 / 1e-40 overflow to infinity, and 0 · ∞ is NaN.
    let inp = 12;
    let mut x = vec![1e-40f32; 2 * inp];
    x[3] = 0.0;
    x[inp..].copy_from_slice(&values(inp, 14));
    let rows16 = Rows16::new(&x, inp);
    assert_eq!(rows16.scales[0], 0.0);
    assert!(rows16.values[..inp].iter().all(|&v| v == 0));
    assert!(rows16.scales[1] > 0.0 && rows16.values[rows16.stride..].iter().any(|&v| v != 0));
    let quantized = QuantizedRows::new(&x, inp);
    assert_eq!(
        (quantized.coarse_scales[0], quantized.fine_scales[0]),
        (0.0, 0.0)
    );
    assert!(quantized.coarse[..inp].iter().all(|&v| v == 128));
    assert!(quantized.coarse_scales[1] > 0.0);
}

#[test]
fn a_non_finite_activation_gives_a_nan_scale_wherever_it_is_in_the_row() {
    // 21 steps: two whole chunks of eight for the scan, then a tail of five.
    let inp = 21;
    for at in [0, 7, 8, 15, 16, 20] {
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            let mut x = values(2 * inp, 15);
            x[at] = bad;
            let quantized = QuantizedRows::new(&x, inp);
            let rows16 = Rows16::new(&x, inp);
            assert!(
                quantized.coarse_scales[0].is_nan() && rows16.scales[0].is_nan(),
                "{bad} at step {at}"
            );
            assert!(
                quantized.coarse_scales[1] > 0.0 && rows16.scales[1] > 0.0,
                "the other row keeps its scale ({bad} at step {at})"
            );
        }
    }
    // The largest magnitude is found in a whole chunk and in the tail alike.
    for at in [3, 12, 19] {
        let mut x = vec![0.25f32; inp];
        x[at] = -2.0;
        let rows16 = Rows16::new(&x, inp);
        assert_eq!(rows16.scales[0], 2.0 / ROWS16_MAX, "largest at step {at}");
    }
}

#[test]
fn gathered_rows_are_the_rows_of_the_matrix() {
    let (out, inp) = (37, 5);
    let w = values(out * inp, 4);
    let packed = PackedMatrix::pack(&w, out, inp);
    let rows = packed.gather_rows(&[0, 36, 17, 16]);
    let expected: Vec<f32> = [0, 36, 17, 16]
        .iter()
        .flat_map(|&r| w[r * inp..(r + 1) * inp].to_vec())
        .collect();
    assert_eq!(rows, expected);
}

#[test]
fn vector_kernels_give_the_portable_kernels_order_and_each_other_bits() {
    // The same sums in the same order: AVX2 and AVX-512 agree to the bit, for every tile shape
    // (rows 1..=13 cover one-row, partial and full tiles of both widths; 40 outputs cover one,
    // two and a partial panel).
    let kernels = kernels();
    for rows in [1, 2, 5, 6, 7, 8, 9, 13] {
        for (out, inp) in [(40, 9), (48, 64), (100, 33)] {
            let w = values(out * inp, 21);
            let x = values(rows * inp, 22);
            let b = values(out, 23);
            let packed = PackedMatrix::pack(&w, out, inp);
            for epilogue in [Epilogue::Bias, Epilogue::BiasSilu] {
                let results: Vec<Vec<f32>> = kernels
                    .iter()
                    .filter(|k| **k != Kernel::Portable)
                    .map(|&kernel| {
                        let mut y = vec![f32::NAN; rows * out];
                        packed.matmul_with(kernel, &x, &b, epilogue, &mut y);
                        y
                    })
                    .collect();
                for other in results.iter().skip(1) {
                    let same = other
                        .iter()
                        .zip(&results[0])
                        .all(|(a, b)| a.to_bits() == b.to_bits());
                    assert!(
                        same,
                        "{rows}×{out}×{inp} {epilogue:?}: the vector kernels differ"
                    );
                }
            }
        }
    }
}

#[test]
fn a_rows_bits_do_not_depend_on_how_many_rows_share_the_product() {
    // Every row count from 2 to 17 (one, two and three tiles on every path, remainders of every
    // size, one panel per tile below TWO_PANEL_ROWS and two from there): each row equals the
    // same row of the 17-row product, to the bit, for f32, bf16 and int8 dot-product weights.
    // Only a product of a single row may sum in another order (its one-row tile).
    let (out, inp) = (40, 33);
    let w = values(out * inp, 31);
    let b = values(out, 32);
    let x = values(17 * inp, 33);
    let packings = [
        ("f32", PackedMatrix::pack(&w, out, inp)),
        ("bf16", PackedMatrix::pack_bf16(&w, out, inp)),
        ("int8 dot", PackedMatrix::pack_int8_dot(&w, out, inp)),
    ];
    for (form, packed) in &packings {
        for kernel in kernels() {
            let mut all = vec![f32::NAN; 17 * out];
            packed.matmul_with(kernel, &x, &b, Epilogue::Bias, &mut all);
            assert!(all.iter().all(|v| v.is_finite()), "{form} {kernel:?}");
            for rows in 2..17 {
                let mut y = vec![f32::NAN; rows * out];
                packed.matmul_with(kernel, &x[..rows * inp], &b, Epilogue::Bias, &mut y);
                let same = y.iter().zip(&all).all(|(a, b)| a.to_bits() == b.to_bits());
                assert!(
                    same,
                    "{form} {kernel:?}: {rows} rows differ from the same rows among 17"
                );
            }
        }
    }
}

#[test]
fn vnni_and_bf16_tiles_take_two_panels_from_two_panel_rows() {
    // The shapes the test above relies on: on AVX-512, VNNI int8 and bf16 products of fewer
    // than TWO_PANEL_ROWS rows read one panel per tile, larger ones two.
    #[cfg(target_arch = "x86_64")]
    {
        let vnni = Kernel::Avx512 {
            int8_dot: true,
            amx: false,
        };
        let (out, inp) = (40, 33);
        let w = values(out * inp, 34);
        let int8 = PackedMatrix::pack_int8_dot(&w, out, inp);
        let bf16 = PackedMatrix::pack_bf16(&w, out, inp);
        for rows in [1, TWO_PANEL_ROWS - 1, TWO_PANEL_ROWS, 64] {
            let panels = if rows < TWO_PANEL_ROWS { 1 } else { 2 };
            let (_, int8_panels) = vnni.tile_shape(&int8.panels, rows);
            let (_, bf16_panels) = vnni.tile_shape(&bf16.panels, rows);
            assert_eq!((int8_panels, bf16_panels), (panels, panels), "{rows} rows");
        }
    }
}

#[test]
fn amx_tiles_give_the_bits_of_vnni_dot_products() {
    #[cfg(target_arch = "x86_64")]
    {
        if crate::cpu::cpu().detected < KernelPath::Amx {
            eprintln!("skipped: this CPU has no AMX");
            return;
        }
        let vnni = Kernel::Avx512 {
            int8_dot: true,
            amx: false,
        };
        let amx = Kernel::Avx512 {
            int8_dot: true,
            amx: true,
        };
        // Inner dimensions of whole 64-step chunks (64, 512), chunks and a remainder (100, 200),
        // and a remainder alone (60); rows in one tile, a full one, and several of mixed heights.
        for (rows, out, inp) in [
            (AMX_MIN_ROWS, 40, 64),
            (16, 33, 100),
            (17, 48, 512),
            (32, 33, 100),
            (40, 20, 60),
            (64, 100, 200),
        ] {
            let (w, x, b) = (
                values(out * inp, 41),
                values(rows * inp, 42),
                values(out, 43),
            );
            let packed = PackedMatrix::pack_int8_dot(&w, out, inp);
            // These products do reach the AMX tiles (otherwise both runs below are VNNI's), one
            // panel per call for a single row tile, two (and a last single one for an odd number
            // of panels: 33 and 100 columns) for more rows.
            let panels = if rows > amx::TILE_ROWS { 2 } else { 1 };
            assert_eq!(
                amx.for_rows(rows).tile_shape(&packed.panels, rows),
                (amx::TILE_ROWS, panels),
                "{rows} rows"
            );
            for epilogue in [Epilogue::Bias, Epilogue::BiasSilu] {
                let run = |kernel: Kernel| {
                    let mut y = vec![f32::NAN; rows * out];
                    packed.matmul_with(kernel, &x, &b, epilogue, &mut y);
                    y
                };
                let (by_vnni, by_amx) = (run(vnni), run(amx));
                assert!(by_vnni.iter().all(|v| v.is_finite()));
                let same = by_vnni
                    .iter()
                    .zip(&by_amx)
                    .all(|(a, b)| a.to_bits() == b.to_bits());
                assert!(same, "{rows}×{out}×{inp} {epilogue:?}: AMX and VNNI differ");
            }
        }
    }
}

#[test]
fn bf16_products_have_the_bits_of_f32_products_of_the_rounded_weights() {
    // On every kernel and tile shape (one-row tiles, partial and full tiles of 6 and 12 rows,
    // one, two and a partial panel, both epilogue kinds), and with the prefetch of many rows:
    // the bf16 kernels widen exactly and multiply-add in the f32 kernels' order.
    let rounded = |w: &[f32]| -> Vec<f32> {
        w.iter()
            .map(|&v| super::bf16::widen(super::bf16::narrow(v)))
            .collect()
    };
    for rows in [1, 2, 5, 6, 7, 12, 13, 64] {
        for (out, inp) in [(40, 9), (48, 64), (100, 33), (600, 512)] {
            if rows == 64 && out < 600 {
                continue;
            }
            let w = values(out * inp, 41);
            let x = values(rows * inp, 42);
            let b = values(out, 43);
            let bf16 = PackedMatrix::pack_bf16(&w, out, inp);
            let f32_rounded = PackedMatrix::pack(&rounded(&w), out, inp);
            assert_ne!(rounded(&w), w, "the rounding changes these weights");
            for kernel in kernels() {
                for epilogue in [Epilogue::Bias, Epilogue::BiasSilu] {
                    let run = |packed: &PackedMatrix| {
                        let mut y = vec![f32::NAN; rows * out];
                        packed.matmul_with(kernel, &x, &b, epilogue, &mut y);
                        y
                    };
                    let (got, want) = (run(&bf16), run(&f32_rounded));
                    let same = got
                        .iter()
                        .zip(&want)
                        .all(|(a, b)| a.to_bits() == b.to_bits());
                    assert!(
                        same,
                        "{kernel:?} {rows}×{out}×{inp} {epilogue:?}: bf16 differs from f32 of the \
                         rounded weights"
                    );
                }
            }
        }
    }
    // Rows read back (embedding lookups of a tied table) are the rounded rows.
    let (out, inp) = (37, 5);
    let w = values(out * inp, 44);
    let packed = PackedMatrix::pack_bf16(&w, out, inp);
    let expected: Vec<f32> = [0, 36, 17]
        .iter()
        .flat_map(|&r| rounded(&w[r * inp..(r + 1) * inp]))
        .collect();
    assert_eq!(packed.gather_rows(&[0, 36, 17]), expected);
}

#[test]
fn activations_quantized_together_in_parallel_match_each_row_alone() {
    let (rows, inp) = (64, 512);
    assert!(
        rows * inp >= super::int8::PARALLEL_QUANTIZE_MIN
            && inp < super::int8::PARALLEL_QUANTIZE_MIN
    );
    let mut x = values(rows * inp, 21);
    x[5 * inp + 3] = f32::NAN;
    x[9 * inp..10 * inp].fill(0.0);
    let together = QuantizedRows::new(&x, inp);
    let pairs = Rows16::new(&x, inp);
    for (i, row) in x.chunks(inp).enumerate() {
        let alone = QuantizedRows::new(row, inp);
        let span = i * together.stride..(i + 1) * together.stride;
        assert_eq!(together.coarse[span.clone()], alone.coarse[..], "row {i}");
        assert_eq!(together.fine[span], alone.fine[..], "row {i}");
        assert_eq!(
            together.coarse_scales[i].to_bits(),
            alone.coarse_scales[0].to_bits()
        );
        assert_eq!(
            together.fine_scales[i].to_bits(),
            alone.fine_scales[0].to_bits()
        );
        let alone = Rows16::new(row, inp);
        let span = i * pairs.stride..(i + 1) * pairs.stride;
        assert_eq!(pairs.values[span], alone.values[..], "row {i}");
        assert_eq!(pairs.scales[i].to_bits(), alone.scales[0].to_bits());
    }
}
