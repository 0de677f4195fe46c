#!/usr/bin/env python3
"""Side-by-side CPU speed of passeur, Hugging Face transformers and CTranslate2 (issue 6).

Driven by scripts/compare, which makes the Python environment and builds passeur. Subcommands:

  make-model DIR [--tc-big]
                        a random-weight MarianMT model with the exact opus-mt-fr-en shapes (or, with
                        --tc-big, opus-mt-tc-big-fr-en's: d_model 1024, 16 heads, FFN 4096, vocab
                        53017), in the Hugging Face layout (config.json, generation_config.json,
                        model.safetensors, source.spm, target.spm, vocab.json), and its CTranslate2
                        conversion in DIR/ct2
  run DIR PASSEUR       every engine × setting, each in its own process; prints one table
  transformers DIR ...  one measurement (internal: run starts these)
  ctranslate2 DIR ...   one measurement (internal)

The model: transformers' own initialisation of MarianMTModel (normal, std 0.02; seed 2024) with
vocab 59514, d_model 512, 6+6 layers, 8 heads, FFN 2048, swish, 512 positions: 74.7 M parameters.
Its weights are random, so it does not translate; speed does not depend on the weights' values.
The tokenizer: the SentencePiece models of tests/fixtures/marian-tiny (French source pieces) with
vocab.json extended by filler entries to 59514 ids, <pad> = 59513 as in opus-mt-fr-en. Every engine
gets the same source ids: passeur and transformers tokenize with these files, CTranslate2 gets the
pieces transformers' MarianTokenizer produced.

Environment: SETTINGS (comma-separated, default all) picks among greedy1, greedy16, beam16;
ENGINES (comma-separated, default all) among transformers, ct2-f32, ct2-int8, passeur-f32,
passeur-int8, passeur-bf16 (`--dtype bf16`). PASSEUR_KERNEL=avx2 runs passeur's AVX2 path (an
AVX2-only CPU's) on this one, the other engines unchanged. ISA=avx2 restricts every engine to AVX2, as on an AVX2-only CPU: passeur by
PASSEUR_KERNEL, torch by ATEN_CPU_CAPABILITY (its own kernels), MKL_ENABLE_INSTRUCTIONS (its f32
matrix products) and ONEDNN_MAX_CPU_ISA, CTranslate2 by CT2_FORCE_CPU_ISA; the table's first line
says which engines ran restricted.

ROUNDS=n (default 1) measures every engine n times per setting, in turn, starting each round with the
next engine: this VM's speed moves by a third within minutes, and pairs taken close together with
their median hold up better than one pass.

Settings: 64 French news sentences (scripts/compare-data/sentences.fr.txt), exactly 48 generated
tokens per sentence (min = max new tokens; the 48th is the forced </s> where the engine forces it),
2 threads, sentences sorted by length and cut into batches. tok/s counts returned tokens.
"""

import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
FIXTURE = REPO / "tests" / "fixtures" / "marian-tiny"
SENTENCES = HERE / "compare-data" / "sentences.fr.txt"
VOCAB = 59514
TOKENS = 48
SEED = 2024
SETTINGS = {"greedy1": ("greedy", 1, 1), "greedy16": ("greedy", 1, 16), "beam16": ("beam 4", 4, 16)}
ENGINES = {
    "transformers": "transformers",
    "ct2-f32": "ctranslate2 f32",
    "ct2-int8": "ctranslate2 int8",
    "passeur-f32": "passeur f32",
    "passeur-int8": "passeur int8",
    "passeur-bf16": "passeur bf16",
}
# passeur's weight forms and the options that ask for them.
FORMS = {"f32": [], "int8": ["--quantize", "int8"], "bf16": ["--dtype", "bf16"]}
# What an AVX2-only CPU would give each engine (ISA=avx2).
ISA_AVX2 = {
    "PASSEUR_KERNEL": "avx2",
    "ATEN_CPU_CAPABILITY": "avx2",
    "MKL_ENABLE_INSTRUCTIONS": "AVX2",
    "ONEDNN_MAX_CPU_ISA": "AVX2",
    "CT2_FORCE_CPU_ISA": "AVX2",
}
# (vocab, d_model, heads, FFN) of opus-mt-fr-en and of opus-mt-tc-big-fr-en; both 6 + 6 layers.
SHAPES = {"opus-mt": (VOCAB, 512, 8, 2048), "tc-big": (53017, 1024, 16, 4096)}


def chosen(table: dict, variable: str) -> list:
    names = [n for n in os.environ.get(variable, "").split(",") if n] or list(table)
    unknown = [n for n in names if n not in table]
    if unknown:
        sys.exit(f"compare: {variable}: unknown {', '.join(unknown)}; choose among {', '.join(table)}")
    return [table[n] for n in names]


def make_model(out: Path, shapes: str = "opus-mt") -> None:
    import torch
    from transformers import MarianConfig, MarianMTModel

    vocab_size, d_model, heads, ffn = SHAPES[shapes]
    out.mkdir(parents=True, exist_ok=True)
    config = MarianConfig(
        vocab_size=vocab_size,
        decoder_vocab_size=vocab_size,
        d_model=d_model,
        encoder_layers=6,
        decoder_layers=6,
        encoder_attention_heads=heads,
        decoder_attention_heads=heads,
        encoder_ffn_dim=ffn,
        decoder_ffn_dim=ffn,
        activation_function="swish",
        max_position_embeddings=512,
        scale_embedding=True,
        share_encoder_decoder_embeddings=True,
        static_position_embeddings=True,
        pad_token_id=vocab_size - 1,
        decoder_start_token_id=vocab_size - 1,
        eos_token_id=0,
        bos_token_id=0,
        forced_eos_token_id=0,
    )
    torch.manual_seed(SEED)
    model = MarianMTModel(config).eval()
    params = sum(p.numel() for p in model.parameters())
    model.generation_config.update(
        num_beams=4,
        max_length=512,
        bad_words_ids=[[vocab_size - 1]],
        renormalize_logits=True,
        forced_eos_token_id=0,
    )
    model.save_pretrained(out, safe_serialization=True)

    # The fixture's tokenizer, its vocabulary padded to the model's ids.
    for name in ["source.spm", "target.spm", "tokenizer_config.json"]:
        shutil.copy(FIXTURE / name, out / name)
    vocab = json.loads((FIXTURE / "vocab.json").read_text(encoding="utf-8"))
    pad = vocab.pop("<pad>")
    assert sorted(vocab.values()) == list(range(len(vocab))) and pad == len(vocab)
    for i in range(len(vocab), vocab_size - 1):
        vocab[f"▁filler{i}"] = i
    vocab["<pad>"] = vocab_size - 1
    (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")

    ct2 = out / "ct2"
    if ct2.exists():
        shutil.rmtree(ct2)
    subprocess.run(
        ["ct2-transformers-converter", "--model", str(out), "--output_dir", str(ct2)],
        check=True,
        env={**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"},
    )
    print(f"wrote {out} ({params / 1e6:.1f} M parameters) and its CTranslate2 conversion")


def sentences():
    return SENTENCES.read_text(encoding="utf-8").strip("\n").split("\n")


def batches(items, lengths, size):
    """Indices sorted by length (longest first), cut into batches of `size`."""
    order = sorted(range(len(items)), key=lambda i: -lengths[i])
    return [order[i : i + size] for i in range(0, len(order), size)]


def measure_transformers(model_dir: Path, beams: int, batch: int, threads: int) -> dict:
    start = time.perf_counter()
    import torch
    from transformers import MarianMTModel, MarianTokenizer

    torch.set_num_threads(threads)
    tokenizer = MarianTokenizer.from_pretrained(model_dir)
    model = MarianMTModel.from_pretrained(model_dir, attn_implementation="sdpa").eval()
    texts = sentences()
    ids = [tokenizer(t).input_ids for t in texts]
    generated = 0
    gen_start = time.perf_counter()
    with torch.inference_mode():
        for group in batches(texts, [len(i) for i in ids], batch):
            encoded = tokenizer([texts[i] for i in group], return_tensors="pt", padding=True)
            out = model.generate(
                **encoded,
                num_beams=beams,
                do_sample=False,
                max_new_tokens=TOKENS,
                min_new_tokens=TOKENS,
            )
            # Sequences start with the decoder start token; padding after </s> is not counted.
            for row in out[:, 1:].tolist():
                generated += sum(1 for t in row if t != model.config.pad_token_id)
    end = time.perf_counter()
    isa = torch.backends.cpu.get_cpu_capability()
    return {"tokens": generated, "generate_s": end - gen_start, "total_s": end - start, "isa": isa}


def measure_ctranslate2(model_dir: Path, beams: int, batch: int, threads: int, compute: str) -> dict:
    start = time.perf_counter()
    import ctranslate2
    from transformers import MarianTokenizer

    tokenizer = MarianTokenizer.from_pretrained(model_dir)
    translator = ctranslate2.Translator(
        str(model_dir / "ct2"),
        device="cpu",
        compute_type=compute,
        inter_threads=1,
        intra_threads=threads,
    )
    texts = sentences()
    pieces = [tokenizer.convert_ids_to_tokens(tokenizer(t).input_ids) for t in texts]
    generated = 0
    gen_start = time.perf_counter()
    for group in batches(texts, [len(p) for p in pieces], batch):
        results = translator.translate_batch(
            [pieces[i] for i in group],
            beam_size=beams,
            max_batch_size=batch,
            max_decoding_length=TOKENS,
            min_decoding_length=TOKENS,
        )
        # CTranslate2 leaves out </s>: with min = max length no hypothesis ends before the limit.
        generated += sum(len(r.hypotheses[0]) for r in results)
    end = time.perf_counter()
    return {"tokens": generated, "generate_s": end - gen_start, "total_s": end - start}


def run_child(command: list, cwd=None) -> tuple:
    """Runs `command`, returning (stdout, wall seconds, peak RSS in MB, CPU seconds) of that
    process alone (CPU: user + system time of all its threads)."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, cwd=cwd)
    stdout = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"compare: {' '.join(map(str, command))} failed")
    return stdout.decode("utf-8"), wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def passeur_command(passeur: str, model_dir: Path, beams: int, batch: int, threads: int, form: str, tokens=TOKENS, source=SENTENCES) -> list:
    command = [
        passeur, "lines", str(source), "--jsonl", "--quiet",
        "--model", str(model_dir), "--beams", str(beams), "--batch-size", str(batch),
        "--max-new-tokens", str(tokens), "--min-new-tokens", str(tokens),
        "--threads", str(threads),
    ]
    return command + FORMS[form]


def passeur_startup(passeur: str, model_dir: Path, threads: int, form: str) -> float:
    """Seconds passeur takes for one sentence and one token: loading, tokenizing, one step."""
    one = Path(os.environ.get("TMPDIR", "/tmp")) / "passeur-compare-one-line.txt"
    one.write_text(sentences()[0] + "\n", encoding="utf-8")
    best = min(
        run_child(passeur_command(passeur, model_dir, 1, 1, threads, form, tokens=1, source=one))[1]
        for _ in range(3)
    )
    one.unlink()
    return best


def run(model_dir: Path, passeur: str, threads: int) -> None:
    env_note = f"{threads} threads"
    rows = []
    isa = os.environ.get("ISA")
    if isa:
        if isa != "avx2":
            sys.exit("compare: ISA can only be avx2")
        # Inherited by every child process; each library reads its own variable at start-up.
        os.environ.update(ISA_AVX2)
        env_note += ", every engine restricted to AVX2 (" + ", ".join(f"{k}={v}" for k, v in ISA_AVX2.items()) + ")"
    kernel = os.environ.get("PASSEUR_KERNEL")
    if kernel and not isa:
        env_note += f", PASSEUR_KERNEL={kernel} (passeur only)"
    engines = chosen(ENGINES, "ENGINES")
    startup = {
        form: passeur_startup(passeur, model_dir, threads, form) for form in FORMS if f"passeur {form}" in engines
    }
    for form, seconds in startup.items():
        print(f"  passeur startup (load + one token), {form}: {seconds:.2f} s", file=sys.stderr)
    rounds = int(os.environ.get("ROUNDS", "1"))
    if rounds < 1:
        sys.exit("compare: ROUNDS must be 1 or more")
    if rounds > 1:
        env_note += f", {rounds} rounds (engines in turn, the order rotated each round)"
    for label, beams, batch in chosen(SETTINGS, "SETTINGS"):
        for round_ in range(rounds):
            for engine in engines[round_ % len(engines):] + engines[: round_ % len(engines)]:
                rows.append(measure_engine(engine, label, beams, batch, model_dir, passeur, threads, startup))
                rows[-1]["round"] = round_
    print_table(rows, env_note)


def measure_engine(engine: str, label: str, beams: int, batch: int, model_dir: Path, passeur: str, threads: int, startup: dict) -> dict:
    """One engine on one setting, in its own process."""
    if engine.startswith("passeur"):
        form = engine.split()[1]
        out, wall, rss, cpu = run_child(passeur_command(passeur, model_dir, beams, batch, threads, form))
        tokens = sum(len(json.loads(line)["ids"]) for line in out.splitlines())
        # passeur does not time its own generation: the whole run less its start-up.
        result = {"tokens": tokens, "generate_s": wall - startup[form], "total_s": wall, "estimated": True}
    else:
        sub = "transformers" if engine == "transformers" else "ctranslate2"
        command = [sys.executable, __file__, sub, str(model_dir), str(beams), str(batch), str(threads)]
        if sub == "ctranslate2":
            command.append(engine.split()[1].replace("f32", "float32"))
        out, wall, rss, cpu = run_child(command)
        result = json.loads(out.strip().splitlines()[-1])
    result.update(setting=f"{label} batch {batch}", engine=engine, rss_mb=rss, cpu_s=cpu)
    gen = result["generate_s"]
    print(
        f"  {result['setting']:<18} {engine:<17} {result['tokens']} tokens, "
        f"total {result['total_s']:.1f} s, CPU {cpu:.1f} s" + (f", generation {gen:.1f} s" if gen else "")
        + (f", torch kernels {result['isa']}" if "isa" in result else ""),
        file=sys.stderr,
        flush=True,
    )
    return result


def print_table(rows: list, env_note: str) -> None:
    cpu = next(
        (l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines() if l.startswith("model name")),
        platform.processor(),
    )
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(f"\nmachine: {cpu}, {os.cpu_count()} CPUs, {env_note}; load average after the run: {' '.join(load)}")
    print(f"64 sentences × {TOKENS} tokens; tok/s = returned tokens / seconds")
    print("generation: the engine's own timing of its generate calls (passeur*: whole run less its start-up)")
    print("ratios: passeur's whole-process tok/s (model load and tokenization included) over the other engine's generation tok/s\n")
    print("tok/CPU-s: returned tokens per CPU-second of the whole process (all threads; holds up better on a busy machine)")
    print("with several rounds: medians (range in brackets); ratios are paired within a round, then their median taken; RSS is the peak\n")
    ours = [e for e in dict.fromkeys(r["engine"] for r in rows) if e.startswith("passeur")]
    print("| setting | engine | tok/s generation | tok/s whole process | tok/CPU-s | peak RSS |" + "".join(f" {e} ÷ this |" for e in ours))
    print("| --- | --- | --- | --- | --- | --- |" + " --- |" * len(ours))
    for setting in dict.fromkeys(r["setting"] for r in rows):
        group = [r for r in rows if r["setting"] == setting]
        # Paired ratios: passeur and the other engine in the same round, minutes apart at most.
        ours_tps = {(r["engine"], r["round"]): r["tokens"] / r["total_s"] for r in group if r["engine"].startswith("passeur")}
        for engine in dict.fromkeys(r["engine"] for r in group):
            runs = [r for r in group if r["engine"] == engine]
            whole = statistics.median([r["tokens"] / r["total_s"] for r in runs])
            per_cpu = statistics.median([r["tokens"] / r["cpu_s"] for r in runs])
            mark = "*" if runs[0].get("estimated") else ""
            if engine.startswith("passeur"):
                ratios = " | ".join("—" for _ in ours)
            else:
                ratios = " | ".join(
                    spread([ours_tps[(e, r["round"])] * r["generate_s"] / r["tokens"] for r in runs if (e, r["round"]) in ours_tps])
                    for e in ours
                )
            print(
                f"| {setting} | {engine} | {spread([r['tokens'] / r['generate_s'] for r in runs], '', 0)}{mark} | {whole:.0f} | "
                f"{per_cpu:.0f} | {max(r['rss_mb'] for r in runs):.0f} MB | {ratios} |"
            )


def spread(values: list, unit: str = "×", digits: int = 2) -> str:
    """The median of `values`, with their range when there are several ("—" when none)."""
    if not values:
        return "—"
    text = f"{statistics.median(values):.{digits}f}{unit}"
    if len(values) > 1:
        text += f" ({min(values):.{digits}f}–{max(values):.{digits}f})"
    return text


def main() -> None:
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    command, rest = args[0], args[1:]
    if command == "make-model":
        make_model(Path(rest[0]), "tc-big" if "--tc-big" in rest[1:] else "opus-mt")
    elif command == "run":
        run(Path(rest[0]), rest[1], int(rest[2]) if len(rest) > 2 else 2)
    elif command == "transformers":
        model_dir, beams, batch, threads = Path(rest[0]), int(rest[1]), int(rest[2]), int(rest[3])
        print(json.dumps(measure_transformers(model_dir, beams, batch, threads)))
    elif command == "ctranslate2":
        model_dir, beams, batch, threads = Path(rest[0]), int(rest[1]), int(rest[2]), int(rest[3])
        print(json.dumps(measure_ctranslate2(model_dir, beams, batch, threads, rest[4])))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
