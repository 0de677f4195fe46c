//! Reading named tensors from a Hugging Face weights file, with the shape config.json implies.
//!
//! Rules:
//! * The format follows the file name: `*.safetensors` is safetensors, `*.bin`, `*.pt` and `*.pth`
//!   are zip-format PyTorch checkpoints (what `torch.save` has written since PyTorch 1.6).
//!   Anything else is refused rather than guessed.
//! * safetensors files are read tensor by tensor with plain reads, not memory-mapped: a mapped
//!   file's pages count in the process's resident memory until it is unmapped, which would double
//!   peak memory while the model loads (300 MB of weights would peak at 600 MB).
//! * A file whose header promises more data than the file holds is reported as truncated at
//!   open, before anything is loaded.
//! * A tensor's presence and shape are checked from the file's header before its data is read, so
//!   a wrong file fails fast with the tensor's name and both shapes, and allocates nothing.
//! * Floating-point tensors of any width (f16, bf16, f32, f64) are converted to the compute dtype
//!   at load: tc-big's f16 safetensors run in f32 on CPU by default.

use crate::{Error, Result};
use candle_core::{DType, Device, Tensor};
use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
#[cfg(not(unix))]
use std::io::{Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Where a tensor lives in a safetensors file.
struct SafetensorsEntry {
    /// Element type as the header names it (`F32`, `F16`, …).
    dtype_name: String,
    shape: Vec<usize>,
    /// Byte range, from the start of the file.
    start: u64,
    end: u64,
}

/// The header of a safetensors file, and the open file.
struct Safetensors {
    file: File,
    entries: HashMap<String, SafetensorsEntry>,
}

/// Largest header accepted (the format's own limit is 100 MB).
const MAX_HEADER_BYTES: u64 = 100_000_000;

impl Safetensors {
    /// Reads the header; `Err` holds the problem in words.
    fn open(path: &Path) -> std::result::Result<Self, String> {
        let mut file = File::open(path).map_err(|e| e.to_string())?;
        let file_len = file.metadata().map_err(|e| e.to_string())?.len();
        let mut size = [0u8; 8];
        file.read_exact(&mut size)
            .map_err(|_| format!("truncated: {file_len} bytes, not even a safetensors header"))?;
        let header_len = u64::from_le_bytes(size);
        if header_len > MAX_HEADER_BYTES || header_len > file_len - 8 {
            return Err(format!(
                "truncated or not safetensors: the header claims {header_len} bytes, the file has {file_len}"
            ));
        }
        let mut header = vec![0u8; header_len as usize];
        file.read_exact(&mut header).map_err(|e| e.to_string())?;
        let header: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&header)
            .map_err(|e| format!("the header is not valid JSON ({e})"))?;
        let data_start = 8 + header_len;
        let mut entries = HashMap::new();
        for (name, info) in header {
            if name == "__metadata__" {
                continue;
            }
            let parsed = (|| {
                let dtype_name = info.get("dtype")?.as_str()?.to_string();
                let shape = info
                    .get("shape")?
                    .as_array()?
                    .iter()
                    .map(|d| d.as_u64().map(|d| d as usize))
                    .collect::<Option<Vec<_>>>()?;
                let offsets = info.get("data_offsets")?.as_array()?;
                let (start, end) = (offsets.first()?.as_u64()?, offsets.get(1)?.as_u64()?);
                (start <= end).then_some(SafetensorsEntry {
                    dtype_name,
                    shape,
                    start: data_start + start,
                    end: data_start + end,
                })
            })();
            let entry = parsed
                .ok_or_else(|| format!("the header entry of tensor `{name}` is malformed"))?;
            if entry.end > file_len {
                return Err(format!(
                    "truncated: tensor `{name}` ends at byte {}, but the file has {file_len} bytes",
                    entry.end
                ));
            }
            entries.insert(name, entry);
        }
        Ok(Self { file, entries })
    }

    fn dtype(name: &str) -> Option<DType> {
        Some(match name {
            "F16" => DType::F16,
            "BF16" => DType::BF16,
            "F32" => DType::F32,
            "F64" => DType::F64,
            _ => return None,
        })
    }

    /// Reads the data of `entry`; `Err` holds the problem in words.
    fn read(&self, entry: &SafetensorsEntry, dtype: DType) -> std::result::Result<Tensor, String> {
        let expected = entry.shape.iter().product::<usize>() * dtype.size_in_bytes();
        let len = (entry.end - entry.start) as usize;
        if len != expected {
            return Err(format!(
                "{len} bytes of data for shape {:?} of {dtype:?} ({expected} expected)",
                entry.shape
            ));
        }
        #[cfg(target_endian = "little")]
        if dtype == DType::F32 {
            // Read straight into the tensor's buffer: no intermediate byte copy of the 300 MB. A
            // large buffer's fresh pages cost less to first touch as huge pages.
            let mut values = crate::model::packed::pages::filled(len / 4, 0f32);
            // SAFETY: any byte pattern is a valid f32, and the slice covers exactly `values`.
            let bytes =
                unsafe { std::slice::from_raw_parts_mut(values.as_mut_ptr() as *mut u8, len) };
            self.read_at(entry.start, bytes)?;
            return Tensor::from_vec(values, entry.shape.as_slice(), &Device::Cpu)
                .map_err(|e| root_cause(&e));
        }
        let mut bytes = crate::model::packed::pages::filled(len, 0u8);
        self.read_at(entry.start, &mut bytes)?;
        Tensor::from_raw_buffer(&bytes, dtype, &entry.shape, &Device::Cpu)
            .map_err(|e| root_cause(&e))
    }

    /// Fills `buffer` from byte `start` of the file. On Unix, pieces of a large buffer are read
    /// by the threads of the current pool at once: the first write to each fresh page of the
    /// buffer (the system's allocation and zeroing of it) costs more than the copy itself, and
    /// is then shared (notes/perf.md, change M).
    fn read_at(&self, start: u64, buffer: &mut [u8]) -> std::result::Result<(), String> {
        #[cfg(unix)]
        {
            use rayon::prelude::*;
            use std::os::unix::fs::FileExt;
            const PIECE: usize = 4 << 20;
            if buffer.len() <= PIECE {
                // One piece: no hand-off to the pool.
                return self
                    .file
                    .read_exact_at(buffer, start)
                    .map_err(|e| e.to_string());
            }
            buffer
                .par_chunks_mut(PIECE)
                .enumerate()
                .try_for_each(|(i, piece)| {
                    self.file
                        .read_exact_at(piece, start + (i * PIECE) as u64)
                        .map_err(|e| e.to_string())
                })
        }
        #[cfg(not(unix))]
        {
            let mut file = &self.file;
            file.seek(SeekFrom::Start(start))
                .map_err(|e| e.to_string())?;
            file.read_exact(buffer).map_err(|e| e.to_string())
        }
    }
}

/// The stored form of a weights file.
enum Store {
    Safetensors(Safetensors),
    Pytorch(candle_core::pickle::PthTensors),
}

/// An open weights file.
pub(crate) struct WeightsFile {
    path: PathBuf,
    store: Store,
}

/// The element type and shape a tensor has in the file.
struct StoredInfo {
    dtype: Option<DType>,
    dtype_name: String,
    shape: Vec<usize>,
}

impl WeightsFile {
    /// Opens `path` and reads its header (the tensor names, types and shapes).
    pub(crate) fn open(path: &Path) -> Result<Self> {
        let unreadable = |problem: String| Error::WeightsFile {
            path: path.to_path_buf(),
            problem,
        };
        if !path.is_file() {
            return Err(unreadable(
                "file not found; download the model again (or give the folder that holds it)"
                    .into(),
            ));
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        let store = if name.ends_with(".safetensors") {
            let header = Safetensors::open(path).map_err(|problem| {
                unreadable(format!(
                    "not a complete safetensors file ({problem}); the download was probably cut short: \
                     delete the file and download it again"
                ))
            })?;
            Store::Safetensors(header)
        } else if name.ends_with(".bin") || name.ends_with(".pt") || name.ends_with(".pth") {
            let pth = candle_core::pickle::PthTensors::new(path, None).map_err(|e| {
                unreadable(format!(
                    "not a readable zip-format PyTorch checkpoint ({}); the file may be truncated \
                     or in the legacy pre-1.6 format: use the repo's model.safetensors instead",
                    root_cause(&e)
                ))
            })?;
            Store::Pytorch(pth)
        } else {
            return Err(unreadable(
                "unknown weights format; expected a file named *.safetensors or pytorch_model.bin"
                    .into(),
            ));
        };
        Ok(Self {
            path: path.to_path_buf(),
            store,
        })
    }

    /// Whether the file holds a tensor called `name`.
    pub(crate) fn contains(&self, name: &str) -> bool {
        match &self.store {
            Store::Safetensors(st) => st.entries.contains_key(name),
            Store::Pytorch(pth) => pth.tensor_infos().contains_key(name),
        }
    }

    fn info(&self, name: &str) -> Option<StoredInfo> {
        match &self.store {
            Store::Safetensors(st) => st.entries.get(name).map(|entry| StoredInfo {
                dtype: Safetensors::dtype(&entry.dtype_name),
                dtype_name: entry.dtype_name.clone(),
                shape: entry.shape.clone(),
            }),
            Store::Pytorch(pth) => pth.tensor_infos().get(name).map(|info| StoredInfo {
                dtype: Some(info.dtype),
                dtype_name: format!("{:?}", info.dtype),
                shape: info.layout.dims().to_vec(),
            }),
        }
    }

    /// Loads tensor `name`, checking that it has `shape`, converted to `dtype` on `device`.
    pub(crate) fn load(
        &self,
        name: &str,
        shape: &[usize],
        device: &Device,
        dtype: DType,
    ) -> Result<Tensor> {
        let info = self.info(name).ok_or_else(|| Error::MissingTensor {
            path: self.path.clone(),
            tensor: name.to_string(),
        })?;
        if info.shape != shape {
            return Err(Error::TensorShape {
                path: self.path.clone(),
                tensor: name.to_string(),
                expected: shape.to_vec(),
                found: info.shape,
            });
        }
        let bad = |problem: String| Error::BadTensor {
            path: self.path.clone(),
            tensor: name.to_string(),
            problem,
        };
        match info.dtype {
            Some(DType::F16 | DType::BF16 | DType::F32 | DType::F64) => {}
            _ => {
                return Err(bad(format!(
                "element type {} is not a floating-point type; the file is not a Marian checkpoint",
                info.dtype_name
            )))
            }
        }
        let stored_dtype = info.dtype.expect("checked above");
        let loaded = match &self.store {
            Store::Safetensors(st) => st.read(&st.entries[name], stored_dtype),
            Store::Pytorch(pth) => pth
                .get(name)
                .map_err(|e| root_cause(&e))
                .and_then(|t| t.ok_or_else(|| "listed in the header but absent".to_string())),
        }
        .map_err(|problem| bad(format!("cannot read its data ({problem})")))?;
        loaded
            .to_dtype(dtype)
            .and_then(|t| t.to_device(device))
            .and_then(|t| t.contiguous())
            .map_err(|e| {
                bad(format!(
                    "cannot convert it to {dtype:?} ({})",
                    root_cause(&e)
                ))
            })
    }
}

/// The innermost message of a candle error (candle wraps errors with paths and backtraces).
fn root_cause(err: &candle_core::Error) -> String {
    match err {
        candle_core::Error::WithPath { inner, .. } => root_cause(inner),
        candle_core::Error::WithBacktrace { inner, .. } => root_cause(inner),
        candle_core::Error::Context { inner, .. } => root_cause(inner),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tensor_larger_than_a_read_piece_comes_back_whole_in_every_dtype() {
        // 5 M values: f32 and f16 data both span several 4 MB pieces, read by different threads;
        // a small tensor first puts the large ones at an offset that is not a piece boundary.
        let len = 5 << 20;
        let values: Vec<f32> = (0..len).map(|i| (i % 2039) as f32 - 1000.0).collect();
        let small = Tensor::from_vec(vec![1f32, 2.0, 3.0], 3, &Device::Cpu).unwrap();
        let large = Tensor::from_vec(values.clone(), (len / 512, 512), &Device::Cpu).unwrap();
        let half = large.to_dtype(DType::F16).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.safetensors");
        let tensors: HashMap<String, Tensor> = [
            ("a.small".to_string(), small),
            ("b.large".to_string(), large),
            ("c.half".to_string(), half),
        ]
        .into_iter()
        .collect();
        candle_core::safetensors::save(&tensors, &path).unwrap();

        let file = WeightsFile::open(&path).unwrap();
        let shape = [len / 512, 512];
        for name in ["b.large", "c.half"] {
            let loaded = file.load(name, &shape, &Device::Cpu, DType::F32).unwrap();
            let loaded = loaded.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            // Every value is an integer below 2048, exact in f16 too.
            assert!(loaded == values, "{name}");
        }
    }
}
