//! Dense layers on CPU with the weights packed once, at load, for a register-blocked kernel.
//!
//! Every matrix product of a decoder step is `x · Wᵀ (+ b)`: a few activation rows (1 to 64:
//! sentences × beams) against a weight matrix `W` of `out × in` (up to 59514 × 512 for the output
//! projection). Such products are dominated by reading `W`, and a general-purpose GEMM repacks
//! `W` into its own panel layout on every call. Here `W` is stored in that layout from the start:
//! panels of [`PANEL`] consecutive output columns, each panel `in × PANEL` contiguous, so that the
//! kernel streams the weights once per call from start to end and keeps a tile of
//! `rows × PANEL` outputs in registers while it walks the inner dimension.
//!
//! Rules:
//! * The packed matrix replaces the checkpoint tensor (no second copy): an embedding row is read
//!   back from the panels ([`PackedMatrix::gather_rows`]), so a tied output projection still
//!   shares its memory with the token embeddings.
//! * Bias and activation are applied to the tile while it is in registers (no extra pass over the
//!   output, no temporary tensor).
//! * The arithmetic is plain f32 multiply-adds along the inner dimension, in order, per output:
//!   results differ from other f32 GEMMs only by rounding (they sum in another order).
//! * x86-64 with AVX2 and FMA uses the vector kernel (checked once at run time); every other CPU
//!   uses a portable loop with the same layout (`PASSEUR_KERNEL=portable` forces it, to test).
//! * 8-bit weights (the opt-in int8 path) keep one f32 scale per output. Where the CPU has
//!   AVX-512 VNNI, the activations are quantized too, in two 8-bit levels, and multiplied in
//!   integer dot products; with AVX2 alone, activations are quantized to 13 bits and multiplied
//!   in 16-bit multiply-adds (`vpmaddwd`); elsewhere the weights are widened to f32.
//! * Work is split across rayon's threads by panels of output columns; products too small to pay
//!   for a thread hand-off run on the calling thread.

use rayon::prelude::*;

/// Output columns per panel: two 8-lane vectors.
pub(crate) const PANEL: usize = 16;

/// Activation rows per register tile (6 rows × 2 vectors = 12 accumulators of the 16 registers).
const TILE_ROWS: usize = 6;

/// Multiply-adds below which a product runs on the calling thread.
const PARALLEL_MIN_WORK: usize = 1 << 18;

/// The activation applied to a layer's output in the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Epilogue {
    /// `x·Wᵀ + b`.
    Bias,
    /// `silu(x·Wᵀ + b)`.
    BiasSilu,
    /// `relu(x·Wᵀ + b)`.
    BiasRelu,
}

/// One panel row: `PANEL` weights, one cache line.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(64))]
struct PanelRow([f32; PANEL]);

/// One panel row of 8-bit weights.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(16))]
struct PanelRowInt8([i8; PANEL]);

/// Four inner-dimension steps of one panel, for integer dot products: `[column][step]`, so that
/// each 32-bit lane holds one column's four consecutive weights.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(64))]
struct PanelQuad([i8; 4 * PANEL]);

/// Two inner-dimension steps of one panel, for 16-bit multiply-adds: `[column][step]`, so that
/// each 32-bit lane, once widened to 16 bits, holds one column's two consecutive weights.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(32))]
struct PanelPair([i8; 2 * PANEL]);

/// The weights of a packed matrix: `ceil(out / PANEL)` panels of `inp` rows of `PANEL` weights;
/// padding columns are zero.
#[derive(Debug)]
enum Panels {
    F32(Vec<PanelRow>),
    /// `W[j][k] ≈ scales[j] · q[j][k]`, `q` in −127..=127; the arithmetic in f32.
    Int8 {
        panels: Vec<PanelRowInt8>,
        scales: Vec<f32>,
    },
    /// The same 8-bit weights in groups of four steps (`ceil(inp / 4)` per panel, zero-padded),
    /// multiplied with 8-bit activations in integer dot products (AVX-512 VNNI);
    /// `offsets[j] = 128 · Σₖ q[j][k]` undoes the +128 that makes activations unsigned.
    Int8Dot {
        quads: Vec<PanelQuad>,
        scales: Vec<f32>,
        offsets: Vec<i32>,
    },
    /// The same 8-bit weights in pairs of steps (`ceil(inp / 2)` per panel, zero-padded),
    /// multiplied with 13-bit activations in 16-bit multiply-adds (AVX2).
    Int8Pairs {
        pairs: Vec<PanelPair>,
        scales: Vec<f32>,
    },
}

/// A weight matrix `W` (`out × in`, as checkpoints store it) packed for `x · Wᵀ`.
#[derive(Debug)]
pub(crate) struct PackedMatrix {
    /// Output columns (rows of `W`).
    out: usize,
    /// Inner dimension (columns of `W`).
    inp: usize,
    panels: Panels,
}

impl PackedMatrix {
    /// Packs `weights`, row-major `out × inp`.
    pub(crate) fn pack(weights: &[f32], out: usize, inp: usize) -> Self {
        assert_eq!(weights.len(), out * inp, "weights must be out × inp");
        let panel_count = out.div_ceil(PANEL);
        let mut panels = vec![PanelRow([0.0; PANEL]); panel_count * inp];
        // Panels are independent: packing the model's 75 M weights is shared among the threads.
        panels
            .par_chunks_mut(inp)
            .enumerate()
            .for_each(|(p, panel)| {
                for j in 0..PANEL.min(out - p * PANEL) {
                    let row = &weights[(p * PANEL + j) * inp..][..inp];
                    for (slot, &w) in panel.iter_mut().zip(row) {
                        slot.0[j] = w;
                    }
                }
            });
        Self {
            out,
            inp,
            panels: Panels::F32(panels),
        }
    }

    /// Packs `weights` (row-major `out × inp`) as 8-bit integers with one scale per output
    /// (symmetric: the largest magnitude of each row maps to 127). Where the CPU has integer
    /// dot products (AVX-512 VNNI), activations are quantized too, row by row, at each product,
    /// in two 8-bit levels; with AVX2 alone, to 13 bits for 16-bit multiply-adds (inner
    /// dimensions up to [`MAX_PAIRS_INP`]); elsewhere the weights are widened to f32.
    pub(crate) fn pack_int8(weights: &[f32], out: usize, inp: usize) -> Self {
        let cpu = Cpu::get();
        if cpu.int8_dot {
            Self::pack_int8_dot(weights, out, inp)
        } else if cpu.avx2 && inp <= MAX_PAIRS_INP {
            Self::pack_int8_pairs(weights, out, inp)
        } else {
            Self::pack_int8_widened(weights, out, inp)
        }
    }

    /// One scale per row of `weights`: its largest magnitude over 127.
    fn int8_scales(weights: &[f32], inp: usize) -> Vec<f32> {
        weights
            .par_chunks(inp)
            .map(|row| row.iter().fold(0f32, |m, w| m.max(w.abs())) / 127.0)
            .collect()
    }

    fn quantize(w: f32, scale: f32) -> i8 {
        // 1.5 · 2^23: adding and subtracting it rounds |v| < 2^22 to the nearest integer (ties
        // to even) in plain arithmetic, without a libm call per weight.
        const ROUND: f32 = 12_582_912.0;
        if scale > 0.0 {
            let v = (w / scale).clamp(-127.0, 127.0);
            ((v + ROUND) - ROUND) as i8
        } else {
            0
        }
    }

    /// Quantizes `weights` (row-major `out × inp`) row by row and lays the 8-bit values out in
    /// panels of `per_panel` blocks each, starting from `empty` blocks (zero padding):
    /// `place(panel, j, k, q)` stores the weight of column `j` of the panel at step `k`. Returns
    /// the blocks and the scale of each row.
    fn pack_int8_blocks<B: Copy + Send + Sync>(
        weights: &[f32],
        out: usize,
        inp: usize,
        per_panel: usize,
        empty: B,
        place: impl Fn(&mut [B], usize, usize, i8) + Sync,
    ) -> (Vec<B>, Vec<f32>) {
        assert_eq!(weights.len(), out * inp, "weights must be out × inp");
        let scales = Self::int8_scales(weights, inp);
        let mut blocks = vec![empty; out.div_ceil(PANEL) * per_panel];
        blocks
            .par_chunks_mut(per_panel)
            .enumerate()
            .for_each(|(p, panel)| {
                for j in 0..PANEL.min(out - p * PANEL) {
                    let column = p * PANEL + j;
                    let row = &weights[column * inp..][..inp];
                    for (k, &w) in row.iter().enumerate() {
                        place(panel, j, k, Self::quantize(w, scales[column]));
                    }
                }
            });
        (blocks, scales)
    }

    /// [`Self::pack_int8`] for integer dot products.
    fn pack_int8_dot(weights: &[f32], out: usize, inp: usize) -> Self {
        let empty = PanelQuad([0; 4 * PANEL]);
        let (quads, scales) = Self::pack_int8_blocks(
            weights,
            out,
            inp,
            inp.div_ceil(4),
            empty,
            |panel, j, k, q| panel[k / 4].0[j * 4 + k % 4] = q,
        );
        let offsets = weights
            .par_chunks(inp)
            .zip(&scales)
            .map(|(row, &scale)| {
                row.iter()
                    .map(|&w| 128 * Self::quantize(w, scale) as i32)
                    .sum()
            })
            .collect();
        Self {
            out,
            inp,
            panels: Panels::Int8Dot {
                quads,
                scales,
                offsets,
            },
        }
    }

    /// [`Self::pack_int8`] for 16-bit multiply-adds.
    fn pack_int8_pairs(weights: &[f32], out: usize, inp: usize) -> Self {
        let empty = PanelPair([0; 2 * PANEL]);
        let (pairs, scales) = Self::pack_int8_blocks(
            weights,
            out,
            inp,
            inp.div_ceil(2),
            empty,
            |panel, j, k, q| panel[k / 2].0[j * 2 + k % 2] = q,
        );
        Self {
            out,
            inp,
            panels: Panels::Int8Pairs { pairs, scales },
        }
    }

    /// [`Self::pack_int8`] for widening to f32.
    fn pack_int8_widened(weights: &[f32], out: usize, inp: usize) -> Self {
        let empty = PanelRowInt8([0; PANEL]);
        let (panels, scales) =
            Self::pack_int8_blocks(weights, out, inp, inp, empty, |panel, j, k, q| {
                panel[k].0[j] = q
            });
        Self {
            out,
            inp,
            panels: Panels::Int8 { panels, scales },
        }
    }

    /// Output columns (rows of `W`).
    pub(crate) fn out_dim(&self) -> usize {
        self.out
    }

    /// Inner dimension (columns of `W`).
    pub(crate) fn in_dim(&self) -> usize {
        self.inp
    }

    /// Row `r` of `W` (dequantized for int8), appended to `into` (an embedding lookup when `W`
    /// is an embedding matrix).
    pub(crate) fn row_into(&self, r: usize, into: &mut Vec<f32>) {
        let start = (r / PANEL) * self.inp;
        match &self.panels {
            Panels::F32(panels) => into.extend(
                panels[start..][..self.inp]
                    .iter()
                    .map(|row| row.0[r % PANEL]),
            ),
            Panels::Int8 { panels, scales } => into.extend(
                panels[start..][..self.inp]
                    .iter()
                    .map(|row| row.0[r % PANEL] as f32 * scales[r]),
            ),
            Panels::Int8Dot { quads, scales, .. } => {
                let quads = &quads[(r / PANEL) * self.inp.div_ceil(4)..];
                into.extend(
                    (0..self.inp)
                        .map(|k| quads[k / 4].0[(r % PANEL) * 4 + k % 4] as f32 * scales[r]),
                )
            }
            Panels::Int8Pairs { pairs, scales } => {
                let pairs = &pairs[(r / PANEL) * self.inp.div_ceil(2)..];
                into.extend(
                    (0..self.inp)
                        .map(|k| pairs[k / 2].0[(r % PANEL) * 2 + k % 2] as f32 * scales[r]),
                )
            }
        }
    }

    /// Rows `ids` of `W`, one after the other.
    pub(crate) fn gather_rows(&self, ids: &[u32]) -> Vec<f32> {
        let mut out = Vec::with_capacity(ids.len() * self.inp);
        for &id in ids {
            self.row_into(id as usize, &mut out);
        }
        out
    }

    /// `y = epilogue(x · Wᵀ + bias)` for `x` of `rows × inp` (row-major), into `y` of
    /// `rows × out`. `bias` has `out` values.
    pub(crate) fn matmul_into(&self, x: &[f32], bias: &[f32], epilogue: Epilogue, y: &mut [f32]) {
        self.matmul_with(Kernel::detect(), x, bias, epilogue, y)
    }

    /// [`Self::matmul_into`] with the given kernels.
    fn matmul_with(
        &self,
        kernel: Kernel,
        x: &[f32],
        bias: &[f32],
        epilogue: Epilogue,
        y: &mut [f32],
    ) {
        let rows = x.len() / self.inp;
        assert_eq!(x.len(), rows * self.inp, "x must be rows × in");
        assert_eq!(y.len(), rows * self.out, "y must be rows × out");
        assert_eq!(bias.len(), self.out, "one bias per output");
        if rows == 0 {
            return;
        }
        let panel_count = self.out.div_ceil(PANEL);
        let quantized = match &self.panels {
            Panels::Int8Dot { .. } => Some(QuantizedRows::new(x, self.inp)),
            _ => None,
        };
        let rows16 = match &self.panels {
            Panels::Int8Pairs { .. } => Some(Rows16::new(x, self.inp)),
            _ => None,
        };
        let output = OutPtr(y.as_mut_ptr());
        let job = |panels: std::ops::Range<usize>| {
            // Each job writes only the columns of its own panels.
            let output = &output;
            // Several tiles per panel: fetch the next panel while this one is computed (a single
            // tile streams the weights in order, which the hardware prefetcher handles alone).
            let prefetch = rows > TILE_ROWS;
            for p in panels {
                let next_panel = (p + 1) % panel_count;
                let first = p * PANEL;
                let cols = PANEL.min(self.out - first);
                let mut bias_panel = [0f32; PANEL];
                bias_panel[..cols].copy_from_slice(&bias[first..first + cols]);
                let mut scale_panel = [0f32; PANEL];
                let mut offset_panel = [0i32; PANEL];
                let (weights, next) = match &self.panels {
                    Panels::F32(all) => (
                        Weights::F32(&all[p * self.inp..][..self.inp]),
                        all[next_panel * self.inp..].as_ptr() as *const u8,
                    ),
                    Panels::Int8 {
                        panels: all,
                        scales,
                    } => {
                        scale_panel[..cols].copy_from_slice(&scales[first..first + cols]);
                        (
                            Weights::Int8(&all[p * self.inp..][..self.inp], &scale_panel),
                            all[next_panel * self.inp..].as_ptr() as *const u8,
                        )
                    }
                    Panels::Int8Dot {
                        quads,
                        scales,
                        offsets,
                    } => {
                        let per_panel = self.inp.div_ceil(4);
                        scale_panel[..cols].copy_from_slice(&scales[first..first + cols]);
                        offset_panel[..cols].copy_from_slice(&offsets[first..first + cols]);
                        (
                            Weights::Int8Dot(
                                &quads[p * per_panel..][..per_panel],
                                &scale_panel,
                                &offset_panel,
                            ),
                            quads[next_panel * per_panel..].as_ptr() as *const u8,
                        )
                    }
                    Panels::Int8Pairs { pairs, scales } => {
                        let per_panel = self.inp.div_ceil(2);
                        scale_panel[..cols].copy_from_slice(&scales[first..first + cols]);
                        (
                            Weights::Int8Pairs(&pairs[p * per_panel..][..per_panel], &scale_panel),
                            pairs[next_panel * per_panel..].as_ptr() as *const u8,
                        )
                    }
                };
                let next = if prefetch { next } else { std::ptr::null() };
                for r0 in (0..rows).step_by(TILE_ROWS) {
                    let tile_rows = TILE_ROWS.min(rows - r0);
                    let mut tile = Tile {
                        a: &x[r0 * self.inp..(r0 + tile_rows) * self.inp],
                        quantized: quantized.as_ref().map(|q| q.rows(r0, tile_rows)),
                        rows16: rows16.as_ref().map(|q| q.rows(r0, tile_rows)),
                        inp: self.inp,
                        weights,
                        next,
                        bias: &bias_panel,
                        epilogue,
                        // SAFETY: row r0, column `first` is inside `y`.
                        out: unsafe { output.0.add(r0 * self.out + first) },
                        out_stride: self.out,
                    };
                    if cols == PANEL {
                        // SAFETY: rows r0.., columns first..first+PANEL are inside `y` and belong
                        // to this panel only; no other job writes them.
                        unsafe { kernel.tile(&tile) };
                    } else {
                        let mut partial = [0f32; TILE_ROWS * PANEL];
                        tile.out = partial.as_mut_ptr();
                        tile.out_stride = PANEL;
                        // SAFETY: `partial` holds TILE_ROWS × PANEL values.
                        unsafe { kernel.tile(&tile) };
                        for i in 0..tile_rows {
                            // SAFETY: as above, for the `cols` columns that exist.
                            unsafe {
                                let dst = output.0.add((r0 + i) * self.out + first);
                                std::ptr::copy_nonoverlapping(
                                    partial[i * PANEL..].as_ptr(),
                                    dst,
                                    cols,
                                );
                            }
                        }
                    }
                }
            }
        };
        let work = rows * self.out * self.inp;
        let threads = rayon::current_num_threads();
        if work < PARALLEL_MIN_WORK || threads == 1 || panel_count == 1 {
            job(0..panel_count);
        } else {
            // A few chunks per thread balance uneven progress without many hand-offs.
            let chunks = (threads * 4).min(panel_count);
            let per_chunk = panel_count.div_ceil(chunks);
            (0..panel_count.div_ceil(per_chunk))
                .into_par_iter()
                .for_each(|c| job(c * per_chunk..((c + 1) * per_chunk).min(panel_count)));
        }
    }
}

/// The output pointer, shared by jobs that write disjoint columns.
struct OutPtr(*mut f32);
// SAFETY: jobs write disjoint elements (see `matmul_into`).
unsafe impl Sync for OutPtr {}
unsafe impl Send for OutPtr {}

/// What this CPU offers the kernels, detected once. The environment variable `PASSEUR_KERNEL`
/// can take features away, to run the paths of other CPUs on this one (tests, measurements):
/// `portable` turns every vector kernel off, `avx2` keeps AVX2/FMA but not the AVX-512 VNNI
/// integer dot products (the int8 path of CPUs such as AMD Zen 3).
#[derive(Debug, Clone, Copy)]
struct Cpu {
    /// AVX2 and FMA.
    avx2: bool,
    /// AVX-512 with VNNI integer dot products (and AVX2).
    int8_dot: bool,
}

impl Cpu {
    fn get() -> Cpu {
        static DETECTED: std::sync::OnceLock<Cpu> = std::sync::OnceLock::new();
        *DETECTED.get_or_init(|| {
            let limit = std::env::var("PASSEUR_KERNEL").unwrap_or_default();
            let portable = limit == "portable";
            #[cfg(target_arch = "x86_64")]
            {
                let avx2 = !portable
                    && is_x86_feature_detected!("avx2")
                    && is_x86_feature_detected!("fma");
                let int8_dot = avx2
                    && limit != "avx2"
                    && is_x86_feature_detected!("avx512f")
                    && is_x86_feature_detected!("avx512bw")
                    && is_x86_feature_detected!("avx512vnni");
                Cpu { avx2, int8_dot }
            }
            #[cfg(not(target_arch = "x86_64"))]
            {
                let _ = portable;
                Cpu {
                    avx2: false,
                    int8_dot: false,
                }
            }
        })
    }
}

/// Which tile kernels this CPU runs.
#[derive(Debug, Clone, Copy)]
enum Kernel {
    #[cfg(target_arch = "x86_64")]
    Avx2Fma {
        /// Integer dot products for [`Weights::Int8Dot`].
        int8_dot: bool,
    },
    Portable,
}

impl Kernel {
    fn detect() -> Self {
        let cpu = Cpu::get();
        #[cfg(target_arch = "x86_64")]
        if cpu.avx2 {
            return Kernel::Avx2Fma {
                int8_dot: cpu.int8_dot,
            };
        }
        let _ = cpu;
        Kernel::Portable
    }

    /// Computes one tile.
    ///
    /// # Safety
    /// `tile.out` must be valid for writing `rows × PANEL` values at stride `tile.out_stride`,
    /// and `tile.next`, when not null, must point into the packed matrix.
    unsafe fn tile(self, tile: &Tile) {
        let rows = tile.a.len() / tile.inp;
        match self {
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2Fma { int8_dot } => match (tile.weights, rows) {
                (Weights::Int8Dot(..), _) if !int8_dot => portable_tile(tile, rows),
                (Weights::Int8Dot(w, s, o), 1) => avx512::tile_int8_dot::<1>(tile, w, s, o),
                (Weights::Int8Dot(w, s, o), 2) => avx512::tile_int8_dot::<2>(tile, w, s, o),
                (Weights::Int8Dot(w, s, o), 3) => avx512::tile_int8_dot::<3>(tile, w, s, o),
                (Weights::Int8Dot(w, s, o), 4) => avx512::tile_int8_dot::<4>(tile, w, s, o),
                (Weights::Int8Dot(w, s, o), 5) => avx512::tile_int8_dot::<5>(tile, w, s, o),
                (Weights::Int8Dot(w, s, o), _) => avx512::tile_int8_dot::<6>(tile, w, s, o),
                (Weights::F32(w), 1) => avx2::tile_one_row(tile, w),
                (Weights::F32(w), 2) => avx2::tile::<2>(tile, w),
                (Weights::F32(w), 3) => avx2::tile::<3>(tile, w),
                (Weights::F32(w), 4) => avx2::tile::<4>(tile, w),
                (Weights::F32(w), 5) => avx2::tile::<5>(tile, w),
                (Weights::F32(w), _) => avx2::tile::<6>(tile, w),
                (Weights::Int8(w, s), 1) => avx2::tile_int8::<1, 4>(tile, w, s),
                (Weights::Int8(w, s), 2) => avx2::tile_int8::<2, 2>(tile, w, s),
                (Weights::Int8(w, s), 3) => avx2::tile_int8::<3, 1>(tile, w, s),
                (Weights::Int8(w, s), 4) => avx2::tile_int8::<4, 1>(tile, w, s),
                (Weights::Int8(w, s), 5) => avx2::tile_int8::<5, 1>(tile, w, s),
                (Weights::Int8(w, s), _) => avx2::tile_int8::<6, 1>(tile, w, s),
                (Weights::Int8Pairs(w, s), 1) => avx2::tile_int8_pairs::<1>(tile, w, s),
                (Weights::Int8Pairs(w, s), 2) => avx2::tile_int8_pairs::<2>(tile, w, s),
                (Weights::Int8Pairs(w, s), 3) => avx2::tile_int8_pairs::<3>(tile, w, s),
                (Weights::Int8Pairs(w, s), 4) => avx2::tile_int8_pairs::<4>(tile, w, s),
                (Weights::Int8Pairs(w, s), 5) => avx2::tile_int8_pairs::<5>(tile, w, s),
                (Weights::Int8Pairs(w, s), _) => avx2::tile_int8_pairs::<6>(tile, w, s),
            },
            Kernel::Portable => portable_tile(tile, rows),
        }
    }
}

/// A panel's weights.
#[derive(Clone, Copy)]
enum Weights<'a> {
    F32(&'a [PanelRow]),
    /// 8-bit weights and the scale of each column.
    Int8(&'a [PanelRowInt8], &'a [f32; PANEL]),
    /// 8-bit weights in groups of four steps, the scale and the offset of each column.
    Int8Dot(&'a [PanelQuad], &'a [f32; PANEL], &'a [i32; PANEL]),
    /// 8-bit weights in pairs of steps and the scale of each column.
    Int8Pairs(&'a [PanelPair], &'a [f32; PANEL]),
}

/// Activation rows quantized for integer dot products, in two levels: a coarse one, and a fine
/// one for what the coarse one leaves out, so that
/// `x[i][k] ≈ coarse_scale[i] · (coarse[i][k] − 128) + fine_scale[i] · (fine[i][k] − 128)`.
///
/// One level (8 bits per row, scaled to the row's largest magnitude) moved too many of the
/// fixture's greedy tokens (86 % agreement with f32); the second level makes the activations
/// about 15-bit precise for a second dot product per step, still half the cost of f32
/// multiply-adds. Rows are padded with 128 (zero) to a multiple of four steps.
struct QuantizedRows {
    coarse: Vec<u8>,
    fine: Vec<u8>,
    stride: usize,
    coarse_scales: Vec<f32>,
    fine_scales: Vec<f32>,
}

/// Runs `build` compiled for AVX2 where the CPU has it, so that the loops it inlines vectorize.
#[inline(always)]
fn with_avx2<T>(build: impl FnOnce() -> T) -> T {
    #[cfg(target_arch = "x86_64")]
    if Cpu::get().avx2 {
        #[target_feature(enable = "avx2,fma")]
        unsafe fn compiled_for_avx2<T>(build: impl FnOnce() -> T) -> T {
            build()
        }
        // SAFETY: the CPU has AVX2 and FMA.
        return unsafe { compiled_for_avx2(build) };
    }
    build()
}

/// The largest magnitude in `row`, or `None` if it holds a NaN or an infinity (eight lanes, so
/// that the loop vectorizes).
#[inline(always)]
fn finite_max_abs(row: &[f32]) -> Option<f32> {
    let mut lanes = [0f32; 8];
    let mut nan = false;
    for chunk in row.chunks(8) {
        for (l, &v) in lanes.iter_mut().zip(chunk) {
            *l = l.max(v.abs());
            nan |= v.is_nan();
        }
    }
    let max = lanes.iter().fold(0f32, |m, &v| m.max(v));
    (!nan && max.is_finite()).then_some(max)
}

/// Quantizes `row` into `out` (symmetric: the largest magnitude maps to 127, then +128) and
/// returns the scale; NaN or infinity gives a NaN scale, which keeps them visible in the output.
#[inline(always)]
fn quantize_row(row: &[f32], out: &mut [u8]) -> f32 {
    let Some(max) = finite_max_abs(row) else {
        return f32::NAN;
    };
    if max == 0.0 {
        return 0.0;
    }
    let inverse = 127.0 / max;
    for (o, &v) in out.iter_mut().zip(row) {
        // In [1.5, 255.5] before truncation: rounds to the nearest step.
        let shifted = (v * inverse + 128.5).clamp(0.0, 255.0);
        // SAFETY: finite (checked above) and within 0..=255 (clamped).
        *o = unsafe { shifted.to_int_unchecked::<i32>() } as u8;
    }
    max / 127.0
}

impl QuantizedRows {
    fn new(x: &[f32], inp: usize) -> Self {
        with_avx2(|| Self::build(x, inp))
    }

    #[inline(always)]
    fn build(x: &[f32], inp: usize) -> Self {
        let stride = inp.div_ceil(4) * 4;
        let rows = x.len() / inp;
        let mut coarse = vec![128u8; rows * stride];
        let mut fine = vec![128u8; rows * stride];
        let mut coarse_scales = vec![0f32; rows];
        let mut fine_scales = vec![0f32; rows];
        let mut residual = vec![0f32; inp];
        for (i, row) in x.chunks(inp).enumerate() {
            let c = &mut coarse[i * stride..(i + 1) * stride];
            let scale = quantize_row(row, c);
            coarse_scales[i] = scale;
            if !scale.is_finite() || scale == 0.0 {
                continue;
            }
            for ((r, &v), &q) in residual.iter_mut().zip(row).zip(c.iter()) {
                *r = v - scale * (q as f32 - 128.0);
            }
            fine_scales[i] = quantize_row(&residual, &mut fine[i * stride..(i + 1) * stride]);
        }
        Self {
            coarse,
            fine,
            stride,
            coarse_scales,
            fine_scales,
        }
    }

    fn rows(&self, first: usize, count: usize) -> QuantizedTile<'_> {
        let values = first * self.stride..(first + count) * self.stride;
        QuantizedTile {
            coarse: &self.coarse[values.clone()],
            fine: &self.fine[values],
            stride: self.stride,
            coarse_scales: &self.coarse_scales[first..first + count],
            fine_scales: &self.fine_scales[first..first + count],
        }
    }
}

/// Largest inner dimension for [`Panels::Int8Pairs`]: with activations within ±4095 and weights
/// within ±127, a sum of up to 4096 products stays inside `i32` (4096 · 4095 · 127 < 2³¹).
const MAX_PAIRS_INP: usize = 4096;

/// Largest magnitude of a 13-bit activation.
const ROWS16_MAX: f32 = 4095.0;

/// Activation rows quantized for 16-bit multiply-adds: `x[i][k] ≈ scales[i] · values[i][k]`, the
/// row's largest magnitude mapped to ±4095 (13 bits: 32 times finer than one 8-bit level, and
/// small enough that the `i32` sums cannot overflow, see [`MAX_PAIRS_INP`]). Rows are padded
/// with zeros to an even length.
struct Rows16 {
    values: Vec<i16>,
    stride: usize,
    scales: Vec<f32>,
}

impl Rows16 {
    fn new(x: &[f32], inp: usize) -> Self {
        with_avx2(|| Self::build(x, inp))
    }

    #[inline(always)]
    fn build(x: &[f32], inp: usize) -> Self {
        // 1.5 · 2^23: adding and subtracting it rounds to the nearest integer (ties to even).
        const ROUND: f32 = 12_582_912.0;
        let stride = inp.div_ceil(2) * 2;
        let rows = x.len() / inp;
        let mut values = vec![0i16; rows * stride];
        let mut scales = vec![0f32; rows];
        for (i, row) in x.chunks(inp).enumerate() {
            let Some(max) = finite_max_abs(row) else {
                // NaN or infinity: a NaN scale keeps them visible in the output.
                scales[i] = f32::NAN;
                continue;
            };
            if max == 0.0 {
                continue;
            }
            let inverse = ROWS16_MAX / max;
            for (q, &v) in values[i * stride..].iter_mut().zip(row) {
                let scaled = (v * inverse).clamp(-ROWS16_MAX, ROWS16_MAX);
                *q = ((scaled + ROUND) - ROUND) as i16;
            }
            scales[i] = max / ROWS16_MAX;
        }
        Self {
            values,
            stride,
            scales,
        }
    }

    fn rows(&self, first: usize, count: usize) -> Rows16Tile<'_> {
        Rows16Tile {
            values: &self.values[first * self.stride..(first + count) * self.stride],
            stride: self.stride,
            scales: &self.scales[first..first + count],
        }
    }
}

/// The 13-bit rows of one tile.
#[derive(Clone, Copy)]
struct Rows16Tile<'a> {
    values: &'a [i16],
    stride: usize,
    scales: &'a [f32],
}

/// The quantized rows of one tile.
#[derive(Clone, Copy)]
struct QuantizedTile<'a> {
    coarse: &'a [u8],
    fine: &'a [u8],
    stride: usize,
    coarse_scales: &'a [f32],
    fine_scales: &'a [f32],
}

/// One register tile's work: 1..=TILE_ROWS activation rows against one panel.
struct Tile<'a> {
    /// The rows, `inp` values each.
    a: &'a [f32],
    /// The same rows quantized, for [`Weights::Int8Dot`].
    quantized: Option<QuantizedTile<'a>>,
    /// The same rows in 13 bits, for [`Weights::Int8Pairs`].
    rows16: Option<Rows16Tile<'a>>,
    inp: usize,
    /// The panel: `inp` rows of `PANEL` weights.
    weights: Weights<'a>,
    /// The panel to fetch into cache meanwhile, or null.
    next: *const u8,
    bias: &'a [f32; PANEL],
    epilogue: Epilogue,
    /// Where output row 0, column 0 of the tile goes.
    out: *mut f32,
    /// Elements between output rows.
    out_stride: usize,
}

/// # Safety
/// As [`Kernel::tile`].
unsafe fn portable_tile(tile: &Tile, rows: usize) {
    let inp = tile.inp;
    for i in 0..rows {
        let mut acc = [0f32; PANEL];
        let a = &tile.a[i * inp..(i + 1) * inp];
        match tile.weights {
            Weights::F32(weights) => {
                for (&x, w) in a.iter().zip(weights) {
                    for (acc, &w) in acc.iter_mut().zip(&w.0) {
                        *acc = x.mul_add(w, *acc);
                    }
                }
            }
            Weights::Int8(weights, scales) => {
                for (&x, w) in a.iter().zip(weights) {
                    for (acc, &w) in acc.iter_mut().zip(&w.0) {
                        *acc = x.mul_add(w as f32, *acc);
                    }
                }
                for (acc, scale) in acc.iter_mut().zip(scales) {
                    *acc *= scale;
                }
            }
            Weights::Int8Dot(quads, scales, offsets) => {
                let q = tile
                    .quantized
                    .expect("int8 dot weights come with quantized rows");
                let dot = |values: &[u8]| {
                    let row = &values[i * q.stride..(i + 1) * q.stride];
                    let mut sums = [0i32; PANEL];
                    for (group, quad) in row.chunks(4).zip(quads) {
                        for (j, sum) in sums.iter_mut().enumerate() {
                            for (t, &a) in group.iter().enumerate() {
                                *sum += a as i32 * quad.0[j * 4 + t] as i32;
                            }
                        }
                    }
                    sums
                };
                let (coarse, fine) = (dot(q.coarse), dot(q.fine));
                for (j, a) in acc.iter_mut().enumerate() {
                    let coarse = (coarse[j] - offsets[j]) as f32 * q.coarse_scales[i];
                    let fine = (fine[j] - offsets[j]) as f32 * q.fine_scales[i];
                    *a = (coarse + fine) * scales[j];
                }
            }
            Weights::Int8Pairs(pairs, scales) => {
                let q = tile
                    .rows16
                    .expect("int8 pair weights come with 13-bit rows");
                let row = &q.values[i * q.stride..(i + 1) * q.stride];
                let mut sums = [0i32; PANEL];
                for (two, pair) in row.chunks(2).zip(pairs) {
                    for (j, sum) in sums.iter_mut().enumerate() {
                        *sum += two[0] as i32 * pair.0[j * 2] as i32
                            + two[1] as i32 * pair.0[j * 2 + 1] as i32;
                    }
                }
                for (j, a) in acc.iter_mut().enumerate() {
                    *a = sums[j] as f32 * q.scales[i] * scales[j];
                }
            }
        }
        for (j, value) in acc.iter().enumerate() {
            *tile.out.add(i * tile.out_stride + j) = activate(value + tile.bias[j], tile.epilogue);
        }
    }
}

/// The epilogue on one value (the portable kernel's, and the reference for the vector one).
pub(crate) fn activate(value: f32, epilogue: Epilogue) -> f32 {
    match epilogue {
        Epilogue::Bias => value,
        Epilogue::BiasSilu => value / (1.0 + (-value).exp()),
        Epilogue::BiasRelu => value.max(0.0),
    }
}

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx2 {
    //! The AVX2 + FMA kernels (and a vector `exp`, shared with the logits code).

    use super::{Epilogue, PanelPair, PanelRow, PanelRowInt8, Tile, PANEL};
    use std::arch::x86_64::*;

    /// `ROWS × PANEL` outputs held in `2·ROWS` registers while the inner dimension is walked.
    ///
    /// # Safety
    /// The CPU has AVX2 and FMA; `tile` satisfies [`super::Kernel::tile`]'s contract.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn tile<const ROWS: usize>(tile: &Tile, weights: &[PanelRow]) {
        let inp = tile.inp;
        debug_assert!(tile.a.len() >= ROWS * inp && weights.len() >= inp);
        let mut lo = [_mm256_setzero_ps(); ROWS];
        let mut hi = [_mm256_setzero_ps(); ROWS];
        let a = tile.a.as_ptr();
        let w = weights.as_ptr() as *const f32;
        // The loop is written twice so that the prefetch choice stays out of the hot loop.
        if tile.next.is_null() {
            for k in 0..inp {
                let w_lo = _mm256_load_ps(w.add(k * PANEL));
                let w_hi = _mm256_load_ps(w.add(k * PANEL + 8));
                for i in 0..ROWS {
                    let x = _mm256_broadcast_ss(&*a.add(i * inp + k));
                    lo[i] = _mm256_fmadd_ps(x, w_lo, lo[i]);
                    hi[i] = _mm256_fmadd_ps(x, w_hi, hi[i]);
                }
            }
        } else {
            for k in 0..inp {
                _mm_prefetch::<_MM_HINT_T0>(tile.next.add(k * PANEL * 4) as *const i8);
                let w_lo = _mm256_load_ps(w.add(k * PANEL));
                let w_hi = _mm256_load_ps(w.add(k * PANEL + 8));
                for i in 0..ROWS {
                    let x = _mm256_broadcast_ss(&*a.add(i * inp + k));
                    lo[i] = _mm256_fmadd_ps(x, w_lo, lo[i]);
                    hi[i] = _mm256_fmadd_ps(x, w_hi, hi[i]);
                }
            }
        }
        let b_lo = _mm256_loadu_ps(tile.bias.as_ptr());
        let b_hi = _mm256_loadu_ps(tile.bias.as_ptr().add(8));
        for i in 0..ROWS {
            let y_lo = activate(_mm256_add_ps(lo[i], b_lo), tile.epilogue);
            let y_hi = activate(_mm256_add_ps(hi[i], b_hi), tile.epilogue);
            let out = tile.out.add(i * tile.out_stride);
            _mm256_storeu_ps(out, y_lo);
            _mm256_storeu_ps(out.add(8), y_hi);
        }
    }

    /// One activation row against one panel (matrix-vector products: batch 1). The inner
    /// dimension is split four ways so that four independent chains of multiply-adds hide the
    /// FMA latency; the partial sums are added at the end.
    ///
    /// # Safety
    /// As [`tile`].
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn tile_one_row(tile: &Tile, weights: &[PanelRow]) {
        let inp = tile.inp;
        debug_assert!(tile.a.len() >= inp && weights.len() >= inp);
        let a = tile.a.as_ptr();
        let w = weights.as_ptr() as *const f32;
        let mut lo = [_mm256_setzero_ps(); 4];
        let mut hi = [_mm256_setzero_ps(); 4];
        let unrolled = inp - inp % 4;
        for k in (0..unrolled).step_by(4) {
            for u in 0..4 {
                let x = _mm256_broadcast_ss(&*a.add(k + u));
                lo[u] = _mm256_fmadd_ps(x, _mm256_load_ps(w.add((k + u) * PANEL)), lo[u]);
                hi[u] = _mm256_fmadd_ps(x, _mm256_load_ps(w.add((k + u) * PANEL + 8)), hi[u]);
            }
        }
        for k in unrolled..inp {
            let x = _mm256_broadcast_ss(&*a.add(k));
            lo[0] = _mm256_fmadd_ps(x, _mm256_load_ps(w.add(k * PANEL)), lo[0]);
            hi[0] = _mm256_fmadd_ps(x, _mm256_load_ps(w.add(k * PANEL + 8)), hi[0]);
        }
        let sum =
            |v: [__m256; 4]| _mm256_add_ps(_mm256_add_ps(v[0], v[1]), _mm256_add_ps(v[2], v[3]));
        let y_lo = _mm256_add_ps(sum(lo), _mm256_loadu_ps(tile.bias.as_ptr()));
        let y_hi = _mm256_add_ps(sum(hi), _mm256_loadu_ps(tile.bias.as_ptr().add(8)));
        _mm256_storeu_ps(tile.out, activate(y_lo, tile.epilogue));
        _mm256_storeu_ps(tile.out.add(8), activate(y_hi, tile.epilogue));
    }

    /// [`tile`] for 8-bit weights: each panel row is widened to f32 once and used for every row
    /// of the tile; the column scales are applied before the bias.
    ///
    /// # Safety
    /// As [`tile`].
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn tile_int8<const ROWS: usize, const CHAINS: usize>(
        tile: &Tile,
        weights: &[PanelRowInt8],
        scales: &[f32; PANEL],
    ) {
        let inp = tile.inp;
        debug_assert!(tile.a.len() >= ROWS * inp && weights.len() >= inp);
        // `CHAINS` independent sums per accumulator (over alternate k) hide the FMA latency
        // when the tile has few rows.
        let mut lo = [[_mm256_setzero_ps(); ROWS]; CHAINS];
        let mut hi = [[_mm256_setzero_ps(); ROWS]; CHAINS];
        let a = tile.a.as_ptr();
        let w = weights.as_ptr() as *const i8;
        let widen = |k: usize| {
            let bytes = _mm_load_si128(w.add(k * PANEL) as *const __m128i);
            (
                _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(bytes)),
                _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_unpackhi_epi64(bytes, bytes))),
            )
        };
        let unrolled = inp - inp % CHAINS;
        for k in (0..unrolled).step_by(CHAINS) {
            if !tile.next.is_null() {
                _mm_prefetch::<_MM_HINT_T0>(tile.next.add(k * PANEL) as *const i8);
            }
            for c in 0..CHAINS {
                let (w_lo, w_hi) = widen(k + c);
                for i in 0..ROWS {
                    let x = _mm256_broadcast_ss(&*a.add(i * inp + k + c));
                    lo[c][i] = _mm256_fmadd_ps(x, w_lo, lo[c][i]);
                    hi[c][i] = _mm256_fmadd_ps(x, w_hi, hi[c][i]);
                }
            }
        }
        for k in unrolled..inp {
            let (w_lo, w_hi) = widen(k);
            for i in 0..ROWS {
                let x = _mm256_broadcast_ss(&*a.add(i * inp + k));
                lo[0][i] = _mm256_fmadd_ps(x, w_lo, lo[0][i]);
                hi[0][i] = _mm256_fmadd_ps(x, w_hi, hi[0][i]);
            }
        }
        let s_lo = _mm256_loadu_ps(scales.as_ptr());
        let s_hi = _mm256_loadu_ps(scales.as_ptr().add(8));
        let b_lo = _mm256_loadu_ps(tile.bias.as_ptr());
        let b_hi = _mm256_loadu_ps(tile.bias.as_ptr().add(8));
        for i in 0..ROWS {
            let (mut sum_lo, mut sum_hi) = (lo[0][i], hi[0][i]);
            for c in 1..CHAINS {
                sum_lo = _mm256_add_ps(sum_lo, lo[c][i]);
                sum_hi = _mm256_add_ps(sum_hi, hi[c][i]);
            }
            let y_lo = activate(_mm256_fmadd_ps(sum_lo, s_lo, b_lo), tile.epilogue);
            let y_hi = activate(_mm256_fmadd_ps(sum_hi, s_hi, b_hi), tile.epilogue);
            let out = tile.out.add(i * tile.out_stride);
            _mm256_storeu_ps(out, y_lo);
            _mm256_storeu_ps(out.add(8), y_hi);
        }
    }

    /// [`tile`] for 8-bit weights in pairs of steps and 13-bit activations: per pair of steps,
    /// the panel's 32 weights are widened to 16 bits once, and each row's two activations
    /// (broadcast as one 32-bit lane) multiply them in `vpmaddwd`, which sums each column's two
    /// products into 32 bits. Exact integer sums; the scales are applied at the end.
    ///
    /// # Safety
    /// As [`tile`]; `tile` carries 13-bit rows and `inp` ≤ `MAX_PAIRS_INP`.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn tile_int8_pairs<const ROWS: usize>(
        tile: &Tile,
        pairs: &[PanelPair],
        scales: &[f32; PANEL],
    ) {
        let q = tile
            .rows16
            .expect("int8 pair weights come with 13-bit rows");
        debug_assert!(q.values.len() >= ROWS * q.stride && pairs.len() * 2 >= q.stride);
        let mut lo = [_mm256_setzero_si256(); ROWS];
        let mut hi = [_mm256_setzero_si256(); ROWS];
        let a = q.values.as_ptr();
        for (g, pair) in pairs.iter().enumerate() {
            if !tile.next.is_null() {
                _mm_prefetch::<_MM_HINT_T0>(tile.next.add(g * 2 * PANEL) as *const i8);
            }
            let bytes = _mm256_load_si256(pair.0.as_ptr() as *const __m256i);
            let w_lo = _mm256_cvtepi8_epi16(_mm256_castsi256_si128(bytes));
            let w_hi = _mm256_cvtepi8_epi16(_mm256_extracti128_si256::<1>(bytes));
            for i in 0..ROWS {
                let two = (a.add(i * q.stride + 2 * g) as *const i32).read_unaligned();
                let x = _mm256_set1_epi32(two);
                lo[i] = _mm256_add_epi32(lo[i], _mm256_madd_epi16(x, w_lo));
                hi[i] = _mm256_add_epi32(hi[i], _mm256_madd_epi16(x, w_hi));
            }
        }
        let s_lo = _mm256_loadu_ps(scales.as_ptr());
        let s_hi = _mm256_loadu_ps(scales.as_ptr().add(8));
        let b_lo = _mm256_loadu_ps(tile.bias.as_ptr());
        let b_hi = _mm256_loadu_ps(tile.bias.as_ptr().add(8));
        for i in 0..ROWS {
            let row_scale = _mm256_set1_ps(q.scales[i]);
            let sum_lo = _mm256_mul_ps(_mm256_cvtepi32_ps(lo[i]), row_scale);
            let sum_hi = _mm256_mul_ps(_mm256_cvtepi32_ps(hi[i]), row_scale);
            let y_lo = activate(_mm256_fmadd_ps(sum_lo, s_lo, b_lo), tile.epilogue);
            let y_hi = activate(_mm256_fmadd_ps(sum_hi, s_hi, b_hi), tile.epilogue);
            let out = tile.out.add(i * tile.out_stride);
            _mm256_storeu_ps(out, y_lo);
            _mm256_storeu_ps(out.add(8), y_hi);
        }
    }

    #[inline]
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn activate(v: __m256, epilogue: Epilogue) -> __m256 {
        match epilogue {
            Epilogue::Bias => v,
            Epilogue::BiasRelu => _mm256_max_ps(v, _mm256_setzero_ps()),
            Epilogue::BiasSilu => {
                let one = _mm256_set1_ps(1.0);
                let e = exp(_mm256_sub_ps(_mm256_setzero_ps(), v));
                _mm256_div_ps(v, _mm256_add_ps(one, e))
            }
        }
    }

    /// `e^x` per lane, within 2 ulp of the correctly rounded result for normal results; 0 below
    /// −87.3, +∞ above 88.7, NaN for NaN.
    ///
    /// Cody–Waite reduction `x = n·ln 2 + r` with |r| ≤ ln2/2, then a degree-7 polynomial for
    /// `e^r` and `2^n` built in the exponent bits.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    pub(crate) unsafe fn exp(x: __m256) -> __m256 {
        let max = _mm256_set1_ps(88.722_83);
        let min = _mm256_set1_ps(-87.336_55);
        let too_big = _mm256_cmp_ps::<_CMP_GT_OQ>(x, max);
        let too_small = _mm256_cmp_ps::<_CMP_LT_OQ>(x, min);
        let xc = _mm256_min_ps(_mm256_max_ps(x, min), max);
        let n = _mm256_round_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(
            _mm256_mul_ps(xc, _mm256_set1_ps(std::f32::consts::LOG2_E)),
        );
        // ln 2 split in a part exact in f32 and a correction.
        let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693_145_75), xc);
        let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.428_606_8e-6), r);
        // Taylor coefficients of e^r up to r^7 (|r| ≤ 0.35: truncation below 2^-27 relative).
        let mut p = _mm256_set1_ps(1.0 / 5040.0);
        p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0 / 720.0));
        p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0 / 120.0));
        p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0 / 24.0));
        p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0 / 6.0));
        p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5));
        p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0));
        p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0));
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
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    //! The integer dot-product kernel (AVX-512 VNNI) for 8-bit weights and activations.

    use super::{PanelQuad, Tile, PANEL};
    use std::arch::x86_64::*;

    /// `ROWS × PANEL` outputs, two 16-lane integer accumulators per row (coarse and fine
    /// activations): each `vpdpbusd` adds four steps of one row (broadcast) times four steps of
    /// 16 columns.
    ///
    /// # Safety
    /// The CPU has AVX-512 F/BW/VNNI and AVX2/FMA; `tile` satisfies `Kernel::tile`'s contract
    /// and carries quantized rows.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni,avx2,fma")]
    pub(super) unsafe fn tile_int8_dot<const ROWS: usize>(
        tile: &Tile,
        quads: &[PanelQuad],
        scales: &[f32; PANEL],
        offsets: &[i32; PANEL],
    ) {
        let q = tile
            .quantized
            .expect("int8 dot weights come with quantized rows");
        debug_assert!(q.coarse.len() >= ROWS * q.stride && quads.len() * 4 >= q.stride);
        let mut coarse = [_mm512_setzero_si512(); ROWS];
        let mut fine = [_mm512_setzero_si512(); ROWS];
        let (c, f) = (q.coarse.as_ptr(), q.fine.as_ptr());
        for (g, quad) in quads.iter().enumerate() {
            if !tile.next.is_null() {
                _mm_prefetch::<_MM_HINT_T0>(tile.next.add(g * 4 * PANEL) as *const i8);
            }
            let w = _mm512_load_si512(quad.0.as_ptr() as *const __m512i);
            for i in 0..ROWS {
                let at = i * q.stride + 4 * g;
                let four = (c.add(at) as *const i32).read_unaligned();
                coarse[i] = _mm512_dpbusd_epi32(coarse[i], _mm512_set1_epi32(four), w);
                let four = (f.add(at) as *const i32).read_unaligned();
                fine[i] = _mm512_dpbusd_epi32(fine[i], _mm512_set1_epi32(four), w);
            }
        }
        let offset = _mm512_loadu_si512(offsets.as_ptr() as *const __m512i);
        let scale = _mm512_loadu_ps(scales.as_ptr());
        let bias = _mm512_loadu_ps(tile.bias.as_ptr());
        for i in 0..ROWS {
            let to_f32 = |acc| _mm512_cvtepi32_ps(_mm512_sub_epi32(acc, offset));
            let sums = _mm512_fmadd_ps(
                to_f32(fine[i]),
                _mm512_set1_ps(q.fine_scales[i]),
                _mm512_mul_ps(to_f32(coarse[i]), _mm512_set1_ps(q.coarse_scales[i])),
            );
            let y = _mm512_fmadd_ps(sums, scale, bias);
            let lo = _mm512_castps512_ps256(y);
            let hi = _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(y)));
            let out = tile.out.add(i * tile.out_stride);
            _mm256_storeu_ps(out, super::avx2::activate(lo, tile.epilogue));
            _mm256_storeu_ps(out.add(8), super::avx2::activate(hi, tile.epilogue));
        }
    }
}

#[cfg(test)]
mod tests {
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

    /// The kernels this CPU can run: always the portable one, and the vector one if present.
    fn kernels() -> Vec<Kernel> {
        let mut kernels = vec![Kernel::Portable];
        if !matches!(Kernel::detect(), Kernel::Portable) {
            kernels.push(Kernel::detect());
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

    const INT8_SHAPES: [(usize, usize, usize); 5] = [
        (1, 40, 33),
        (2, 16, 8),
        (6, 16, 8),
        (13, 37, 64),
        (64, 100, 512),
    ];

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

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn vector_exp_is_within_two_ulp() {
        if !(is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")) {
            return;
        }
        use std::arch::x86_64::*;
        let mut inputs: Vec<f32> = (-8800..=8800).map(|i| i as f32 * 0.01).collect();
        inputs.extend([-200.0, -87.4, 88.8, 300.0, 0.0, -0.0, 1e-8]);
        for chunk in inputs.chunks(8) {
            let mut lanes = [0f32; 8];
            lanes[..chunk.len()].copy_from_slice(chunk);
            let mut out = [0f32; 8];
            // SAFETY: AVX2 and FMA checked above.
            unsafe {
                _mm256_storeu_ps(out.as_mut_ptr(), avx2::exp(_mm256_loadu_ps(lanes.as_ptr())))
            };
            for (&x, &got) in lanes.iter().zip(&out).take(chunk.len()) {
                let want = (x as f64).exp();
                if want > f32::MAX as f64 {
                    assert_eq!(got, f32::INFINITY, "exp({x})");
                } else if want < f32::MIN_POSITIVE as f64 {
                    assert!(got == 0.0 || (got as f64 - want).abs() < 1e-38, "exp({x})");
                } else {
                    let ulp = (want as f32).to_bits().abs_diff(got.to_bits());
                    assert!(ulp <= 2, "exp({x}) = {got}, expected {want} ({ulp} ulp)");
                }
            }
        }
        let mut out = [0f32; 8];
        unsafe { _mm256_storeu_ps(out.as_mut_ptr(), avx2::exp(_mm256_set1_ps(f32::NAN))) };
        assert!(out[0].is_nan());
    }
}
