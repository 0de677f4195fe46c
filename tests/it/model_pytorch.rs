//! `pytorch_model.bin` (the zip format `torch.save` writes since PyTorch 1.6) loads like
//! `model.safetensors`.
//!
//! No PyTorch here: the checkpoint is written by a small writer of that format below (a zip of
//! `archive/data.pkl`, a protocol-2 pickle of `{name: torch._utils._rebuild_tensor_v2(...)}`, and
//! one raw little-endian storage per tensor under `archive/data/`), from the fixture's tensors.

use candle_core::{DType, Device, Tensor};
use passeur::generate::{first_step_logits, generate, GenerationConfig, GenerationOptions};
use passeur::model::{MarianConfig, MarianModel};
use serde::Deserialize;
use std::io::Write;
use std::path::{Path, PathBuf};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/marian-tiny")
}

/// A protocol-2 pickle under construction.
struct Pickle(Vec<u8>);

impl Pickle {
    fn global(&mut self, module: &str, name: &str) {
        self.0.push(b'c');
        self.0
            .extend_from_slice(format!("{module}\n{name}\n").as_bytes());
    }
    fn string(&mut self, s: &str) {
        self.0.push(b'X');
        self.0.extend_from_slice(&(s.len() as u32).to_le_bytes());
        self.0.extend_from_slice(s.as_bytes());
    }
    fn int(&mut self, v: usize) {
        self.0.push(b'J');
        self.0.extend_from_slice(&(v as i32).to_le_bytes());
    }
    fn int_tuple(&mut self, values: &[usize]) {
        self.0.push(b'(');
        values.iter().for_each(|&v| self.int(v));
        self.0.push(b't');
    }
}

/// Writes `tensors` (f32) as a zip-format PyTorch state dict.
fn write_pytorch_checkpoint(path: &Path, tensors: &[(String, Tensor)]) {
    let mut pickle = Pickle(vec![0x80, 2, b'}', b'(']);
    for (key, (name, tensor)) in tensors.iter().enumerate() {
        let dims = tensor.dims().to_vec();
        let strides: Vec<usize> = (0..dims.len())
            .map(|i| dims[i + 1..].iter().product())
            .collect();
        pickle.string(name);
        pickle.global("torch._utils", "_rebuild_tensor_v2");
        pickle.0.push(b'(');
        pickle.0.push(b'(');
        pickle.string("storage");
        pickle.global("torch", "FloatStorage");
        pickle.string(&key.to_string());
        pickle.string("cpu");
        pickle.int(tensor.elem_count());
        pickle.0.extend_from_slice(b"tQ");
        pickle.int(0);
        pickle.int_tuple(&dims);
        pickle.int_tuple(&strides);
        pickle.0.push(0x89);
        pickle.global("collections", "OrderedDict");
        pickle.0.extend_from_slice(b")R");
        pickle.0.extend_from_slice(b"tR");
    }
    pickle.0.extend_from_slice(b"u.");

    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    zip.start_file("archive/data.pkl", options).unwrap();
    zip.write_all(&pickle.0).unwrap();
    for (key, (_, tensor)) in tensors.iter().enumerate() {
        zip.start_file(format!("archive/data/{key}"), options)
            .unwrap();
        for value in tensor.flatten_all().unwrap().to_vec1::<f32>().unwrap() {
            zip.write_all(&value.to_le_bytes()).unwrap();
        }
    }
    zip.finish().unwrap();
}

#[derive(Deserialize)]
struct Reference {
    source_ids: Vec<u32>,
    greedy_ids: Vec<u32>,
    beam4_ids: Vec<u32>,
}

#[test]
fn pytorch_checkpoint_gives_the_same_model_as_safetensors() {
    let dir = tempfile::tempdir().unwrap();
    let mut tensors: Vec<(String, Tensor)> =
        candle_core::safetensors::load(fixture().join("model.safetensors"), &Device::Cpu)
            .unwrap()
            .into_iter()
            .collect();
    tensors.sort_by(|a, b| a.0.cmp(&b.0));
    let bin = dir.path().join("pytorch_model.bin");
    write_pytorch_checkpoint(&bin, &tensors);

    let config = MarianConfig::from_file(&fixture().join("config.json")).unwrap();
    let from_bin = MarianModel::load(&config, &bin, &Device::Cpu, DType::F32).unwrap();
    let from_st = MarianModel::load(
        &config,
        &fixture().join("model.safetensors"),
        &Device::Cpu,
        DType::F32,
    )
    .unwrap();
    let defaults =
        GenerationConfig::from_files(&config, Some(&fixture().join("generation_config.json")))
            .unwrap();

    let text = std::fs::read_to_string(fixture().join("reference.jsonl")).unwrap();
    let refs: Vec<Reference> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let sources: Vec<Vec<u32>> = refs.iter().map(|r| r.source_ids.clone()).collect();
    let step0 = |m: &MarianModel| first_step_logits(m, &sources, &defaults).unwrap();
    assert_eq!(step0(&from_bin), step0(&from_st));

    for beams in [1, 4] {
        let config = defaults.with_options(&GenerationOptions {
            num_beams: Some(beams),
            max_new_tokens: Some(64),
            ..Default::default()
        });
        let got = generate(&from_bin, &sources, &config).unwrap();
        for (r, h) in refs.iter().zip(&got) {
            assert_eq!(
                &h.ids,
                if beams == 1 {
                    &r.greedy_ids
                } else {
                    &r.beam4_ids
                }
            );
        }
    }
}
