//! Batching by length: items sorted by length and cut into batches under an item count and a
//! token budget, then the results put back in input order, checking that every item got exactly
//! one. This is passeur's one batching rule (after CTranslate2's `rebatch_input`), used at two
//! levels:
//!
//! * the engine ([`Translator`](crate::translate::Translator)) cuts the sentences of one call into
//!   model batches, longest first, under `max_batch_sentences` and `max_batch_tokens` (padding
//!   included), so padding stays small and the decoder caches stay bounded;
//! * the document [`Pipeline`](crate::pipeline::Pipeline) and the batch runner cut a document's
//!   (or a wave of documents') requests into calls to the translator, shortest first, a fixed
//!   number per call, so that each call is a batch of similar lengths and progress can be
//!   reported between calls.

use crate::{Error, Result};

/// In which order of length the batches are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LengthOrder {
    /// Longest first: the first batch is the most expensive, so a memory problem shows at once.
    #[cfg_attr(not(feature = "engine"), allow(dead_code))]
    LongestFirst,
    /// Shortest first: quick results early, for progress.
    ShortestFirst,
}

/// The limits of one batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BatchLimits {
    /// Most items in one batch (at least one is always taken).
    pub max_items: usize,
    /// Most tokens in one batch, padding included: its longest item's length times its items.
    /// An item longer than this makes a batch of its own.
    pub max_tokens: usize,
    /// The order of the batches, and of the items inside them.
    pub order: LengthOrder,
}

/// The indices of `lengths` sorted by length in `limits.order` (equal lengths keep their input
/// order) and cut into batches under `limits`. Every index is in exactly one batch.
pub(crate) fn rebatch(lengths: &[usize], limits: &BatchLimits) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..lengths.len()).collect();
    match limits.order {
        LengthOrder::LongestFirst => order.sort_by_key(|&i| std::cmp::Reverse(lengths[i])),
        LengthOrder::ShortestFirst => order.sort_by_key(|&i| lengths[i]),
    }
    let mut batches: Vec<Vec<usize>> = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    let mut longest = 0;
    for index in order {
        let len = lengths[index];
        let padded = longest.max(len).saturating_mul(current.len() + 1);
        let fits = current.len() < limits.max_items && padded <= limits.max_tokens;
        if !fits && !current.is_empty() {
            batches.push(std::mem::take(&mut current));
            longest = 0;
        }
        longest = longest.max(len);
        current.push(index);
    }
    if !current.is_empty() {
        batches.push(current);
    }
    batches
}

/// The results of batches, put back in input order.
#[derive(Debug)]
pub(crate) struct Reordered<T> {
    slots: Vec<Option<T>>,
}

impl<T> Reordered<T> {
    /// Room for the results of `len` items.
    pub(crate) fn new(len: usize) -> Self {
        Reordered {
            slots: std::iter::repeat_with(|| None).take(len).collect(),
        }
    }

    /// Stores the `results` of the items `batch`, in the batch's order; an error, naming `step`,
    /// unless there is exactly one result per item.
    pub(crate) fn put(
        &mut self,
        batch: &[usize],
        results: Vec<T>,
        step: &'static str,
    ) -> Result<()> {
        let results = check_count(results, batch.len(), step)?;
        for (&index, result) in batch.iter().zip(results) {
            self.slots[index] = Some(result);
        }
        Ok(())
    }

    /// Every result, in input order.
    ///
    /// # Panics
    ///
    /// If an item was in no batch given to [`put`](Self::put): every index of [`rebatch`] must be
    /// put.
    pub(crate) fn finish(self) -> Vec<T> {
        self.slots
            .into_iter()
            .map(|slot| slot.expect("every item was in one batch"))
            .collect()
    }
}

/// `results` if there are exactly `expected` of them, else [`Error::TranslationCount`] naming
/// `step`: the contract of every translator (one translation per input, in order), checked here
/// only.
pub(crate) fn check_count<T>(
    results: Vec<T>,
    expected: usize,
    step: &'static str,
) -> Result<Vec<T>> {
    if results.len() != expected {
        return Err(Error::TranslationCount {
            expected,
            got: results.len(),
            step,
        });
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example: batches by length, answers put back in input order.
    #[test]
    fn batches_by_length_and_answers_back_in_order() {
        let lengths = [3, 9, 1, 9, 4];
        let limits = BatchLimits {
            max_items: 2,
            max_tokens: 100,
            order: LengthOrder::LongestFirst,
        };
        let batches = rebatch(&lengths, &limits);
        assert_eq!(batches, [vec![1, 3], vec![4, 0], vec![2]]);

        let mut results = Reordered::new(lengths.len());
        for batch in &batches {
            let answers: Vec<usize> = batch.iter().map(|&i| lengths[i] * 10).collect();
            results.put(batch, answers, "example").unwrap();
        }
        assert_eq!(results.finish(), [30, 90, 10, 90, 40]);
    }

    fn limits(max_items: usize, max_tokens: usize, order: LengthOrder) -> BatchLimits {
        BatchLimits {
            max_items,
            max_tokens,
            order,
        }
    }

    #[test]
    fn batches_respect_both_limits_and_cover_every_item_once() {
        let lengths = [5, 1, 8, 8, 2, 30, 3, 5];
        for max_items in 1..5 {
            for max_tokens in [1, 10, 16, 24, 100] {
                for order in [LengthOrder::LongestFirst, LengthOrder::ShortestFirst] {
                    let batches = rebatch(&lengths, &limits(max_items, max_tokens, order));
                    let mut seen: Vec<usize> = batches.iter().flatten().copied().collect();
                    seen.sort();
                    assert_eq!(seen, (0..lengths.len()).collect::<Vec<_>>());
                    for batch in &batches {
                        let longest = batch.iter().map(|&i| lengths[i]).max().unwrap();
                        assert!(batch.len() <= max_items);
                        assert!(
                            batch.len() == 1 || longest * batch.len() <= max_tokens,
                            "{batch:?} over {max_tokens}"
                        );
                    }
                    let flat: Vec<usize> = batches.iter().flatten().map(|&i| lengths[i]).collect();
                    let sorted = match order {
                        LengthOrder::LongestFirst => flat.windows(2).all(|w| w[0] >= w[1]),
                        LengthOrder::ShortestFirst => flat.windows(2).all(|w| w[0] <= w[1]),
                    };
                    assert!(sorted, "{flat:?}");
                }
            }
        }
    }

    #[test]
    fn equal_lengths_keep_their_order_and_padding_counts() {
        let batches = rebatch(&[2, 2, 2, 2], &limits(10, 6, LengthOrder::LongestFirst));
        assert_eq!(batches, [vec![0, 1, 2], vec![3]]);
        // 1 then 10: the second item would make 2 × 10 = 20 padded tokens.
        let batches = rebatch(&[1, 10], &limits(10, 19, LengthOrder::ShortestFirst));
        assert_eq!(batches, [vec![0], vec![1]]);
        assert!(rebatch(&[], &limits(4, 4, LengthOrder::ShortestFirst)).is_empty());
        let budget = usize::MAX - 1;
        let huge = rebatch(
            &[usize::MAX, 3],
            &limits(4, budget, LengthOrder::LongestFirst),
        );
        assert_eq!(huge, [vec![0], vec![1]], "no overflow");
        let unlimited = rebatch(
            &[usize::MAX, 3],
            &limits(4, usize::MAX, LengthOrder::LongestFirst),
        );
        assert_eq!(unlimited, [vec![0, 1]], "usize::MAX tokens: no token limit");
    }

    #[test]
    fn a_wrong_count_is_an_error_naming_the_step() {
        let mut results = Reordered::new(2);
        let err = results.put(&[0, 1], vec!["a"], "a test").unwrap_err();
        assert!(matches!(
            err,
            Error::TranslationCount {
                expected: 2,
                got: 1,
                step: "a test"
            }
        ));
    }
}
