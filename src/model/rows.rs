//! Row gathers done in place: how beam reordering and finished sentences cost almost nothing.
//!
//! Decoder caches are tensors whose first dimension is the row (one row per beam, or per sentence
//! for cross-attention keys and values). After every beam-search step, row `i` of the cache must
//! hold what row `src[i]` held; when sentences finish, the surviving rows move down. Allocating a
//! gathered copy of every cache at every step would copy the whole history of every layer each
//! time; instead rows are copied in place, and only the rows whose source differs from their own
//! index are touched — with beams assigned to their parents' slots, that is usually few.
//!
//! The in-place path exists for CPU storage (a candle `InplaceOp1`); other devices fall back to
//! `index_select`, which allocates a gathered copy.

use candle_core::{CpuStorage, InplaceOp1, Layout, Tensor};
use rayon::prelude::*;

/// How the elements of one row that must be preserved are laid out.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RowLayout {
    /// Elements between the starts of consecutive rows.
    pub row_stride: usize,
    /// Number of separate runs of live elements in a row (one per head for a KV cache).
    pub segments: usize,
    /// Elements between the starts of consecutive runs.
    pub segment_stride: usize,
    /// Live elements per run (the filled positions of a KV cache).
    pub segment_len: usize,
}

/// The in-place gather: new row `i` takes the live elements of old row `src[i]`.
struct GatherRows<'a> {
    src: &'a [usize],
    layout: RowLayout,
}

/// Bytes moved below which a gather runs on the calling thread alone.
const PARALLEL_GATHER_MIN_BYTES: usize = 1 << 16;

impl GatherRows<'_> {
    fn apply<T: Copy + Send + Sync>(&self, data: &mut [T]) {
        let RowLayout {
            row_stride,
            segments,
            segment_stride,
            segment_len,
        } = self.layout;
        let n = self.src.len();
        let moved = |row: usize| row < n && self.src[row] != row;
        // Sources that will be overwritten before they are read are saved first, their segments
        // one after the other.
        let mut saved: Vec<(usize, Vec<T>)> = Vec::new();
        for (dst, &src) in self.src.iter().enumerate() {
            if src != dst && moved(src) && !saved.iter().any(|(row, _)| *row == src) {
                let mut copy = Vec::with_capacity(segments * segment_len);
                for s in 0..segments {
                    let start = src * row_stride + s * segment_stride;
                    copy.extend_from_slice(&data[start..start + segment_len]);
                }
                saved.push((src, copy));
            }
        }
        // Each moved row is written by one job, which reads a saved copy or a row that no job
        // writes: the rows split into the written and the read, and the copies can run at once.
        let mut targets: Vec<(usize, &mut [T])> = Vec::new();
        let mut unmoved: Vec<Option<&[T]>> = Vec::new();
        for (row, values) in data.chunks_mut(row_stride).enumerate() {
            if moved(row) {
                targets.push((row, values));
                unmoved.push(None);
            } else {
                unmoved.push(Some(values));
            }
        }
        let copy_row = |(dst, target): (usize, &mut [T])| {
            let src = self.src[dst];
            let (from, from_stride) = match saved.iter().find(|(row, _)| *row == src) {
                Some((_, copy)) => (copy.as_slice(), segment_len),
                None => (unmoved[src].expect("an unmoved source row"), segment_stride),
            };
            for s in 0..segments {
                let to = s * segment_stride;
                let at = s * from_stride;
                target[to..to + segment_len].copy_from_slice(&from[at..at + segment_len]);
            }
        };
        let bytes = targets.len() * segments * segment_len * size_of::<T>();
        if bytes < PARALLEL_GATHER_MIN_BYTES {
            targets.into_iter().for_each(copy_row);
        } else {
            targets.into_par_iter().for_each(copy_row);
        }
    }
}

impl InplaceOp1 for GatherRows<'_> {
    fn name(&self) -> &'static str {
        "gather-rows-in-place"
    }

    fn cpu_fwd(&self, storage: &mut CpuStorage, layout: &Layout) -> candle_core::Result<()> {
        if !layout.is_contiguous() {
            candle_core::bail!("gather-rows-in-place needs a contiguous tensor");
        }
        let offset = layout.start_offset();
        match storage {
            CpuStorage::F32(data) => self.apply(&mut data[offset..]),
            CpuStorage::F16(data) => self.apply(&mut data[offset..]),
            CpuStorage::BF16(data) => self.apply(&mut data[offset..]),
            CpuStorage::F64(data) => self.apply(&mut data[offset..]),
            _ => candle_core::bail!("gather-rows-in-place: unsupported dtype"),
        }
        Ok(())
    }
}

/// Makes row `i` of `tensor` hold what row `src[i]` held, for `i < src.len()`, and returns the
/// tensor to use from now on (the same storage on CPU; a gathered copy elsewhere, whose first
/// dimension is then `src.len()`). Only the live elements described by `layout` are preserved.
pub(crate) fn gather_rows(
    tensor: &Tensor,
    src: &[usize],
    layout: RowLayout,
) -> candle_core::Result<Tensor> {
    if src.iter().enumerate().all(|(i, &s)| i == s) {
        return Ok(tensor.clone());
    }
    let rows = tensor.dim(0)?;
    if src.len() > rows || src.iter().any(|&s| s >= rows) {
        candle_core::bail!("gather-rows: row index out of range ({src:?} for {rows} rows)");
    }
    if tensor.device().is_cpu() && tensor.is_contiguous() {
        tensor.inplace_op1(&GatherRows { src, layout })?;
        Ok(tensor.clone())
    } else {
        gather_rows_by_copy(tensor, src)
    }
}

/// The allocating equivalent of [`gather_rows`], for devices without the in-place path.
pub(crate) fn gather_rows_by_copy(tensor: &Tensor, src: &[usize]) -> candle_core::Result<Tensor> {
    let index: Vec<u32> = src.iter().map(|&s| s as u32).collect();
    let index = Tensor::from_vec(index, src.len(), tensor.device())?;
    tensor.index_select(&index, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    /// A [rows, 2 segments, 3 positions] tensor whose values encode row, segment and position.
    fn numbered(rows: usize) -> Tensor {
        let data: Vec<f32> = (0..rows * 6).map(|i| i as f32).collect();
        Tensor::from_vec(data, (rows, 2, 3), &Device::Cpu).unwrap()
    }

    const LAYOUT: RowLayout = RowLayout {
        row_stride: 6,
        segments: 2,
        segment_stride: 3,
        segment_len: 2,
    };

    #[test]
    fn in_place_gather_matches_index_select_on_live_elements() {
        let maps: [&[usize]; 6] = [
            &[1, 0, 3, 2],
            &[0, 0, 0, 0],
            &[3, 3, 1, 0],
            &[2, 0, 1],
            &[1, 3],
            &[0, 2, 2, 1],
        ];
        for src in maps {
            let expected = gather_rows_by_copy(&numbered(4), src).unwrap();
            let tensor = numbered(4);
            let gathered = gather_rows(&tensor, src, LAYOUT).unwrap();
            let got = gathered.narrow(0, 0, src.len()).unwrap();
            // Positions 0..2 of each segment are live; position 2 is not preserved.
            let live = |t: &Tensor| t.narrow(2, 0, 2).unwrap().to_vec3::<f32>().unwrap();
            assert_eq!(live(&got), live(&expected), "map {src:?}");
        }
    }

    #[test]
    fn large_gathers_copy_rows_in_parallel_with_the_same_result() {
        // Rows of 4 segments × 4096 positions, 4000 live: every map below moves at least two
        // rows, over the parallel threshold.
        let (rows, segments, capacity, live) = (8, 4, 4096, 4000);
        assert!(2 * segments * live * size_of::<f32>() >= PARALLEL_GATHER_MIN_BYTES);
        let numbered = || {
            let data: Vec<f32> = (0..rows * segments * capacity).map(|i| i as f32).collect();
            Tensor::from_vec(data, (rows, segments, capacity), &Device::Cpu).unwrap()
        };
        let layout = RowLayout {
            row_stride: segments * capacity,
            segments,
            segment_stride: capacity,
            segment_len: live,
        };
        let maps: [&[usize]; 4] = [
            &[1, 2, 3, 4, 5, 6, 7, 0],
            &[7, 7, 7, 7, 0, 0, 0, 0],
            &[0, 0, 1, 1, 2, 2, 3, 3],
            &[5, 4],
        ];
        for src in maps {
            let expected = gather_rows_by_copy(&numbered(), src).unwrap();
            let gathered = gather_rows(&numbered(), src, layout).unwrap();
            let got = gathered.narrow(0, 0, src.len()).unwrap();
            let live = |t: &Tensor| t.narrow(2, 0, live).unwrap().to_vec3::<f32>().unwrap();
            assert_eq!(live(&got), live(&expected), "map {src:?}");
        }
    }

    #[test]
    fn out_of_range_source_is_an_error() {
        assert!(gather_rows(&numbered(2), &[0, 2], LAYOUT).is_err());
    }
}
