//! The AMX kernel for 8-bit weights (the `amx` kernel path): integer dot products of up to 16
//! activation rows against one panel in the tile registers, `tdpbusd` doing 16 rows × 16
//! columns × 64 steps per instruction where AVX-512 VNNI's `vpdpbusd` does 16 columns × 4 steps
//! of one row.
//!
//! The packed layout is the one VNNI reads ([`PanelQuad`]: each 64-byte line holds four steps of
//! 16 columns), which is exactly the layout `tdpbusd` wants for its second operand, so one
//! packed matrix serves both kernels. The sums are integers either way, and the last step is the
//! same function ([`avx512::store_int8_dot_row`]): AMX and VNNI give the same bits.
//!
//! `std` has no stable AMX intrinsics, so the tile instructions are inline assembly. The process
//! must have asked Linux for the tile state first (`crate::cpu` does, before it picks this path).

use super::avx512::store_int8_dot_row;
use super::{PanelQuad, Tile, PANEL};
use std::arch::asm;
use std::arch::x86_64::*;

/// Activation rows per AMX tile: the most a tile register holds.
pub(super) const TILE_ROWS: usize = 16;

/// Inner steps per `tdpbusd`: 64 one-byte activations per tile row.
const STEPS: usize = 64;

/// Packed weight quads per `tdpbusd`: 16 lines of 64 bytes, the most a tile register holds.
const QUADS: usize = STEPS / 4;

/// Most panels per AMX call: two, so that each pair of activation tiles loaded serves four
/// `tdpbusd` (the loads, not the products, bound the one-panel kernel).
const TILE_PANELS: usize = 2;

/// Panels per AMX call in a product of `rows` rows: two where several row tiles share each
/// block of weights, one for a single row tile, whose next block of weights, fetched into L1
/// meanwhile, would then no longer fit beside the current one and the activations (notes/perf.md,
/// change S).
pub(super) fn panels_for_rows(rows: usize) -> usize {
    if rows > TILE_ROWS {
        TILE_PANELS
    } else {
        1
    }
}

/// The tile palette for [`tile_int8_dot`] (`ldtilecfg`'s 64-byte operand): tmm0 and tmm1 the
/// coarse and fine sums of the first panel, tmm2 and tmm3 those of the second (`rows` × 16
/// `i32` each), tmm4 and tmm5 the coarse and fine activations (`rows` × 64 bytes), tmm6 and
/// tmm7 one chunk of each panel's weights (16 lines of 64 bytes).
#[repr(C, align(64))]
struct TileConfig {
    palette: u8,
    start_row: u8,
    reserved: [u8; 14],
    bytes_per_row: [u16; 16],
    rows: [u8; 16],
}

impl TileConfig {
    fn for_rows(rows: usize) -> Self {
        debug_assert!((1..=TILE_ROWS).contains(&rows));
        let mut config = TileConfig {
            palette: 1,
            start_row: 0,
            reserved: [0; 14],
            bytes_per_row: [0; 16],
            rows: [0; 16],
        };
        for t in 0..8 {
            config.bytes_per_row[t] = STEPS as u16;
            config.rows[t] = if t < 6 { rows as u8 } else { QUADS as u8 };
        }
        config
    }
}

/// Loads the tile palette for `rows` activation rows unless this thread's tiles already have it.
/// `ldtilecfg` is slow (it also zeroes every tile: 12 % of the kernel's time when it ran on
/// every call), so the palette stays loaded between calls; it is compared with `sttilecfg`
/// rather than remembered, as other code on the thread (an embedding program's own AMX
/// kernels) may load another.
///
/// # Safety
/// The CPU has AMX-TILE and the process has the tile state.
#[inline]
unsafe fn configure(rows: usize) {
    let wanted = TileConfig::for_rows(rows);
    let mut current = TileConfig::for_rows(1);
    // SAFETY: `sttilecfg` writes 64 bytes (zeros when no palette is loaded) into `current`.
    asm!(
        "sttilecfg [{current}]",
        current = in(reg) &mut current,
        options(nostack),
    );
    if current.rows != wanted.rows
        || current.palette != wanted.palette
        || current.bytes_per_row != wanted.bytes_per_row
    {
        // SAFETY: the palette is the one documented on `TileConfig`.
        asm!(
            "ldtilecfg [{config}]",
            config = in(reg) &wanted,
            options(nostack, readonly),
        );
    }
}

/// `rows` (1..=16) rows of quantized activations against one or two panels of 8-bit weights
/// (`scales.len() / PANEL` of them), written like [`super::avx512::tile_int8_dot`]'s: whole
/// chunks of 64 steps in AMX tiles, the remaining steps (fewer than 64) in VNNI dot products on
/// the tile's sums.
///
/// # Safety
/// The CPU has AMX-TILE and AMX-INT8 and the process has the tile state (`crate::cpu`), and
/// AVX-512 F/BW/VNNI, AVX2 and FMA; `tile` satisfies `Kernel::tile`'s contract and carries
/// quantized rows.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni,avx2,fma")]
pub(super) unsafe fn tile_int8_dot(
    tile: &Tile,
    quads: &[PanelQuad],
    scales: &[f32],
    offsets: &[i32],
    rows: usize,
) {
    let q = tile
        .quantized
        .expect("int8 dot weights come with quantized rows");
    let panels = scales.len() / PANEL;
    assert!((1..=TILE_ROWS).contains(&rows) && q.coarse.len() >= rows * q.stride);
    assert!((1..=TILE_PANELS).contains(&panels) && quads.len().is_multiple_of(panels));
    let per_panel = quads.len() / panels;
    let chunks = per_panel / QUADS;
    // Sums of panel p: coarse in sums[2p], fine in sums[2p + 1], `rows` lines written by
    // `tilestored` when there are chunks (and only then read); not zeroed, as that took as long
    // as a third of the products.
    let mut sums = std::mem::MaybeUninit::<[[[i32; PANEL]; TILE_ROWS]; 2 * TILE_PANELS]>::uninit();
    let sums = sums.as_mut_ptr() as *mut [[i32; PANEL]; TILE_ROWS];
    if chunks > 0 {
        configure(rows);
        // SAFETY (every block below): the palette is the one documented on `TileConfig`; each
        // load reads `rows` lines of 64 bytes inside the tile's activations (chunk `g` ends at
        // step 64·(g+1) ≤ the row's padded length) or 16 lines inside a panel's quads; the
        // stores write `rows` lines of 64 bytes into `sums`.
        asm!(
            "tilezero tmm0",
            "tilezero tmm1",
            "tilezero tmm2",
            "tilezero tmm3",
            options(nostack, nomem)
        );
        let weights = quads.as_ptr();
        for g in 0..chunks {
            if !tile.next.is_null() {
                for p in 0..panels {
                    for line in 0..QUADS {
                        let at = (p * per_panel + g * QUADS + line) * size_of::<PanelQuad>();
                        _mm_prefetch::<_MM_HINT_T0>(tile.next.wrapping_add(at) as *const i8);
                    }
                }
            }
            let coarse = q.coarse.as_ptr().add(g * STEPS);
            let fine = q.fine.as_ptr().add(g * STEPS);
            let first = weights.add(g * QUADS);
            if panels == 2 {
                asm!(
                    "tileloadd tmm4, [{coarse} + {stride} * 1]",
                    "tileloadd tmm6, [{first} + {line} * 1]",
                    "tdpbusd tmm0, tmm4, tmm6",
                    "tileloadd tmm7, [{second} + {line} * 1]",
                    "tdpbusd tmm2, tmm4, tmm7",
                    "tileloadd tmm5, [{fine} + {stride} * 1]",
                    "tdpbusd tmm1, tmm5, tmm6",
                    "tdpbusd tmm3, tmm5, tmm7",
                    coarse = in(reg) coarse,
                    fine = in(reg) fine,
                    stride = in(reg) q.stride,
                    first = in(reg) first,
                    second = in(reg) first.add(per_panel),
                    line = in(reg) size_of::<PanelQuad>(),
                    options(nostack, readonly),
                );
            } else {
                asm!(
                    "tileloadd tmm4, [{coarse} + {stride} * 1]",
                    "tileloadd tmm6, [{first} + {line} * 1]",
                    "tdpbusd tmm0, tmm4, tmm6",
                    "tileloadd tmm5, [{fine} + {stride} * 1]",
                    "tdpbusd tmm1, tmm5, tmm6",
                    coarse = in(reg) coarse,
                    fine = in(reg) fine,
                    stride = in(reg) q.stride,
                    first = in(reg) first,
                    line = in(reg) size_of::<PanelQuad>(),
                    options(nostack, readonly),
                );
            }
        }
        let line = PANEL * size_of::<i32>();
        asm!(
            "tilestored [{c0} + {line} * 1], tmm0",
            "tilestored [{f0} + {line} * 1], tmm1",
            c0 = in(reg) sums,
            f0 = in(reg) sums.add(1),
            line = in(reg) line,
            options(nostack),
        );
        if panels == 2 {
            asm!(
                "tilestored [{c1} + {line} * 1], tmm2",
                "tilestored [{f1} + {line} * 1], tmm3",
                c1 = in(reg) sums.add(2),
                f1 = in(reg) sums.add(3),
                line = in(reg) line,
                options(nostack),
            );
        }
    }
    let (c, f) = (q.coarse.as_ptr(), q.fine.as_ptr());
    for p in 0..panels {
        let panel_quads = &quads[p * per_panel..(p + 1) * per_panel];
        for i in 0..rows {
            let stored = |s: usize| match chunks {
                0 => _mm512_setzero_si512(),
                _ => _mm512_loadu_si512((*sums.add(s))[i].as_ptr() as *const __m512i),
            };
            let (mut coarse_sums, mut fine_sums) = (stored(2 * p), stored(2 * p + 1));
            for (g, quad) in panel_quads.iter().enumerate().skip(chunks * QUADS) {
                let w = _mm512_load_si512(quad.0.as_ptr() as *const __m512i);
                let at = i * q.stride + 4 * g;
                let four = (c.add(at) as *const i32).read_unaligned();
                coarse_sums = _mm512_dpbusd_epi32(coarse_sums, _mm512_set1_epi32(four), w);
                let four = (f.add(at) as *const i32).read_unaligned();
                fine_sums = _mm512_dpbusd_epi32(fine_sums, _mm512_set1_epi32(four), w);
            }
            store_int8_dot_row(tile, &q, i, p, coarse_sums, fine_sums, scales, offsets);
        }
    }
}
