//! Reading named tensors from a Hugging Face weights file, with the shape config.json implies.
//!
//! Rules:
//! * The format follows the file name: `*.safetensors` is memory-mapped safetensors, `*.bin`,
//!   `*.pt` and `*.pth` are zip-format PyTorch checkpoints (what `torch.save` has written since
//!   PyTorch 1.6). Anything else is refused rather than guessed.
//! * A tensor's presence and shape are checked from the file's header before its data is read, so
//!   a wrong file fails fast with the tensor's name and both shapes, and allocates nothing.
//! * Floating-point tensors of any width (f16, bf16, f32, f64) are converted to the compute dtype
//!   at load: tc-big's f16 safetensors run in f32 on CPU by default.

use crate::{Error, Result};
use candle_core::{safetensors::MmapedSafetensors, DType, Device, Tensor};
use std::path::{Path, PathBuf};

/// The stored form of a weights file.
enum Store {
    Safetensors(MmapedSafetensors),
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
            // SAFETY: the map is read-only; like every safetensors reader we rely on the file not
            // being truncated by another process while it is mapped.
            let mapped = unsafe { MmapedSafetensors::new(path) }.map_err(|e| {
                unreadable(format!(
                    "not a complete safetensors file ({}); the download was probably cut short: \
                     delete the file and download it again",
                    root_cause(&e)
                ))
            })?;
            Store::Safetensors(mapped)
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
            Store::Safetensors(st) => st.get(name).is_ok(),
            Store::Pytorch(pth) => pth.tensor_infos().contains_key(name),
        }
    }

    fn info(&self, name: &str) -> Option<StoredInfo> {
        match &self.store {
            Store::Safetensors(st) => st.get(name).ok().map(|view| StoredInfo {
                dtype: DType::try_from(view.dtype()).ok(),
                dtype_name: format!("{:?}", view.dtype()),
                shape: view.shape().to_vec(),
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
        let loaded = match &self.store {
            Store::Safetensors(st) => st.load(name, &Device::Cpu),
            Store::Pytorch(pth) => pth.get(name).and_then(|t| {
                t.ok_or_else(|| candle_core::Error::Msg(format!("tensor {name} vanished")))
            }),
        }
        .map_err(|e| bad(format!("cannot read its data ({})", root_cause(&e))))?;
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
