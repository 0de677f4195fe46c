//! What a decoding keeps between steps: the self-attention caches of its rows, the
//! cross-attention keys and values of its sentences and the source mask, rearranged in place
//! when beams change parents or sentences finish (see `rows`).

use super::super::rows::{gather_rows, gather_rows_by_copy, RowLayout};
use super::Context;
use crate::{Error, Result};
use candle_core::{DType, Device, Tensor};

/// The decoder's self-attention keys and values of one layer, preallocated as
/// `[row capacity, heads, position capacity, head_dim]`.
#[derive(Debug, Clone)]
pub(super) struct KvCache {
    pub(super) keys: Tensor,
    pub(super) values: Tensor,
}

impl KvCache {
    pub(super) fn new(
        rows: usize,
        heads: usize,
        positions: usize,
        hd: usize,
        dtype: DType,
        device: &Device,
    ) -> candle_core::Result<Self> {
        Ok(Self {
            keys: Tensor::zeros((rows, heads, positions, hd), dtype, device)?,
            values: Tensor::zeros((rows, heads, positions, hd), dtype, device)?,
        })
    }

    fn positions(&self) -> usize {
        self.keys.dims()[2]
    }

    /// Makes room for at least `needed` positions, keeping the first `filled`.
    pub(super) fn reserve(&mut self, needed: usize, limit: usize) -> candle_core::Result<()> {
        let capacity = self.positions();
        if needed <= capacity {
            return Ok(());
        }
        let new_capacity = (capacity * 2).max(needed).min(limit.max(needed));
        let (rows, heads, _, hd) = self.keys.dims4()?;
        let grown = Self::new(
            rows,
            heads,
            new_capacity,
            hd,
            self.keys.dtype(),
            self.keys.device(),
        )?;
        grown.keys.slice_set(&self.keys, 2, 0)?;
        grown.values.slice_set(&self.values, 2, 0)?;
        *self = grown;
        Ok(())
    }

    /// Writes this step's keys and values (`qkv` `[rows, 3·d]`, keys and values after the
    /// queries) at `position` of the first `rows` rows.
    pub(super) fn write(
        &self,
        qkv: &Tensor,
        heads: usize,
        position: usize,
    ) -> candle_core::Result<()> {
        let (rows, width) = qkv.dims2()?;
        let d = width / 3;
        let hd = d / heads;
        let k = qkv.narrow(1, d, d)?.reshape((rows, heads, 1, hd))?;
        let v = qkv.narrow(1, 2 * d, d)?.reshape((rows, heads, 1, hd))?;
        self.keys.narrow(0, 0, rows)?.slice_set(&k, 2, position)?;
        self.values.narrow(0, 0, rows)?.slice_set(&v, 2, position)
    }

    fn row_layout(&self, filled: usize) -> RowLayout {
        let (_, heads, positions, hd) = self.keys.dims4().expect("rank 4");
        RowLayout {
            row_stride: heads * positions * hd,
            segments: heads,
            segment_stride: positions * hd,
            segment_len: filled * hd,
        }
    }
}

/// Everything one decoding needs between steps: the cross-attention keys and values of its
/// sentences, the source mask, and the self-attention caches of its rows.
///
/// Rows are grouped by sentence: the rows of live sentence `s` are `s·beams .. (s+1)·beams`.
#[derive(Debug)]
pub struct DecoderState {
    /// Live sentences.
    pub(super) sentences: usize,
    /// Rows per sentence.
    pub(super) beams: usize,
    /// Tokens fed so far: the position of the next decoder input.
    pub(super) position: usize,
    /// Most decoder steps this state may run (bounded by `max_position_embeddings`).
    pub(super) max_steps: usize,
    /// Additive source mask `[sentence capacity, 1, 1, L]`.
    pub(super) mask: Tensor,
    /// Per decoder layer: keys and values of the encoder output, `[sentence capacity, heads, L, hd]`.
    pub(super) cross: Vec<(Tensor, Tensor)>,
    /// Per decoder layer.
    pub(super) caches: Vec<KvCache>,
}

impl DecoderState {
    /// Live sentences.
    pub fn sentences(&self) -> usize {
        self.sentences
    }

    /// Rows per live sentence.
    pub fn beams(&self) -> usize {
        self.beams
    }

    /// Rows (sentences × beams).
    pub fn rows(&self) -> usize {
        self.sentences * self.beams
    }

    /// Decoder steps run so far.
    pub fn position(&self) -> usize {
        self.position
    }

    /// Rearranges the state for the next step: new row `i` continues old row `rows[i]`, new
    /// sentence `j` is old sentence `sentences[j]`. `rows` must list, sentence by sentence, rows of
    /// the sentence it continues, and the same number of rows for every sentence.
    pub fn reorder(&mut self, rows: &[usize], sentences: &[usize]) -> Result<()> {
        let invalid = |problem: String| {
            Error::compute("reordering decoder rows", candle_core::Error::Msg(problem))
        };
        if sentences.is_empty() {
            if !rows.is_empty() {
                return Err(invalid("rows given without sentences".into()));
            }
            self.sentences = 0;
            return Ok(());
        }
        if !rows.len().is_multiple_of(sentences.len()) {
            return Err(invalid(format!(
                "{} rows for {} sentences",
                rows.len(),
                sentences.len()
            )));
        }
        let beams = rows.len() / sentences.len();
        for (i, &row) in rows.iter().enumerate() {
            let old_sentence = row / self.beams;
            let ok = row < self.rows() && sentences.get(i / beams) == Some(&old_sentence);
            if !ok {
                return Err(invalid(format!("row {i} cannot continue old row {row}")));
            }
        }
        if sentences.iter().enumerate().any(|(j, &s)| s != j) {
            self.mask =
                gather_rows_by_copy(&self.mask, sentences).context("reordering the source mask")?;
            for (keys, values) in &mut self.cross {
                let (_, heads, len, hd) = keys.dims4().context("reordering cross-attention")?;
                let layout = RowLayout {
                    row_stride: heads * len * hd,
                    segments: 1,
                    segment_stride: 0,
                    segment_len: heads * len * hd,
                };
                *keys =
                    gather_rows(keys, sentences, layout).context("reordering cross-attention")?;
                *values =
                    gather_rows(values, sentences, layout).context("reordering cross-attention")?;
            }
        }
        for cache in &mut self.caches {
            let layout = cache.row_layout(self.position);
            cache.keys =
                gather_rows(&cache.keys, rows, layout).context("reordering the decoder cache")?;
            cache.values =
                gather_rows(&cache.values, rows, layout).context("reordering the decoder cache")?;
        }
        self.sentences = sentences.len();
        self.beams = beams;
        Ok(())
    }
}
