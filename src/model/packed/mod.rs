//! Dense layers on CPU with the weights packed once, at load, for register-blocked kernels.
//!
//! Every matrix product of a decoder step is `x · Wᵀ (+ b)`: a few activation rows (1 to 64:
//! sentences × beams) against a weight matrix `W` of `out × in` (up to 59514 × 512 for the output
//! projection). Such products are dominated by reading `W`, and a general-purpose GEMM repacks
//! `W` into its own panel layout on every call. Here `W` is stored in that layout from the start:
//! panels of [`PANEL`] consecutive output columns, each panel `in × PANEL` contiguous, so that the
//! kernel streams the weights once per call from start to end and keeps a tile of
//! `rows × columns` outputs in registers while it walks the inner dimension.
//!
//! Rules:
//! * The packed matrix replaces the checkpoint tensor (no second copy): an embedding row is read
//!   back from the panels ([`PackedMatrix::gather_rows`]), so a tied output projection still
//!   shares its memory with the token embeddings.
//! * Bias and activation are applied to the tile while it is in registers (no extra pass over the
//!   output, no temporary tensor).
//! * The arithmetic is plain f32 multiply-adds along the inner dimension, in order, per output:
//!   results differ from other f32 GEMMs only by rounding (they sum in another order), and the
//!   AVX2 and AVX-512 kernels give the same bits.
//! * The kernels follow the process's one instruction-set decision ([`crate::cpu::path`]):
//!   AVX-512 (`avx512.rs`: tiles of up to 12 rows × 2 panels in 16-lane registers), AVX2 + FMA
//!   (`avx2.rs`: 6 rows × 1 panel in 8-lane registers), or portable loops (`portable.rs`).
//! * bf16 weights (the opt-in `--dtype bf16`, `bf16.rs`) are f32 weights rounded to their 8
//!   leading mantissa bits and stored in half the bytes; the kernels widen them back to f32 as they
//!   load them (a shift: exact) and multiply in f32 exactly as for f32 weights, so a bf16 product
//!   has the bits of the f32 product of the rounded weights, on every path.
//! * 8-bit weights (the opt-in int8 path, `int8.rs`) keep one f32 scale per output. Where the CPU
//!   has AVX-512 VNNI, the activations are quantized too, in two 8-bit levels, and multiplied in
//!   integer dot products (on the amx path, products of [`AMX_MIN_ROWS`] rows or more in AMX tiles,
//!   `amx.rs`, with the same bits); with AVX2, activations are quantized to 13 bits and multiplied in
//!   16-bit multiply-adds (`vpmaddwd`); elsewhere the weights are widened to f32.
//! * Work is split across rayon's threads (the caller's pool) by blocks of output columns;
//!   products too small to pay for a thread hand-off run on the calling thread.

#[cfg(target_arch = "x86_64")]
mod amx;
#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
mod bf16;
mod int8;
pub(crate) mod pages;
mod portable;
#[cfg(test)]
mod tests;

use crate::cpu::{self, KernelPath};
use int8::{QuantizedRows, QuantizedTile, Rows16, Rows16Tile};
use rayon::prelude::*;

/// Output columns per panel: one 16-lane vector, two 8-lane vectors, one cache line of f32.
pub(crate) const PANEL: usize = 16;

/// Most activation rows in one register tile, over all kernels (AMX tiles hold 16).
const MAX_TILE_ROWS: usize = 16;

/// Fewest activation rows for which int8 products use AMX tiles on the amx path; fewer rows
/// use VNNI dot products (see notes/perf.md, change Q).
const AMX_MIN_ROWS: usize = 8;

/// Rows of a VNNI tile (int8 dot products on AVX-512): up to 6 rows × 2 panels × 2 levels = 24
/// accumulators.
const VNNI_TILE_ROWS: usize = 6;

/// Fewest rows for which the AVX-512 kernels multiply bf16 and VNNI int8 weights two panels at a
/// time. Products of fewer rows are bound by reading the weights, which a Zen 4 did at 16-19
/// GFLOP/s from two panels side by side against 26-27 from one (bf16, output projection at one
/// row); from 8 rows, two panels share each broadcast activation (notes/perf.md, changes Y, Z).
const TWO_PANEL_ROWS: usize = 8;

/// Most panels in one register tile, over all kernels.
const MAX_TILE_PANELS: usize = 2;

/// Row tiles per group for 8-bit weights multiplied in integers (dot products or 16-bit
/// multiply-adds): 4 × 6 rows, 24 KB of activations (two bytes per value either way).
const INT8_GROUP_TILES: usize = 4;

/// Blocks of such 8-bit weights each row group passes over in turn: 32 blocks of one or two
/// 8 KB panels (int8 at 512 inner steps), in L2.
const INT8_BLOCK_RUN: usize = 32;

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

/// One panel row of bf16 weights (the upper halves of f32 values), half a cache line.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(32))]
struct PanelRowBf16([u16; PANEL]);

/// Column `j` of a panel row, by index (for [`float_panels`]).
macro_rules! index_columns {
    ($row:ty, $value:ty) => {
        impl std::ops::Index<usize> for $row {
            type Output = $value;
            fn index(&self, j: usize) -> &$value {
                &self.0[j]
            }
        }

        impl std::ops::IndexMut<usize> for $row {
            fn index_mut(&mut self, j: usize) -> &mut $value {
                &mut self.0[j]
            }
        }
    };
}

index_columns!(PanelRow, f32);
index_columns!(PanelRowBf16, u16);

/// A panel row whose weights are multiplied in f32: f32 itself, or bf16 widened as it is loaded.
/// The f32 kernels are generic over it, so both run the same multiply-adds.
trait FloatPanelRow: Copy {
    /// Whether the row holds bf16 values (else f32).
    const BF16: bool;
}

impl FloatPanelRow for PanelRow {
    const BF16: bool = false;
}

impl FloatPanelRow for PanelRowBf16 {
    const BF16: bool = true;
}

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

/// The weights of a packed matrix: `ceil(out / PANEL)` panels of `inp` rows of `PANEL` weights
/// (or the 8-bit blocks standing for them); padding columns are zero.
#[derive(Debug)]
enum Panels {
    F32(pages::Pages<PanelRow>),
    /// bf16 weights in the f32 layout, multiplied in f32.
    Bf16(pages::Pages<PanelRowBf16>),
    /// `W[j][k] ≈ scales[j] · q[j][k]`, `q` in −127..=127; the arithmetic in f32.
    Int8 {
        panels: pages::Pages<PanelRowInt8>,
        scales: Vec<f32>,
    },
    /// The same 8-bit weights in groups of four steps (`ceil(inp / 4)` per panel, zero-padded),
    /// multiplied with 8-bit activations in integer dot products (AVX-512 VNNI);
    /// `offsets[j] = 128 · Σₖ q[j][k]` undoes the +128 that makes activations unsigned.
    Int8Dot {
        quads: pages::Pages<PanelQuad>,
        scales: Vec<f32>,
        offsets: Vec<i32>,
    },
    /// The same 8-bit weights in pairs of steps (`ceil(inp / 2)` per panel, zero-padded),
    /// multiplied with 13-bit activations in 16-bit multiply-adds (AVX2).
    Int8Pairs {
        pairs: pages::Pages<PanelPair>,
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
        let empty = PanelRow([0.0; PANEL]);
        Self {
            out,
            inp,
            panels: Panels::F32(float_panels(weights, out, inp, empty, |w| w)),
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
            Panels::Bf16(panels) => into.extend(
                panels[start..][..self.inp]
                    .iter()
                    .map(|row| bf16::widen(row.0[r % PANEL])),
            ),
            quantized => self.quantized_row_into(quantized, r, into),
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
        self.matmul_with(Kernel::current(), x, bias, epilogue, y)
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
        let kernel = kernel.for_rows(rows);
        let panel_count = self.out.div_ceil(PANEL);
        let quantized = match &self.panels {
            Panels::Int8Dot { .. } => Some(QuantizedRows::new(x, self.inp)),
            _ => None,
        };
        let rows16 = match &self.panels {
            Panels::Int8Pairs { .. } => Some(Rows16::new(x, self.inp)),
            _ => None,
        };
        let (tile_rows, block) = kernel.tile_shape(&self.panels, rows);
        let block_count = panel_count.div_ceil(block);
        let output = OutPtr(y.as_mut_ptr());
        // Several tiles per block: while they compute this block, the next one is fetched into
        // L2, f32 panel t by tile t (one line per step: spread over the block's first tiles, as
        // every tile fetching the whole next block cost the AVX-512 tile 60 % of its speed, and
        // one tile fetching it all into L1 left the 16-row output projection at 56 GFLOP/s
        // against 72-78 now; notes/perf.md, change G). A single tile streams the weights in
        // order, which the hardware prefetcher handles alone. Int8 weights read by a single tile
        // are the exception: there the prefetch made decoding with up to six rows 1.25-1.85x
        // faster on an AVX-512 Xeon (AVX-512 and AVX2 kernels), while with f32 weights it cost
        // 10-25 % (notes/perf.md, change F).
        let float = matches!(self.panels, Panels::F32(_) | Panels::Bf16(_));
        let prefetch = rows > tile_rows || !float;
        // Block `b` against the rows `group`: writes only the block's own columns of those rows.
        let block_tiles = |b: usize, group: std::ops::Range<usize>| {
            let output = &output;
            let p = b * block;
            let panels = block.min(panel_count - p);
            let next = self.block_start(((b + 1) % block_count) * block);
            let first = p * PANEL;
            let cols = (panels * PANEL).min(self.out - first);
            let mut bias_block = [0f32; MAX_TILE_PANELS * PANEL];
            bias_block[..cols].copy_from_slice(&bias[first..first + cols]);
            let mut scale_block = [0f32; MAX_TILE_PANELS * PANEL];
            let mut offset_block = [0i32; MAX_TILE_PANELS * PANEL];
            let weights = self.weights(p, panels, &mut scale_block, &mut offset_block);
            for (index, tile_range) in tiles(group.clone(), tile_rows).enumerate() {
                let (r0, height) = (tile_range.start, tile_range.len());
                let mut tile = Tile {
                    a: &x[r0 * self.inp..(r0 + height) * self.inp],
                    quantized: quantized.as_ref().map(|q| q.rows(r0, height)),
                    rows16: rows16.as_ref().map(|q| q.rows(r0, height)),
                    inp: self.inp,
                    weights,
                    next: match &self.panels {
                        _ if !prefetch => std::ptr::null(),
                        Panels::F32(_) if index < block => {
                            next.wrapping_add(index * self.inp * size_of::<PanelRow>())
                        }
                        Panels::Bf16(_) if index < block => {
                            next.wrapping_add(index * self.inp * size_of::<PanelRowBf16>())
                        }
                        Panels::F32(_) | Panels::Bf16(_) => std::ptr::null(),
                        _ if r0 == 0 => next,
                        _ => std::ptr::null(),
                    },
                    bias: &bias_block[..panels * PANEL],
                    epilogue,
                    // SAFETY: row r0, column `first` is inside `y`.
                    out: unsafe { output.0.add(r0 * self.out + first) },
                    out_stride: self.out,
                };
                if cols == panels * PANEL {
                    // SAFETY: rows r0.., columns first..first+cols are inside `y` and belong to
                    // this block only; no other job writes them.
                    unsafe { kernel.tile(&tile) };
                } else {
                    let mut partial = [0f32; MAX_TILE_ROWS * MAX_TILE_PANELS * PANEL];
                    tile.out = partial.as_mut_ptr();
                    tile.out_stride = panels * PANEL;
                    // SAFETY: `partial` holds height × panels·PANEL values.
                    unsafe { kernel.tile(&tile) };
                    for i in 0..height {
                        // SAFETY: as above, for the `cols` columns that exist.
                        unsafe {
                            let dst = output.0.add((r0 + i) * self.out + first);
                            std::ptr::copy_nonoverlapping(
                                partial[i * panels * PANEL..].as_ptr(),
                                dst,
                                cols,
                            );
                        }
                    }
                }
            }
        };
        // Many rows of 8-bit activations outgrow L1 (64 rows × 512 steps × 2 bytes = 64 KB, read
        // again for every block), so a run of blocks, kept in L2, is passed over by one group of
        // rows at a time (notes/perf.md, change H for dot products on a Xeon; change K for the
        // 16-bit multiply-adds of AVX2 on a Zen 3); f32 tiles take all rows of a block at once.
        let (row_group, run) = match self.panels {
            Panels::Int8Dot { .. } | Panels::Int8Pairs { .. }
                if rows > INT8_GROUP_TILES * tile_rows =>
            {
                (INT8_GROUP_TILES * tile_rows, INT8_BLOCK_RUN)
            }
            _ => (rows, block_count.max(1)),
        };
        let job = |blocks: std::ops::Range<usize>| {
            for start in blocks.clone().step_by(run) {
                let end = blocks.end.min(start + run);
                for g0 in (0..rows).step_by(row_group) {
                    for b in start..end {
                        block_tiles(b, g0..rows.min(g0 + row_group));
                    }
                }
            }
        };
        let work = rows * self.out * self.inp;
        let threads = rayon::current_num_threads();
        if work < PARALLEL_MIN_WORK || threads == 1 || block_count == 1 {
            job(0..block_count);
        } else {
            // A few chunks per thread balance uneven progress without many hand-offs.
            let chunks = (threads * 4).min(block_count);
            let per_chunk = block_count.div_ceil(chunks);
            (0..block_count.div_ceil(per_chunk))
                .into_par_iter()
                .for_each(|c| job(c * per_chunk..((c + 1) * per_chunk).min(block_count)));
        }
    }

    /// The first byte of panel `p`'s weights.
    fn block_start(&self, p: usize) -> *const u8 {
        let inp = self.inp;
        match &self.panels {
            Panels::F32(all) => all[p * inp..].as_ptr() as *const u8,
            Panels::Bf16(all) => all[p * inp..].as_ptr() as *const u8,
            Panels::Int8 { panels, .. } => panels[p * inp..].as_ptr() as *const u8,
            Panels::Int8Dot { quads, .. } => quads[p * inp.div_ceil(4)..].as_ptr() as *const u8,
            Panels::Int8Pairs { pairs, .. } => pairs[p * inp.div_ceil(2)..].as_ptr() as *const u8,
        }
    }

    /// The weights of panels `p..p + panels` (several only for f32, VNNI and AMX tiles), with the
    /// scales and offsets of 8-bit panels copied into `scale_block` and `offset_block`.
    fn weights<'a>(
        &'a self,
        p: usize,
        panels: usize,
        scale_block: &'a mut [f32; MAX_TILE_PANELS * PANEL],
        offset_block: &'a mut [i32; MAX_TILE_PANELS * PANEL],
    ) -> Weights<'a> {
        let inp = self.inp;
        let first = p * PANEL;
        let cols = (panels * PANEL).min(self.out - first);
        match &self.panels {
            Panels::F32(all) => Weights::F32(&all[p * inp..][..panels * inp]),
            Panels::Bf16(all) => Weights::Bf16(&all[p * inp..][..panels * inp]),
            Panels::Int8 {
                panels: all,
                scales,
            } => {
                debug_assert_eq!(panels, 1);
                scale_block[..cols].copy_from_slice(&scales[first..first + cols]);
                Weights::Int8(&all[p * inp..][..inp], first_panel(scale_block))
            }
            Panels::Int8Dot {
                quads,
                scales,
                offsets,
            } => {
                let per_panel = inp.div_ceil(4);
                scale_block[..cols].copy_from_slice(&scales[first..first + cols]);
                offset_block[..cols].copy_from_slice(&offsets[first..first + cols]);
                Weights::Int8Dot(
                    &quads[p * per_panel..][..panels * per_panel],
                    &scale_block[..panels * PANEL],
                    &offset_block[..panels * PANEL],
                )
            }
            Panels::Int8Pairs { pairs, scales } => {
                debug_assert_eq!(panels, 1);
                let per_panel = inp.div_ceil(2);
                scale_block[..cols].copy_from_slice(&scales[first..first + cols]);
                Weights::Int8Pairs(
                    &pairs[p * per_panel..][..per_panel],
                    first_panel(scale_block),
                )
            }
        }
    }
}

/// `weights` (row-major `out × inp`) in panels of rows `R` (starting from `empty`: zero padding),
/// each weight converted by `convert`: the f32 layout, for f32 and bf16 rows.
fn float_panels<R, T>(
    weights: &[f32],
    out: usize,
    inp: usize,
    empty: R,
    convert: impl Fn(f32) -> T + Sync,
) -> pages::Pages<R>
where
    R: Copy + Send + Sync + std::ops::IndexMut<usize, Output = T>,
{
    assert_eq!(weights.len(), out * inp, "weights must be out × inp");
    let mut panels = pages::Pages::filled(out.div_ceil(PANEL) * inp, empty);
    // Panels are independent: packing the model's 75 M weights is shared among the threads.
    panels
        .par_chunks_mut(inp)
        .enumerate()
        .for_each(|(p, panel)| {
            for j in 0..PANEL.min(out - p * PANEL) {
                let row = &weights[(p * PANEL + j) * inp..][..inp];
                for (slot, &w) in panel.iter_mut().zip(row) {
                    slot[j] = convert(w);
                }
            }
        });
    panels
}

/// The first panel's columns of a block's scales.
fn first_panel(block: &[f32; MAX_TILE_PANELS * PANEL]) -> &[f32; PANEL] {
    block
        .first_chunk()
        .expect("a block holds at least one panel")
}

/// `rows` cut into the fewest tiles of at most `tile_rows`, of heights differing by at most one
/// (16 rows in tiles of 6: 6, 5, 5). A one-row tile, whose kernel sums in another order, only
/// comes from a single row: so a row's bits never depend on how many rows share its product,
/// on any kernel path, whatever the paths' tile heights.
fn tiles(
    rows: std::ops::Range<usize>,
    tile_rows: usize,
) -> impl Iterator<Item = std::ops::Range<usize>> {
    let count = rows.len().div_ceil(tile_rows);
    let (base, longer) = (rows.len() / count.max(1), rows.len() % count.max(1));
    (0..count).scan(rows.start, move |start, t| {
        let height = base + usize::from(t < longer);
        let tile = *start..*start + height;
        *start += height;
        Some(tile)
    })
}

/// The output pointer, shared by jobs that write disjoint columns.
struct OutPtr(*mut f32);
// SAFETY: jobs write disjoint elements (see `matmul_with`).
unsafe impl Sync for OutPtr {}
unsafe impl Send for OutPtr {}

/// Which tile kernels run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kernel {
    Portable,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    #[cfg(target_arch = "x86_64")]
    Avx512 {
        /// Integer dot products (VNNI) for [`Weights::Int8Dot`].
        int8_dot: bool,
        /// AMX tiles instead of VNNI for [`Weights::Int8Dot`].
        amx: bool,
    },
}

impl Kernel {
    /// The kernels of this process's instruction-set decision.
    fn current() -> Self {
        let cpu = cpu::cpu();
        match cpu.path {
            KernelPath::Portable => Kernel::Portable,
            #[cfg(target_arch = "x86_64")]
            KernelPath::Avx2 => Kernel::Avx2,
            #[cfg(target_arch = "x86_64")]
            KernelPath::Avx512 | KernelPath::Amx => Kernel::Avx512 {
                int8_dot: cpu.int8_dot,
                amx: cpu.path == KernelPath::Amx,
            },
            #[allow(unreachable_patterns)]
            _ => Kernel::Portable,
        }
    }

    /// These kernels for a product of `rows` rows: AMX tiles only from [`AMX_MIN_ROWS`] rows.
    fn for_rows(self, rows: usize) -> Self {
        match self {
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512 { int8_dot, amx } => Kernel::Avx512 {
                int8_dot,
                amx: amx && int8_dot && rows >= AMX_MIN_ROWS,
            },
            other => other,
        }
    }

    /// Rows per register tile and panels per tile for these weights in a product of `rows` rows.
    fn tile_shape(self, panels: &Panels, rows: usize) -> (usize, usize) {
        #[cfg(target_arch = "x86_64")]
        let bound_by_weights = if rows < TWO_PANEL_ROWS { 1 } else { 2 };
        match (self, panels) {
            #[cfg(target_arch = "x86_64")]
            (Kernel::Avx512 { .. }, Panels::F32(_)) => (avx512::F32_TILE_ROWS, 2),
            #[cfg(target_arch = "x86_64")]
            (Kernel::Avx512 { .. }, Panels::Bf16(_)) => (avx512::F32_TILE_ROWS, bound_by_weights),
            #[cfg(target_arch = "x86_64")]
            (Kernel::Avx512 { amx: true, .. }, Panels::Int8Dot { .. }) => {
                (amx::TILE_ROWS, amx::panels_for_rows(rows))
            }
            #[cfg(target_arch = "x86_64")]
            (Kernel::Avx512 { int8_dot: true, .. }, Panels::Int8Dot { .. }) => {
                (VNNI_TILE_ROWS, bound_by_weights)
            }
            _ => (6, 1),
        }
    }

    /// Computes one tile.
    ///
    /// # Safety
    /// `tile.out` must be valid for writing the tile's rows × columns at stride
    /// `tile.out_stride`, and `tile.next`, when not null, must point into the packed matrix.
    unsafe fn tile(self, tile: &Tile) {
        let rows = tile.a.len() / tile.inp;
        match self {
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512 { int8_dot, amx } => match tile.weights {
                Weights::F32(w) => avx512::tile_f32(tile, w, rows),
                Weights::Bf16(w) => avx512::tile_f32(tile, w, rows),
                Weights::Int8Dot(w, s, o) if amx => amx::tile_int8_dot(tile, w, s, o, rows),
                Weights::Int8Dot(w, s, o) if int8_dot => avx512::tile_int8_dot(tile, w, s, o, rows),
                _ => Kernel::Avx2.tile(tile),
            },
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2 => match tile.weights {
                Weights::F32(w) => avx2::tile_f32(tile, w, rows),
                Weights::Bf16(w) => avx2::tile_f32(tile, w, rows),
                Weights::Int8(w, s) => avx2::tile_int8_rows(tile, w, s, rows),
                Weights::Int8Pairs(w, s) => avx2::tile_int8_pairs_rows(tile, w, s, rows),
                Weights::Int8Dot(..) => portable::tile(tile, rows),
            },
            Kernel::Portable => portable::tile(tile, rows),
        }
    }
}

/// The weights of a tile's panels.
#[derive(Clone, Copy)]
enum Weights<'a> {
    /// One or more consecutive panels, `inp` rows each.
    F32(&'a [PanelRow]),
    /// The same for bf16 weights.
    Bf16(&'a [PanelRowBf16]),
    /// 8-bit weights and the scale of each column.
    Int8(&'a [PanelRowInt8], &'a [f32; PANEL]),
    /// 8-bit weights in groups of four steps of one or more consecutive panels (`inp / 4`
    /// quads each; several only for VNNI and AMX tiles), the scale and the offset of each column.
    Int8Dot(&'a [PanelQuad], &'a [f32], &'a [i32]),
    /// 8-bit weights in pairs of steps and the scale of each column.
    Int8Pairs(&'a [PanelPair], &'a [f32; PANEL]),
}

/// One register tile's work: 1..=MAX_TILE_ROWS activation rows against one or two panels.
struct Tile<'a> {
    /// The rows, `inp` values each.
    a: &'a [f32],
    /// The same rows quantized, for [`Weights::Int8Dot`].
    quantized: Option<QuantizedTile<'a>>,
    /// The same rows in 13 bits, for [`Weights::Int8Pairs`].
    rows16: Option<Rows16Tile<'a>>,
    inp: usize,
    weights: Weights<'a>,
    /// Weights of the next block to fetch into cache meanwhile, or null: for f32, one panel
    /// (`inp` lines, one per inner step, into L2); for 8-bit weights, as many lines as this block
    /// has. Either may pass the end of a shorter last block: hence `wrapping_add` (a prefetch of
    /// any address is harmless; `add` past the end is not allowed).
    next: *const u8,
    /// One bias per column of the tile.
    bias: &'a [f32],
    epilogue: Epilogue,
    /// Where output row 0, column 0 of the tile goes.
    out: *mut f32,
    /// Elements between output rows.
    out_stride: usize,
}
