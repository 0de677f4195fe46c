//! The one instruction-set decision of the CPU kernels, and the default thread count.
//!
//! Every vector kernel of passeur — the packed matrix products, the fused LayerNorm and
//! attention, log-sum-exp and top-k over the logits, the int8 paths — asks [`path`] which code
//! to run. The answer is decided once per process: the widest [`KernelPath`] this CPU supports,
//! restricted by the environment variable `PASSEUR_KERNEL` (`portable`, `avx2`, `avx512` or
//! `amx`, in any case), which can only take features away. Running another CPU's path on this
//! one is how the tests prove every path exact, and how a path is measured (`PASSEUR_KERNEL=avx2
//! scripts/compare`).
//!
//! [`describe`] says in one line which path runs and why; `passeur --version` prints it.
//!
//! AMX (Sapphire Rapids and later Xeons) needs the kernel's leave before a process may touch the
//! tile registers (Linux: `arch_prctl(ARCH_REQ_XCOMP_PERM)`); the detection asks for it, and a
//! CPU whose kernel refuses counts as AVX-512 only.

use std::sync::OnceLock;

/// A family of CPU kernels, from the most portable to the widest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KernelPath {
    /// Plain Rust loops, for every CPU.
    Portable,
    /// 256-bit AVX2 with FMA (x86-64 since Haswell / Zen 1); int8 in 16-bit multiply-adds.
    Avx2,
    /// 512-bit AVX-512 F/BW/VL/DQ with FMA (Skylake-SP and later Xeons, Zen 4 and later); int8
    /// in integer dot products where the CPU also has AVX-512 VNNI.
    Avx512,
    /// AVX-512 with VNNI, and AMX tiles (AMX-TILE, AMX-INT8: Sapphire Rapids and later Xeons)
    /// for int8 products of several rows; everything else as on `Avx512`.
    Amx,
}

impl KernelPath {
    /// Every path, narrowest first.
    pub const ALL: [KernelPath; 4] = [
        KernelPath::Portable,
        KernelPath::Avx2,
        KernelPath::Avx512,
        KernelPath::Amx,
    ];

    /// The name `PASSEUR_KERNEL` takes.
    pub fn name(self) -> &'static str {
        match self {
            KernelPath::Portable => "portable",
            KernelPath::Avx2 => "avx2",
            KernelPath::Avx512 => "avx512",
            KernelPath::Amx => "amx",
        }
    }
}

impl std::fmt::Display for KernelPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for KernelPath {
    type Err = String;

    /// A path's name in any case, blanks around it ignored (`AVX2` as CTranslate2's
    /// `CT2_FORCE_CPU_ISA` spells it).
    fn from_str(value: &str) -> Result<Self, String> {
        KernelPath::ALL
            .into_iter()
            .find(|path| path.name().eq_ignore_ascii_case(value.trim()))
            .ok_or_else(|| {
                format!("`{value}` is not a kernel path: use portable, avx2, avx512 or amx")
            })
    }
}

/// What the kernels of this process use (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cpu {
    /// The path the kernels run.
    pub path: KernelPath,
    /// The widest path this CPU supports.
    pub detected: KernelPath,
    /// Whether int8 products use 8-bit integer dot products (AVX-512 VNNI on the avx512 and amx
    /// paths; on amx, AMX tiles for products of several rows).
    pub int8_dot: bool,
    /// `PASSEUR_KERNEL` as set (empty when unset).
    pub requested: String,
    /// Why `requested` was not followed as is (an unknown value, or a path the CPU lacks).
    pub note: Option<String>,
}

/// The environment variable that restricts the kernel path.
pub const KERNEL_VARIABLE: &str = "PASSEUR_KERNEL";

impl Cpu {
    /// The decision for a CPU whose widest path is `detected` (with `vnni` integer dot products
    /// or not) when `PASSEUR_KERNEL` is `requested`.
    fn decide(detected: KernelPath, vnni: bool, requested: &str) -> Cpu {
        let (path, note) = match requested.trim() {
            "" => (detected, None),
            value => match value.parse::<KernelPath>() {
                Ok(asked) if asked <= detected => (asked, None),
                Ok(asked) => (
                    detected,
                    Some(format!(
                        "{KERNEL_VARIABLE}={asked} asks for more than this CPU has; {detected} runs"
                    )),
                ),
                Err(problem) => (
                    detected,
                    Some(format!("{KERNEL_VARIABLE}: {problem}; ignored")),
                ),
            },
        };
        Cpu {
            path,
            detected,
            int8_dot: path >= KernelPath::Avx512 && vnni,
            requested: requested.to_string(),
            note,
        }
    }

    fn detect() -> Cpu {
        let requested = std::env::var(KERNEL_VARIABLE).unwrap_or_default();
        #[cfg(target_arch = "x86_64")]
        {
            let avx2 = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
            let avx512 = avx2
                && is_x86_feature_detected!("avx512f")
                && is_x86_feature_detected!("avx512bw")
                && is_x86_feature_detected!("avx512vl")
                && is_x86_feature_detected!("avx512dq");
            let vnni = avx512 && is_x86_feature_detected!("avx512vnni");
            let detected = if vnni && amx_int8() && amx_permitted() {
                KernelPath::Amx
            } else if avx512 {
                KernelPath::Avx512
            } else if avx2 {
                KernelPath::Avx2
            } else {
                KernelPath::Portable
            };
            Cpu::decide(detected, vnni, &requested)
        }
        #[cfg(not(target_arch = "x86_64"))]
        Cpu::decide(KernelPath::Portable, false, &requested)
    }
}

/// Whether CPUID lists AMX-TILE and AMX-INT8 (leaf 7, EDX bits 24 and 25; `std` has no stable
/// detection for them yet).
#[cfg(target_arch = "x86_64")]
fn amx_int8() -> bool {
    let leaf7 = std::arch::x86_64::__cpuid_count(7, 0);
    leaf7.edx & (1 << 24) != 0 && leaf7.edx & (1 << 25) != 0
}

/// Asks Linux for the AMX tile data state (`arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA)`,
/// process-wide): without it the first tile instruction is a `SIGILL`. Other systems: no AMX.
#[cfg(target_arch = "x86_64")]
fn amx_permitted() -> bool {
    #[cfg(target_os = "linux")]
    {
        const ARCH_REQ_XCOMP_PERM: libc::c_long = 0x1023;
        const XFEATURE_XTILEDATA: libc::c_long = 18;
        // SAFETY: a request with two integer arguments; it only grows this process's permitted
        // register state.
        let status = unsafe {
            libc::syscall(
                libc::SYS_arch_prctl,
                ARCH_REQ_XCOMP_PERM,
                XFEATURE_XTILEDATA,
            )
        };
        status == 0
    }
    #[cfg(not(target_os = "linux"))]
    false
}

/// The decision of this process, made on first use.
pub fn cpu() -> &'static Cpu {
    static DECIDED: OnceLock<Cpu> = OnceLock::new();
    DECIDED.get_or_init(Cpu::detect)
}

/// The kernel path of this process.
#[inline]
pub fn path() -> KernelPath {
    cpu().path
}

/// Whether the kernels of this process may use AVX2 and FMA (the avx2 and avx512 paths).
#[inline]
#[cfg_attr(not(feature = "engine"), allow(dead_code))]
pub(crate) fn has_avx2() -> bool {
    path() >= KernelPath::Avx2
}

/// The problem with `PASSEUR_KERNEL`, if its value is not a kernel path (the kernels then
/// ignore it); a path the CPU lacks is not an error (the widest the CPU has runs).
pub fn environment_problem() -> Option<String> {
    let cpu = cpu();
    (!cpu.requested.trim().is_empty())
        .then(|| cpu.requested.parse::<KernelPath>().err())
        .flatten()
        .map(|problem| format!("{KERNEL_VARIABLE}: {problem}"))
}

/// One line on the kernels of this process, e.g. `kernels: avx512 (int8: AVX-512 VNNI dot
/// products; this CPU: avx512)`.
pub fn describe() -> String {
    let cpu = cpu();
    let int8 = match cpu.path {
        KernelPath::Amx => "AMX tiles, AVX-512 VNNI dot products for a few rows",
        KernelPath::Avx512 if cpu.int8_dot => "AVX-512 VNNI dot products",
        KernelPath::Avx512 | KernelPath::Avx2 => "AVX2 16-bit multiply-adds",
        KernelPath::Portable => "weights widened to f32",
    };
    let mut line = format!(
        "kernels: {} (int8: {int8}; this CPU: {}",
        cpu.path, cpu.detected
    );
    if !cpu.requested.trim().is_empty() && cpu.note.is_none() {
        line.push_str(&format!(
            "; restricted by {KERNEL_VARIABLE}={}",
            cpu.requested.trim()
        ));
    }
    if let Some(note) = &cpu.note {
        line.push_str(&format!("; {note}"));
    }
    line.push_str(&format!("; {} threads by default)", default_threads()));
    line
}

/// The compute threads a translator uses unless told otherwise: `RAYON_NUM_THREADS` when set to
/// a positive number, else the number of physical cores (two hyperthreads of one core share its
/// vector units, which the kernels saturate), else the logical CPUs.
pub fn default_threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .or_else(physical_cores)
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
}

/// Physical cores of this machine (Linux: distinct thread-sibling sets in sysfs), bounded by
/// the CPUs this process may run on; `None` where sysfs cannot be read.
fn physical_cores() -> Option<usize> {
    let cpus = std::fs::read_dir("/sys/devices/system/cpu").ok()?;
    let mut cores = std::collections::BTreeSet::new();
    for entry in cpus.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let is_cpu = name
            .strip_prefix("cpu")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if is_cpu {
            if let Ok(siblings) =
                std::fs::read_to_string(entry.path().join("topology/thread_siblings_list"))
            {
                cores.insert(siblings.trim().to_string());
            }
        }
    }
    let allowed = std::thread::available_parallelism().map_or(usize::MAX, |n| n.get());
    (!cores.is_empty()).then(|| cores.len().min(allowed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_variable_only_restricts() {
        let cpu = Cpu::decide(KernelPath::Avx512, true, "avx2");
        assert_eq!(
            (cpu.path, cpu.int8_dot, cpu.note),
            (KernelPath::Avx2, false, None)
        );
        let cpu = Cpu::decide(KernelPath::Avx2, false, "avx512");
        assert_eq!(cpu.path, KernelPath::Avx2);
        assert!(cpu.note.unwrap().contains("more than this CPU has"));
        for unset in ["", "  "] {
            let cpu = Cpu::decide(KernelPath::Avx512, true, unset);
            assert_eq!(
                (cpu.path, cpu.int8_dot, cpu.note),
                (KernelPath::Avx512, true, None)
            );
        }
        let cpu = Cpu::decide(KernelPath::Avx512, true, "AVX2");
        assert_eq!((cpu.path, cpu.note), (KernelPath::Avx2, None));
        let cpu = Cpu::decide(KernelPath::Avx512, false, "avx512");
        assert_eq!((cpu.path, cpu.int8_dot), (KernelPath::Avx512, false));
        let cpu = Cpu::decide(KernelPath::Avx2, false, "portable");
        assert_eq!(cpu.path, KernelPath::Portable);
        let cpu = Cpu::decide(KernelPath::Amx, true, "avx512");
        assert_eq!((cpu.path, cpu.int8_dot), (KernelPath::Avx512, true));
        let cpu = Cpu::decide(KernelPath::Amx, true, "");
        assert_eq!((cpu.path, cpu.int8_dot), (KernelPath::Amx, true));
        let cpu = Cpu::decide(KernelPath::Avx512, true, "amx");
        assert_eq!(cpu.path, KernelPath::Avx512);
        assert!(cpu.note.unwrap().contains("more than this CPU has"));
    }

    #[test]
    fn an_unknown_value_is_named_and_ignored() {
        let cpu = Cpu::decide(KernelPath::Avx2, false, "sse9");
        assert_eq!(cpu.path, KernelPath::Avx2);
        let note = cpu.note.unwrap();
        assert!(note.contains("`sse9`") && note.contains("avx512"), "{note}");
    }

    #[test]
    fn names_round_trip() {
        for path in KernelPath::ALL {
            assert_eq!(path.name().parse::<KernelPath>(), Ok(path));
            let shouted = format!(" {} ", path.name().to_ascii_uppercase());
            assert_eq!(shouted.parse::<KernelPath>(), Ok(path));
        }
        assert!("avx".parse::<KernelPath>().is_err());
        assert!(describe().starts_with("kernels: "));
        assert!(default_threads() >= 1);
    }
}
