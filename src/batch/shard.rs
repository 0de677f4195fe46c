//! `--shard K/N`: a deterministic part of a folder, so N processes or machines can split it.
//!
//! An input belongs to shard `K` of `N` when the first eight bytes of the SHA-256 of its relative
//! path (components joined by `/`, as UTF-8), read as a big-endian integer, leave `K - 1` when
//! divided by `N`. That depends on nothing but the path: every machine computes the same split,
//! with no coordination, whatever order the directory is listed in, and an input keeps its shard
//! when other files are added or removed. Shards are numbered from 1 (`1/4` … `4/4`), like Slurm
//! array tasks and GNU parallel's `{#}`.
//!
//! `auto` takes the shard from the job scheduler ([`Shard::parse_with_env`]): a Slurm job array
//! gives K and N (`SLURM_ARRAY_TASK_ID`, `SLURM_ARRAY_TASK_MIN`, `SLURM_ARRAY_TASK_STEP`,
//! `SLURM_ARRAY_TASK_COUNT`), whatever the array's first index (`--array=0-7` and `--array=1-8`
//! both give shards 1/8 … 8/8); a Kubernetes Indexed Job gives K (`JOB_COMPLETION_INDEX`, from 0)
//! but not N, which is written after it: `auto/8`.

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

    /// Parses `K/N`, `auto` or `auto/N` (see the module docs), reading the scheduler's variables
    /// through `env` (`|name| std::env::var(name).ok()` for the process's own).
    pub fn parse_with_env(value: &str, env: impl Fn(&str) -> Option<String>) -> Result<Shard> {
        let Some(rest) = value.trim().strip_prefix("auto") else {
            return value.parse();
        };
        let count = match rest.strip_prefix('/') {
            Some(count) => Some(count.trim().parse::<u32>().map_err(|_| {
                bad_shard(
                    value,
                    &format!("`{count}` after `auto/` is not a whole number"),
                )
            })?),
            None if rest.is_empty() => None,
            None => return Err(bad_shard(value, "write `auto` or `auto/N`")),
        };
        let number = |name: &str| -> Result<Option<i64>> {
            env(name)
                .map(|text| {
                    text.trim().parse::<i64>().map_err(|_| {
                        bad_shard(value, &format!("{name}=`{text}` is not a whole number"))
                    })
                })
                .transpose()
        };
        let (index, count) = if let Some(id) = number("SLURM_ARRAY_TASK_ID")? {
            let min = number("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
            let step = number("SLURM_ARRAY_TASK_STEP")?.unwrap_or(1).max(1);
            let tasks = number("SLURM_ARRAY_TASK_COUNT")?;
            let count = match (count, tasks) {
                (Some(count), _) => i64::from(count),
                (None, Some(tasks)) => tasks,
                (None, None) => {
                    return Err(bad_shard(
                        value,
                        "SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; write \
                         `auto/N`",
                    ))
                }
            };
            if (id - min) % step != 0 {
                return Err(bad_shard(
                    value,
                    "the Slurm array is not an evenly stepped range (such as --array=0-7); \
                     write --shard K/N",
                ));
            }
            ((id - min) / step + 1, count)
        } else if let Some(index) = number("JOB_COMPLETION_INDEX")? {
            let Some(count) = count else {
                return Err(bad_shard(
                    value,
                    "JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) gives the index but not the \
                     number of shards: write `auto/N` with N the job's completions",
                ));
            };
            (index + 1, i64::from(count))
        } else {
            return Err(bad_shard(
                value,
                "no job scheduler says which shard this is (neither SLURM_ARRAY_TASK_ID nor \
                 JOB_COMPLETION_INDEX is set)",
            ));
        };
        let (Ok(index), Ok(count)) = (u32::try_from(index), u32::try_from(count)) else {
            return Err(bad_shard(value, "the scheduler's numbers are out of range"));
        };
        check(index, count).map_err(|problem| {
            bad_shard(
                value,
                &format!("the scheduler gives shard {index} of {count}, and {problem}"),
            )
        })?;
        Ok(Shard { index, count })
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

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
        }
    }

    #[test]
    fn auto_takes_the_shard_from_slurm_or_kubernetes() {
        let shard = |value: &str, pairs: &[(&str, &str)]| {
            Shard::parse_with_env(value, env(pairs)).map(|s| s.to_string())
        };
        // --array=0-7 and --array=1-8: the same eight shards.
        for (id, min) in [("0", "0"), ("7", "0"), ("1", "1"), ("8", "1")] {
            let slurm = [
                ("SLURM_ARRAY_TASK_ID", id),
                ("SLURM_ARRAY_TASK_MIN", min),
                ("SLURM_ARRAY_TASK_COUNT", "8"),
            ];
            let expected = if id == min { "1/8" } else { "8/8" };
            assert_eq!(shard("auto", &slurm).unwrap(), expected);
        }
        // --array=0-14:2 has eight tasks, 0, 2, … 14.
        let stepped = [
            ("SLURM_ARRAY_TASK_ID", "6"),
            ("SLURM_ARRAY_TASK_MIN", "0"),
            ("SLURM_ARRAY_TASK_STEP", "2"),
            ("SLURM_ARRAY_TASK_COUNT", "8"),
        ];
        assert_eq!(shard("auto", &stepped).unwrap(), "4/8");
        let kubernetes = [("JOB_COMPLETION_INDEX", "3")];
        assert_eq!(shard("auto/5", &kubernetes).unwrap(), "4/5");
        assert_eq!(
            shard("2/5", &kubernetes).unwrap(),
            "2/5",
            "K/N ignores the scheduler"
        );
        for (value, pairs, reason) in [
            ("auto", &kubernetes[..], "auto/N"),
            ("auto", &[][..], "neither SLURM_ARRAY_TASK_ID"),
            (
                "auto/2",
                &[("JOB_COMPLETION_INDEX", "3")][..],
                "shard 4 of 2",
            ),
            ("auto/x", &kubernetes[..], "not a whole number"),
            ("autox", &kubernetes[..], "`auto` or `auto/N`"),
        ] {
            let err = shard(value, pairs).unwrap_err().to_string();
            assert!(
                err.contains(reason) && err.contains(value),
                "{value}: {err}"
            );
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
