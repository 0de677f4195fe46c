//! `--shard K/N`: a deterministic part of a folder, so N processes or machines can split it.
//!
//! An input belongs to shard `K` of `N` when the first eight bytes of the SHA-256 of its relative
//! path (components joined by `/`, as UTF-8), read as a big-endian integer, leave `K - 1` when
//! divided by `N`. That depends on nothing but the path: every machine computes the same split,
//! with no coordination, whatever order the directory is listed in, and an input keeps its shard
//! when other files are added or removed. Shards are numbered from 1 (`1/4` … `4/4`), like Slurm
//! array tasks and GNU parallel's `{#}`.

use crate::{Error, Result};
use sha2::{Digest, Sha256};
use std::str::FromStr;

/// Shard `index` of `count` (1 ≤ index ≤ count).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shard {
    index: u32,
    count: u32,
}

impl Shard {
    /// Shard `index` of `count`, numbered from 1.
    pub fn new(index: u32, count: u32) -> Result<Shard> {
        check(index, count).map_err(|problem| bad_shard(&format!("{index}/{count}"), problem))?;
        Ok(Shard { index, count })
    }

    /// The shard's number, from 1.
    pub fn index(self) -> u32 {
        self.index
    }

    /// How many shards there are.
    pub fn count(self) -> u32 {
        self.count
    }

    /// Whether the input at `relative_path` (components joined by `/`) is in this shard.
    pub fn contains(self, relative_path: &str) -> bool {
        let digest = Sha256::digest(relative_path.as_bytes());
        let prefix = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
        prefix % u64::from(self.count) == u64::from(self.index - 1)
    }

    /// `K-of-N`, for file names.
    pub fn label(self) -> String {
        format!("{}-of-{}", self.index, self.count)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = Error;

    /// Parses `K/N`.
    fn from_str(value: &str) -> Result<Shard> {
        let (index, count) = value
            .split_once('/')
            .ok_or_else(|| bad_shard(value, "there is no `/`"))?;
        let number = |part: &str| {
            part.trim()
                .parse::<u32>()
                .map_err(|_| bad_shard(value, &format!("`{part}` is not a whole number")))
        };
        let (index, count) = (number(index)?, number(count)?);
        check(index, count).map_err(|problem| bad_shard(value, problem))?;
        Ok(Shard { index, count })
    }
}

/// Why `index`/`count` is not a shard, if it is not.
fn check(index: u32, count: u32) -> std::result::Result<(), &'static str> {
    if count == 0 {
        Err("N must be at least 1")
    } else if index == 0 {
        Err("shards are numbered from 1")
    } else if index > count {
        Err("K is larger than N")
    } else {
        Ok(())
    }
}

fn bad_shard(value: &str, problem: &str) -> Error {
    Error::BadShard {
        value: value.to_string(),
        problem: problem.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_k_of_n_and_refuses_the_rest_with_the_reason() {
        let shard: Shard = "2/5".parse().unwrap();
        assert_eq!((shard.index(), shard.count()), (2, 5));
        assert_eq!(shard.to_string(), "2/5");
        assert_eq!(shard.label(), "2-of-5");
        for (value, reason) in [
            ("0/4", "numbered from 1"),
            ("5/4", "larger than N"),
            ("1/0", "at least 1"),
            ("3", "no `/`"),
            ("a/4", "`a` is not a whole number"),
            ("-1/4", "not a whole number"),
        ] {
            let err = value.parse::<Shard>().unwrap_err().to_string();
            assert!(err.contains(value), "{err}");
            assert!(err.contains(reason), "{value}: {err}");
        }
    }

    #[test]
    fn membership_is_the_sha256_prefix_modulo_n() {
        // sha256("a/b.txt") starts with 0x5550000d3b1cf1ff (checked with `printf a/b.txt |
        // sha256sum`); that number is 2 modulo 3, so the path is in shard 3/3.
        let in_shard: Vec<u32> = (1..=3)
            .filter(|&k| Shard::new(k, 3).unwrap().contains("a/b.txt"))
            .collect();
        assert_eq!(in_shard, [3]);
    }

    #[test]
    fn every_path_is_in_exactly_one_shard() {
        for n in 1..=7 {
            for i in 0..200 {
                let path = format!("dossier-{}/article-{i}.txt", i % 9);
                let owners = (1..=n)
                    .filter(|&k| Shard::new(k, n).unwrap().contains(&path))
                    .count();
                assert_eq!(owners, 1, "{path} in {owners} of {n} shards");
            }
        }
    }
}
