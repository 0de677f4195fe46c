//! SentencePiece's precompiled character map: the normalisation rules (`nmt_nfkc` and friends) that a
//! `.spm` file carries as one blob.
//!
//! The blob is `<u32 little-endian: trie size in bytes><double-array trie><replacement strings>`. The
//! trie is a darts-clone double array whose keys are UTF-8 byte sequences and whose values are offsets
//! of NUL-terminated replacement strings. SentencePiece replaces, at each position, the *longest*
//! matching key; we do the same, so that normalised text is byte for byte what SentencePiece makes.
//!
//! A corrupt blob must never panic: every array access is checked, and a rule whose replacement lies
//! outside the blob or is not UTF-8 is treated as absent.

/// Most matches SentencePiece considers at one position (its `kMaxTrieResultsSize`).
const MAX_MATCHES: usize = 32;

/// The precompiled normalisation rules of one SentencePiece model.
#[derive(Debug, Clone)]
pub(crate) struct CharsMap {
    units: Vec<u32>,
    replacements: Vec<u8>,
}

impl CharsMap {
    /// Splits the blob into trie and replacement strings; `Err` says what is wrong with it.
    pub(crate) fn parse(blob: &[u8]) -> Result<Self, String> {
        let Some((size_bytes, rest)) = blob.split_first_chunk::<4>() else {
            return Err("the precompiled charsmap is shorter than its 4-byte header".into());
        };
        let trie_size = u32::from_le_bytes(*size_bytes) as usize;
        if trie_size >= blob.len() || trie_size > rest.len() {
            return Err(format!(
                "the precompiled charsmap announces a {trie_size}-byte trie but holds only {} bytes",
                rest.len()
            ));
        }
        let (trie, replacements) = rest.split_at(trie_size);
        let units = trie
            .chunks_exact(4)
            .map(|unit| u32::from_le_bytes([unit[0], unit[1], unit[2], unit[3]]))
            .collect();
        let map = CharsMap {
            units,
            replacements: replacements.to_vec(),
        };
        if !map.is_valid() {
            return Err(
                "the precompiled charsmap is invalid (its trie points outside itself)".into(),
            );
        }
        Ok(map)
    }

    /// darts-clone's `validate`, which SentencePiece runs before trusting a charsmap: the root is a
    /// proper root, every transition stays inside the array, every value inside the strings.
    fn is_valid(&self) -> bool {
        let size = self.units.len();
        let Some(&root) = self.units.first() else {
            return false;
        };
        if label(root) != 0 || has_leaf(root) || self.offset(root) == 0 {
            return false;
        }
        if (self.offset(root) as usize | 0xFF) >= size {
            return false;
        }
        self.units.iter().enumerate().skip(1).all(|(i, &unit)| {
            if label(unit) <= 0xFF {
                let child = i ^ self.offset(unit) as usize;
                (child | 0xFF) < size && (!has_leaf(unit) || label(self.units[child]) > 0xFF)
            } else {
                ((unit & ((1 << 31) - 1)) as usize) < self.replacements.len()
            }
        })
    }

    /// The longest rule matching a prefix of `input`: (bytes of `input` it covers, replacement).
    pub(crate) fn longest_match<'a>(&'a self, input: &[u8]) -> Option<(usize, &'a str)> {
        let mut best: Option<(usize, u32)> = None;
        let mut matches = 0;
        let mut node = self.offset(self.unit(0)?) as usize;
        for (i, &byte) in input.iter().enumerate() {
            node ^= byte as usize;
            let unit = self.unit(node)?;
            if label(unit) != byte as u32 {
                break;
            }
            node ^= self.offset(unit) as usize;
            if has_leaf(unit) {
                if matches < MAX_MATCHES {
                    let value = self.unit(node)? & ((1 << 31) - 1);
                    best = Some((i + 1, value));
                }
                matches += 1;
            }
        }
        let (length, value) = best?;
        Some((length, self.replacement(value as usize)?))
    }

    fn unit(&self, index: usize) -> Option<u32> {
        self.units.get(index).copied()
    }

    fn offset(&self, unit: u32) -> u32 {
        (unit >> 10) << ((unit & (1 << 9)) >> 6)
    }

    fn replacement(&self, start: usize) -> Option<&str> {
        let tail = self.replacements.get(start..)?;
        let end = tail.iter().position(|&b| b == 0).unwrap_or(tail.len());
        std::str::from_utf8(&tail[..end]).ok()
    }
}

fn has_leaf(unit: u32) -> bool {
    (unit >> 8) & 1 == 1
}

fn label(unit: u32) -> u32 {
    unit & ((1 << 31) | 0xFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_blobs_too_short_for_their_header() {
        assert!(CharsMap::parse(&[]).is_err());
        assert!(CharsMap::parse(&[8, 0, 0, 0, 1, 2]).is_err());
        assert!(CharsMap::parse(&[9, 0, 0, 0, 1, 2, 3, 4]).is_err());
    }

    #[test]
    fn garbage_tries_are_rejected() {
        let mut blob = 16u32.to_le_bytes().to_vec();
        for unit in [0xFFFF_FFFFu32, 0x0000_0141, 0x8000_0000, 0x0040_0061] {
            blob.extend_from_slice(&unit.to_le_bytes());
        }
        blob.extend_from_slice(b"x\0");
        assert!(CharsMap::parse(&blob).is_err());
    }
}
