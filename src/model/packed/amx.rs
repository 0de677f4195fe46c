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

/// The tile palette for [`tile_int8_dot`] (`ldtilecfg`'s 64-byte operand): tmm0 and tmm1 the
/// coarse and fine sums (`rows` × 16 `i32`), tmm2 and tmm3 the coarse and fine activations
/// (`rows` × 64 bytes), tmm4 one chunk of weights (16 lines of 64 bytes).
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
        for t in 0..4 {
            config.bytes_per_row[t] = STEPS as u16;
            config.rows[t] = rows as u8;
        }
        config.bytes_per_row[4] = STEPS as u16;
        config.rows[4] = QUADS as u8;
        config
    }
}

/// `rows` (1..=16) rows of quantized activations against one panel of 8-bit weights, written
/// like [`super::avx512::tile_int8_dot`]'s: whole chunks of 64 steps in AMX tiles, the remaining
/// steps (fewer than 64) in VNNI dot products on the tile's sums.
///
/// # Safety
/// The CPU has AMX-TILE and AMX-INT8 and the process has the tile state (`crate::cpu`), and
/// AVX-512 F/BW/VNNI, AVX2 and FMA; `tile` satisfies `Kernel::tile`'s contract and carries
/// quantized rows.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni,avx2,fma")]
pub(super) unsafe fn tile_int8_dot(
    tile: &Tile,
    quads: &[PanelQuad],
    scales: &[f32; PANEL],
    offsets: &[i32; PANEL],
    rows: usize,
) {
    let q = tile
        .quantized
        .expect("int8 dot weights come with quantized rows");
    assert!((1..=TILE_ROWS).contains(&rows) && q.coarse.len() >= rows * q.stride);
    let chunks = quads.len() / QUADS;
    let mut coarse = [[0i32; PANEL]; TILE_ROWS];
    let mut fine = [[0i32; PANEL]; TILE_ROWS];
    if chunks > 0 {
        let config = TileConfig::for_rows(rows);
        // SAFETY (every block below): the palette is the one documented on `TileConfig`; each
        // load reads `rows` lines of 64 bytes inside the tile's activations (chunk `g` ends at
        // step 64·(g+1) ≤ the row's padded length) or 16 lines inside the panel's quads; the
        // stores write `rows` lines of 64 bytes into `coarse` and `fine`.
        asm!(
            "ldtilecfg [{config}]",
            "tilezero tmm0",
            "tilezero tmm1",
            config = in(reg) &config,
            options(nostack, readonly),
        );
        for g in 0..chunks {
            if !tile.next.is_null() {
                for line in 0..QUADS {
                    let at = (g * QUADS + line) * size_of::<PanelQuad>();
                    _mm_prefetch::<_MM_HINT_T0>(tile.next.wrapping_add(at) as *const i8);
                }
            }
            asm!(
                "tileloadd tmm2, [{coarse} + {stride} * 1]",
                "tileloadd tmm3, [{fine} + {stride} * 1]",
                "tileloadd tmm4, [{weights} + {line} * 1]",
                "tdpbusd tmm0, tmm2, tmm4",
                "tdpbusd tmm1, tmm3, tmm4",
                coarse = in(reg) q.coarse.as_ptr().add(g * STEPS),
                fine = in(reg) q.fine.as_ptr().add(g * STEPS),
                stride = in(reg) q.stride,
                weights = in(reg) quads.as_ptr().add(g * QUADS),
                line = in(reg) size_of::<PanelQuad>(),
                options(nostack, readonly),
            );
        }
        asm!(
            "tilestored [{coarse} + {line} * 1], tmm0",
            "tilestored [{fine} + {line} * 1], tmm1",
            "tilerelease",
            coarse = in(reg) coarse.as_mut_ptr(),
            fine = in(reg) fine.as_mut_ptr(),
            line = in(reg) PANEL * size_of::<i32>(),
            options(nostack),
        );
    }
    let (c, f) = (q.coarse.as_ptr(), q.fine.as_ptr());
    for i in 0..rows {
        let mut coarse_sums = _mm512_loadu_si512(coarse[i].as_ptr() as *const __m512i);
        let mut fine_sums = _mm512_loadu_si512(fine[i].as_ptr() as *const __m512i);
        for (g, quad) in quads.iter().enumerate().skip(chunks * QUADS) {
            let w = _mm512_load_si512(quad.0.as_ptr() as *const __m512i);
            let at = i * q.stride + 4 * g;
            let four = (c.add(at) as *const i32).read_unaligned();
            coarse_sums = _mm512_dpbusd_epi32(coarse_sums, _mm512_set1_epi32(four), w);
            let four = (f.add(at) as *const i32).read_unaligned();
            fine_sums = _mm512_dpbusd_epi32(fine_sums, _mm512_set1_epi32(four), w);
        }
        store_int8_dot_row(tile, &q, i, coarse_sums, fine_sums, scales, offsets);
    }
}
