//! Which weight layout candle's CPU matmul prefers for passeur's shapes (see notes/perf.md).
//!
//! ```text
//! RAYON_NUM_THREADS=2 cargo run --release --example matmul_layouts
//! ```
//!
//! Times `x · Wᵀ` with W stored as in the checkpoint (`[out, in]`, used through a transposed
//! view) against W pre-transposed to a contiguous `[in, out]` copy, for the output projection
//! (59514 × 512), a 512 × 512 projection and the 2048 × 512 feed-forward layer, at 1, 16 and 64
//! rows (greedy batch 1, greedy batch 16, beam 4 × batch 16). Random values; only time matters.

use candle_core::{Device, Tensor};
use std::time::Instant;

fn time(
    name: &str,
    reps: usize,
    mut f: impl FnMut() -> candle_core::Result<Tensor>,
) -> candle_core::Result<()> {
    f()?;
    let start = Instant::now();
    for _ in 0..reps {
        f()?;
    }
    println!(
        "{name:<40} {:8.3} ms",
        start.elapsed().as_secs_f64() * 1000.0 / reps as f64
    );
    Ok(())
}

fn main() -> candle_core::Result<()> {
    let dev = Device::Cpu;
    for (label, out, inp, reps) in [
        ("output projection 59514x512", 59514, 512, 10),
        ("projection 512x512", 512, 512, 200),
        ("fc1 2048x512", 2048, 512, 100),
    ] {
        let w = Tensor::randn(0f32, 0.02, (out, inp), &dev)?;
        let w_t = w.t()?.contiguous()?;
        for rows in [1usize, 16, 64] {
            let x = Tensor::randn(0f32, 1.0, (rows, inp), &dev)?;
            time(&format!("{label}, {rows} rows, [out,in].t()"), reps, || {
                x.matmul(&w.t()?)
            })?;
            time(&format!("{label}, {rows} rows, [in,out]"), reps, || {
                x.matmul(&w_t)
            })?;
        }
    }
    Ok(())
}
