//! Decoding benchmark on a random-weight model with the full opus-mt-fr-en shapes.
//!
//! `scripts/bench` drives this; by hand:
//!
//! ```text
//! cargo run --release --example bench -- write-model DIR          # once: config + 300 MB of weights
//! RAYON_NUM_THREADS=2 cargo run --release --example bench -- run DIR --beams 4 --batch 16
//! RAYON_NUM_THREADS=2 cargo run --release --example bench -- run DIR --quantize int8
//! RAYON_NUM_THREADS=1 cargo run --release --example bench -- kernels   # matrix products alone
//! RAYON_NUM_THREADS=1 cargo run --release --example bench -- kernels "64 rows" --candle
//! ```
//!
//! `kernels` times the packed CPU kernels of `src/model/packed/` (compiled into this example)
//! against candle's matmul on the products of a decoder step, reporting GFLOP per second of
//! wall time and per second of CPU time (the latter holds up on a loaded machine).
//!
//! The model is the opus-mt-fr-en architecture (vocab 59514, d_model 512, 6+6 layers, 8 heads,
//! FFN 2048, swish, 512 positions) with weights drawn from a fixed seed (normal, σ 0.02, as
//! transformers initialises Marian), written in the hub layout (config.json,
//! generation_config.json, model.safetensors) and loaded through the same code as a real model.
//! The inputs are 64 sources of random token ids with lengths 12–60 (+ `</s>`), also from a fixed
//! seed: real tokenized news sentences have lengths in that range, and random weights make the
//! content irrelevant. Every sentence decodes exactly `--tokens` (48) tokens: min_new_tokens =
//! max_new_tokens, so runs compare. Sources are sorted by length and cut into batches of `--batch`.
//!
//! Reported: model load time, generation wall time and CPU time (user + system, all threads),
//! sentences/s and generated tokens/s over generation wall time, and the process's peak resident
//! memory (VmHWM). On a busy machine wall time inflates while CPU time stays close to the work done.

use candle_core::{DType, Device, Tensor};
use passeur::generate::{generate, GenerationConfig, GenerationOptions};
use passeur::model::{MarianConfig, MarianModel, Quantization};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

const VOCAB: usize = 59514;
const D_MODEL: usize = 512;
const LAYERS: usize = 6;
const FFN: usize = 2048;
const SEED: u64 = 2024;

/// splitmix64: a small, fixed pseudo-random sequence (no dependency, same numbers everywhere).
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Normal deviate (Box-Muller).
    fn normal(&mut self) -> f32 {
        let u = self.uniform().max(f64::MIN_POSITIVE);
        let v = self.uniform();
        ((-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()) as f32
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

fn config_json() -> serde_json::Value {
    serde_json::json!({
        "_name_or_path": "passeur-bench-random-opus-mt-fr-en-shapes",
        "activation_dropout": 0.0, "activation_function": "swish", "architectures": ["MarianMTModel"],
        "attention_dropout": 0.0, "bad_words_ids": [[VOCAB - 1]], "bos_token_id": 0,
        "classifier_dropout": 0.0, "d_model": D_MODEL, "decoder_attention_heads": 8,
        "decoder_ffn_dim": FFN, "decoder_layerdrop": 0.0, "decoder_layers": LAYERS,
        "decoder_start_token_id": VOCAB - 1, "decoder_vocab_size": VOCAB, "dropout": 0.1,
        "encoder_attention_heads": 8, "encoder_ffn_dim": FFN, "encoder_layerdrop": 0.0,
        "encoder_layers": LAYERS, "eos_token_id": 0, "forced_eos_token_id": 0, "init_std": 0.02,
        "is_encoder_decoder": true, "max_length": 512, "max_position_embeddings": 512,
        "model_type": "marian", "normalize_before": false, "normalize_embedding": false,
        "num_beams": 4, "num_hidden_layers": LAYERS, "pad_token_id": VOCAB - 1,
        "scale_embedding": true, "share_encoder_decoder_embeddings": true,
        "static_position_embeddings": true, "use_cache": true, "vocab_size": VOCAB
    })
}

fn generation_config_json() -> serde_json::Value {
    serde_json::json!({
        "bad_words_ids": [[VOCAB - 1]], "bos_token_id": 0, "decoder_start_token_id": VOCAB - 1,
        "eos_token_id": 0, "forced_eos_token_id": 0, "max_length": 512, "num_beams": 4,
        "pad_token_id": VOCAB - 1, "renormalize_logits": true
    })
}

/// Writes the random full-shape model into `dir`.
fn write_model(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut rng = Rng(SEED);
    let mut tensors: HashMap<String, Tensor> = HashMap::new();
    let mut normal = |name: String, shape: &[usize], rng: &mut Rng| -> anyhow::Result<()> {
        let data: Vec<f32> = (0..shape.iter().product::<usize>())
            .map(|_| 0.02 * rng.normal())
            .collect();
        tensors.insert(name, Tensor::from_vec(data, shape, &Device::Cpu)?);
        Ok(())
    };
    normal("model.shared.weight".into(), &[VOCAB, D_MODEL], &mut rng)?;
    let fill = |name: String, shape: &[usize], value: f32| -> anyhow::Result<(String, Tensor)> {
        Ok((name, Tensor::full(value, shape, &Device::Cpu)?))
    };
    let mut constants = vec![fill("final_logits_bias".into(), &[1, VOCAB], 0.0)?];
    for (side, attentions) in [
        ("encoder", &["self_attn"][..]),
        ("decoder", &["self_attn", "encoder_attn"][..]),
    ] {
        for layer in 0..LAYERS {
            let p = format!("model.{side}.layers.{layer}");
            for attention in attentions {
                for proj in ["q_proj", "k_proj", "v_proj", "out_proj"] {
                    normal(
                        format!("{p}.{attention}.{proj}.weight"),
                        &[D_MODEL, D_MODEL],
                        &mut rng,
                    )?;
                    constants.push(fill(
                        format!("{p}.{attention}.{proj}.bias"),
                        &[D_MODEL],
                        0.0,
                    )?);
                }
                constants.push(fill(
                    format!("{p}.{attention}_layer_norm.weight"),
                    &[D_MODEL],
                    1.0,
                )?);
                constants.push(fill(
                    format!("{p}.{attention}_layer_norm.bias"),
                    &[D_MODEL],
                    0.0,
                )?);
            }
            normal(format!("{p}.fc1.weight"), &[FFN, D_MODEL], &mut rng)?;
            normal(format!("{p}.fc2.weight"), &[D_MODEL, FFN], &mut rng)?;
            constants.push(fill(format!("{p}.fc1.bias"), &[FFN], 0.0)?);
            constants.push(fill(format!("{p}.fc2.bias"), &[D_MODEL], 0.0)?);
            constants.push(fill(
                format!("{p}.final_layer_norm.weight"),
                &[D_MODEL],
                1.0,
            )?);
            constants.push(fill(format!("{p}.final_layer_norm.bias"), &[D_MODEL], 0.0)?);
        }
    }
    tensors.extend(constants);
    let params: usize = tensors.values().map(|t| t.elem_count()).sum();
    candle_core::safetensors::save(&tensors, dir.join("model.safetensors"))?;
    std::fs::write(
        dir.join("config.json"),
        serde_json::to_string_pretty(&config_json())?,
    )?;
    std::fs::write(
        dir.join("generation_config.json"),
        serde_json::to_string_pretty(&generation_config_json())?,
    )?;
    eprintln!(
        "wrote {} ({:.1} M parameters)",
        dir.display(),
        params as f64 / 1e6
    );
    Ok(())
}

/// 64 sources of random ids, lengths 12–60 plus `</s>`, from a fixed seed.
fn sources(count: usize) -> Vec<Vec<u32>> {
    let mut rng = Rng(SEED ^ 0x5EED);
    (0..count)
        .map(|_| {
            let len = 12 + rng.below(49);
            let mut ids: Vec<u32> = (0..len).map(|_| 2 + rng.below(VOCAB - 3) as u32).collect();
            ids.push(0);
            ids
        })
        .collect()
}

/// User + system CPU time of the whole process so far, in seconds (Linux clock ticks of 1/100 s).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

struct RunArgs {
    dir: PathBuf,
    beams: usize,
    batch: usize,
    tokens: usize,
    sentences: usize,
    quantization: Quantization,
}

fn run(args: &RunArgs) -> anyhow::Result<()> {
    let start = Instant::now();
    let config = MarianConfig::from_file(&args.dir.join("config.json"))?;
    let model = MarianModel::load_with(
        &config,
        &args.dir.join("model.safetensors"),
        &Device::Cpu,
        DType::F32,
        args.quantization,
    )?;
    let defaults =
        GenerationConfig::from_files(&config, Some(&args.dir.join("generation_config.json")))?;
    let load_s = start.elapsed().as_secs_f64();
    let settings = defaults.with_options(&GenerationOptions {
        num_beams: Some(args.beams),
        max_new_tokens: Some(args.tokens),
        min_new_tokens: Some(args.tokens),
        ..Default::default()
    });
    let mut sources = sources(args.sentences);
    sources.sort_by_key(Vec::len);
    let start = Instant::now();
    let cpu_start = cpu_seconds();
    let mut generated = 0;
    for batch in sources.chunks(args.batch) {
        generated += generate(&model, batch, &settings)?
            .iter()
            .map(|h| h.ids.len())
            .sum::<usize>();
    }
    let gen_s = start.elapsed().as_secs_f64();
    let gen_cpu_s = cpu_seconds() - cpu_start;
    let threads = candle_core::utils::get_num_threads();
    println!(
        "{{\"quantize\": \"{}\", \"beams\": {}, \"batch\": {}, \"threads\": {threads}, \"sentences\": {}, \"tokens\": {generated}, \
         \"load_s\": {load_s:.3}, \"generate_s\": {gen_s:.3}, \"generate_cpu_s\": {gen_cpu_s:.2}, \"sentences_per_s\": {:.2}, \"tokens_per_s\": {:.1}, \
         \"peak_rss_mb\": {:.0}}}",
        args.quantization,
        args.beams,
        args.batch,
        args.sentences,
        args.sentences as f64 / gen_s,
        generated as f64 / gen_s,
        peak_rss_mb().unwrap_or(f64::NAN)
    );
    Ok(())
}

// The kernels, compiled into this example as they are in the library (they are crate-private).
#[path = "../src/cpu.rs"]
#[allow(dead_code)]
mod cpu;
#[path = "../src/model/packed/mod.rs"]
#[allow(dead_code)]
mod packed;
#[path = "../src/model/simd.rs"]
#[allow(dead_code)]
mod simd;
/// Where the kernels find the vector `exp` in the library.
mod model {
    pub(crate) use super::simd;
}

/// The packed kernels against candle's matmul on the products of a decoder step (rows × in) ·
/// (out × in)ᵀ; random values. Each product runs for about a second; reported: GFLOP/s of the
/// fastest call (the least disturbed by other processes on a shared machine), of the average
/// call, and per CPU-second. `only` keeps the shapes whose description contains it; `candle`
/// adds candle's matmul.
fn kernels(only: &str, candle: bool) -> anyhow::Result<()> {
    let shapes = [
        (1, 59514, 512, "output projection, batch 1"),
        (2, 59514, 512, "output projection, 2 rows"),
        (4, 59514, 512, "output projection, 4 rows"),
        (8, 59514, 512, "output projection, 8 rows"),
        (16, 59514, 512, "output projection, 16 rows"),
        (64, 59514, 512, "output projection, 64 rows (beam 4 × 16)"),
        (64, 1536, 512, "fused q/k/v, 64 rows"),
        (64, 2048, 512, "fc1, 64 rows"),
        (64, 512, 2048, "fc2, 64 rows"),
        (16, 2048, 512, "fc1, 16 rows"),
        (1, 2048, 512, "fc1, batch 1"),
        (4, 2048, 512, "fc1, 4 rows"),
        (912, 1536, 512, "encoder q/k/v, 16 × 57 tokens"),
        (912, 512, 2048, "encoder fc2, 16 × 57 tokens"),
        (64, 3072, 1024, "tc-big fused q/k/v, 64 rows"),
        (64, 4096, 1024, "tc-big fc1, 64 rows"),
        (64, 1024, 4096, "tc-big fc2, 64 rows"),
        (64, 53017, 1024, "tc-big output projection, 64 rows"),
    ];
    let mut rng = Rng(SEED);
    println!(
        "threads: {}; {}",
        rayon::current_num_threads(),
        cpu::describe()
    );
    for (rows, out, inp, what) in shapes {
        if !what.contains(only) {
            continue;
        }
        let w: Vec<f32> = (0..out * inp).map(|_| 0.02 * rng.normal()).collect();
        let x: Vec<f32> = (0..rows * inp).map(|_| rng.normal()).collect();
        let bias = vec![0f32; out];
        let flop = 2.0 * (rows * out * inp) as f64;
        let time = |f: &mut dyn FnMut()| {
            f();
            let (start, cpu) = (Instant::now(), cpu_seconds());
            let mut best = f64::INFINITY;
            let mut reps = 0;
            while reps < 3 || start.elapsed().as_secs_f64() < 1.0 {
                let call = Instant::now();
                f();
                best = best.min(call.elapsed().as_secs_f64());
                reps += 1;
            }
            let wall = start.elapsed().as_secs_f64() / reps as f64;
            let cpu = (cpu_seconds() - cpu) / reps as f64;
            (flop / best / 1e9, flop / wall / 1e9, flop / cpu / 1e9)
        };
        let report = |name: &str, (best, wall, cpu): (f64, f64, f64)| {
            println!(
                "{what:<42} {name:<8} best {best:6.1} GFLOP/s  mean {wall:6.1} GFLOP/s  {cpu:6.1} GFLOP/CPU-s"
            );
        };
        let f32_packed = packed::PackedMatrix::pack(&w, out, inp);
        let int8_packed = packed::PackedMatrix::pack_int8(&w, out, inp);
        let bf16_packed = packed::PackedMatrix::pack_bf16(&w, out, inp);
        let mut y = vec![0f32; rows * out];
        report(
            "f32",
            time(&mut || f32_packed.matmul_into(&x, &bias, packed::Epilogue::Bias, &mut y)),
        );
        report(
            "int8",
            time(&mut || int8_packed.matmul_into(&x, &bias, packed::Epilogue::Bias, &mut y)),
        );
        report(
            "bf16",
            time(&mut || bf16_packed.matmul_into(&x, &bias, packed::Epilogue::Bias, &mut y)),
        );
        if candle {
            let wt = Tensor::from_vec(w, (out, inp), &Device::Cpu)?.t()?;
            let xt = Tensor::from_vec(x, (rows, inp), &Device::Cpu)?;
            report(
                "candle",
                time(&mut || {
                    xt.matmul(&wt).expect("candle matmul");
                }),
            );
        }
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage =
        "usage: bench write-model DIR | bench run DIR [--beams N] [--batch N] [--tokens N] \
                 [--sentences N] [--quantize int8] | bench kernels [SHAPE] [--candle]";
    match args.first().map(String::as_str) {
        Some("write-model") => write_model(Path::new(
            args.get(1).ok_or_else(|| anyhow::anyhow!(usage))?,
        )),
        Some("run") => {
            let dir = PathBuf::from(args.get(1).ok_or_else(|| anyhow::anyhow!(usage))?);
            let mut run_args = RunArgs {
                dir,
                beams: 1,
                batch: 1,
                tokens: 48,
                sentences: 64,
                quantization: Quantization::None,
            };
            let mut rest = args[2..].iter();
            while let Some(flag) = rest.next() {
                let value = rest.next().ok_or_else(|| anyhow::anyhow!(usage))?;
                if flag == "--quantize" {
                    run_args.quantization =
                        value.parse().map_err(|e: String| anyhow::anyhow!(e))?;
                    continue;
                }
                let value: usize = value.parse()?;
                match flag.as_str() {
                    "--beams" => run_args.beams = value,
                    "--batch" => run_args.batch = value,
                    "--tokens" => run_args.tokens = value,
                    "--sentences" => run_args.sentences = value,
                    _ => anyhow::bail!(usage),
                }
            }
            run(&run_args)
        }
        Some("kernels") => {
            let only = args.get(1).map(String::as_str).filter(|a| *a != "--candle");
            kernels(only.unwrap_or(""), args.iter().any(|a| a == "--candle"))
        }
        _ => anyhow::bail!(usage),
    }
}
