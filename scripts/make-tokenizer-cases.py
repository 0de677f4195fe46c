#!/usr/bin/env python3
"""Ground truth for passeur's tokenizer tests, from the real Python libraries.

Writes
  tests/fixtures/tokenizer_cases.jsonl   edge cases for the marian-tiny fixture tokenizer:
      {"kind": "encode", "text", "tokens", "ids"}   tokenizer.tokenize(text), tokenizer(text).input_ids
      {"kind": "decode", "ids", "text"}             tokenizer.decode(ids, skip_special_tokens=True)
  tests/fixtures/spm-variants/<variant>/{model.spm,vocab.json}   small SentencePiece models trained
      here with settings the fixture does not exercise (identity normalisation, no dummy prefix, kept
      extra spaces, user-defined and control symbols, byte fallback, whitespace as suffix, no
      whitespace escaping, unused pieces, a denormaliser), each with a vocab.json in MarianTokenizer's
      format (piece -> SentencePiece id, plus <pad>)
  tests/fixtures/spm-variants/cases.jsonl   the same kinds of cases per variant, from
      MarianTokenizer(source_spm=model.spm, target_spm=model.spm, vocab=vocab.json).
  tests/fixtures/spm-variants/bpe/model.spm   a BPE model, which must be refused.

Run from the repository root, in a virtual environment outside the repository:
    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install sentencepiece==0.2.3 "transformers==5.24.0" protobuf
    /tmp/venv/bin/python scripts/make-tokenizer-cases.py
The output is deterministic: fixed seeds, fixed training settings, one training thread.
"""

import io
import json
import random
import shutil
import sys
import warnings
from pathlib import Path

import sentencepiece as spm
import transformers
from sentencepiece import sentencepiece_model_pb2 as model_pb2
from transformers import MarianTokenizer

warnings.filterwarnings("ignore")  # "Recommended: pip install sacremoses." (not used by tokenize)

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests/fixtures/marian-tiny"
CASES = ROOT / "tests/fixtures/tokenizer_cases.jsonl"
VARIANTS = ROOT / "tests/fixtures/spm-variants"

NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6

# Hand-picked inputs: whitespace of every kind, typography of French news, characters the source
# model does not know (alone and in runs), special-token strings and fragments, language codes.
HAND_PICKED = [
    "", " ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u202f", "\u3000", "\u200b", "\ufeff",
    "a", " a", "a ", "  a  b  ", "a\tb", "a\nb", "a\r\nb", "a\u00a0b", "a\u202fb", "a\u2009b",
    "a\u3000b", "a\u200bb", "a \u00a0 b", "\u00a0\u00a0a", "a\u00a0\u00a0", "\t\ta\t\t",
    "Bonjour\u00a0!", "Vraiment\u202f?", "« Bonjour »", "«\u00a0Bonjour\u00a0»", "5\u202f000 €",
    "50\u00a0%", "5.000", "1,5", "3/4", "12h30", "2024-01-01", "M. Wang", "l’État", "aujourd'hui",
    "...", "…", "—", "–", "'", "’", "LE GOUVERNEMENT A DÉMISSIONNÉ",
    "https://example.com/a?b=c&d=e", "contact@example.fr", "@passeur", "#Paris2024",
    "你好", "你好世界", "你 好", "😀", "😀😀 😀", "a😀b", "Ж", "ЖЖЖ", "`", "``", "a`b", "“Bonjour”",
    "”“", "ß", "Ω", "ﬁ", "①", "Ａ", "²", "½", "e\u0301", "\u0301", "é", "Æ", "œuvre",
    "\x00", "a\x00b", "\x07", "\x1c", "a\x1fb", "\x7f", "\u0085", "\u2028", "\ud7ff",
    "</s>", "a</s>b", "</s></s>", "<unk>", "<pad>", "<s>", "<pad", "</s", "< /s>", "x<unk>y<pad>z",
    " </s> ", "</s> a", "a </s>", "<</s>>", "</s>>>fr<< x",
    ">>fra<< Bonjour", ">>fra<<", ">><<", ">>Bonjour", ">> Bonjour <<", "a >>fra<< b", ">>x<<<<y<<",
]

RANDOM_POOLS = [
    (10, list("abcdefghijklmnopqrstuvwxyzéèêàâçôûùïëœæ")),
    (3, list("ABCDEFGHIJKLMNOPQRSTUVWXYZÉÈÇ")),
    (2, list("0123456789")),
    (3, list(".,;:!?«»\"'’()-–—…/%€$@#&*")),
    (4, [" ", "  ", "\u00a0", "\u202f", "\t", "\n", "\u2009", "\u3000", " \u00a0 "]),
    (2, ["你", "好", "😀", "Ж", "ß", "Ω", "`", "“", "”", "ﬁ", "①", "²", "e\u0301", "\u200b", "\x1f"]),
    (1, ["</s>", "<unk>", "<pad>", "<", ">", ">>", "<<", "</", "<s>"]),
]


# Repeated digits and letters next to user-defined symbols: many segmentations tie exactly, so
# these texts pin down SentencePiece's arithmetic and tie-breaking.
TIE_POOLS = [(1, list("0000000001111aaabbb eeess") + ["00", "000", "ab", "M.", "<sep>", "€"])]


def random_texts(words, count, seed, pools=RANDOM_POOLS):
    rng = random.Random(seed)
    weights = [w for w, _ in pools]
    texts = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(1, 14)):
            if pools is RANDOM_POOLS and rng.random() < 0.35:
                parts.append(rng.choice(words))
            else:
                _, pool = rng.choices(pools, weights=weights)[0]
                parts.append(rng.choice(pool))
        texts.append("".join(parts))
    return texts


def random_id_sequences(vocab_size, special_ids, count, seed):
    rng = random.Random(seed)
    sequences = [[], list(special_ids), [special_ids[0]] * 3]
    for _ in range(count):
        length = rng.randint(1, 30)
        seq = [rng.randrange(vocab_size) for _ in range(length)]
        if rng.random() < 0.5:
            seq.insert(rng.randrange(len(seq) + 1), rng.choice(special_ids))
        sequences.append(seq)
    return sequences


def tie_families():
    """Short texts where a user-defined symbol precedes a run of zeros (ties of 0+00 and 00+0)."""
    texts = []
    for symbol in ["€", "<sep>", "M.", "ab"]:
        for prefix in ["", "e", "a", "0", "s", "bs"]:
            for count in range(1, 7):
                texts.append(prefix + symbol * count + "000")
    return texts


def long_cases(tokenizer, texts):
    """Texts long enough (tens of thousands of pieces) for SentencePiece to rebase its path
    scores; only the ids are kept, to keep the file small."""
    return [{"kind": "encode_ids", "text": text, "ids": tokenizer(text).input_ids} for text in texts]


def cases_for(tokenizer, texts, id_sequences):
    out = []
    for text in texts:
        out.append({
            "kind": "encode",
            "text": text,
            "tokens": tokenizer.tokenize(text),
            "ids": tokenizer(text).input_ids,
        })
    for ids in id_sequences:
        out.append({"kind": "decode", "ids": ids, "text": tokenizer.decode(ids, skip_special_tokens=True)})
    return out


def write_jsonl(path, records):
    with open(path, "w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")


def corpus_lines():
    lines = (FIXTURE / "inputs.txt").read_text(encoding="utf-8").splitlines()
    # Characters the variants should know as pieces, so that their normalisation shows.
    lines += ["ﬁn ﬁnale ① ② Ａ Ｂ ½ € 5\u00a0% « a » " * 3, "user <sep> piece M. M. M. ab ab ab"] * 5
    return lines


def train(**settings):
    settings.setdefault("model_type", "unigram")
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus_lines()),
        model_writer=model,
        vocab_size=400,
        hard_vocab_limit=False,
        character_coverage=1.0,
        num_threads=1,
        seed_sentencepiece_size=100000,
        minloglevel=2,
        **settings,
    )
    proto = model_pb2.ModelProto()
    proto.ParseFromString(model.getvalue())
    return proto


def variant_models():
    nfkc = train(normalization_rule_name="nmt_nfkc").normalizer_spec.precompiled_charsmap

    variants = {}
    variants["identity-raw"] = train(
        normalization_rule_name="identity", add_dummy_prefix=False, remove_extra_whitespaces=False
    )
    variants["nfkc-cf-user-symbols"] = train(
        normalization_rule_name="nmt_nfkc_cf",
        user_defined_symbols=["<sep>", "M.", "€", "ab"],
        control_symbols=["<ctrl>"],
    )
    variants["byte-fallback"] = train(normalization_rule_name="identity", byte_fallback=True)
    variants["suffix-whitespace"] = train(
        normalization_rule_name="identity", treat_whitespace_as_suffix=True
    )

    # Settings training refuses or never writes, set by editing a trained model.
    no_escape = train(normalization_rule_name="nmt_nfkc")
    no_escape.normalizer_spec.escape_whitespaces = False
    variants["no-escape"] = no_escape

    unused = train(normalization_rule_name="nmt_nfkc")
    for piece in unused.pieces:
        if piece.type == NORMAL and piece.piece in ("e", "▁de", "s", "▁la", "on"):
            piece.type = UNUSED
    variants["unused-pieces"] = unused

    denormalized = train(normalization_rule_name="identity")
    denormalized.denormalizer_spec.precompiled_charsmap = nfkc
    denormalized.denormalizer_spec.add_dummy_prefix = False
    denormalized.denormalizer_spec.remove_extra_whitespaces = False
    denormalized.denormalizer_spec.escape_whitespaces = False
    variants["nfkc-denormalizer"] = denormalized
    return variants


def main():
    print(f"sentencepiece {spm.__version__}, transformers {transformers.__version__}", file=sys.stderr)
    words = []
    for line in (FIXTURE / "inputs.txt").read_text(encoding="utf-8").splitlines():
        words += line.split(" ")
    words = [w for w in words if w]

    tokenizer = MarianTokenizer.from_pretrained(str(FIXTURE))
    special_ids = [tokenizer.eos_token_id, tokenizer.unk_token_id, tokenizer.pad_token_id]
    texts = HAND_PICKED + random_texts(words, 300, seed=20240601)
    texts += random_texts(words, 100, seed=20240603, pools=TIE_POOLS)
    ids = random_id_sequences(len(tokenizer.get_vocab()), special_ids, 100, seed=20240602)
    ids += [[2], [2, 2, 5], [2, 1, 2, 5], [5, 1, 5], [0, 5], [5, 938, 5]]
    cases = cases_for(tokenizer, texts, ids)
    article = " ".join((FIXTURE / "inputs.txt").read_text(encoding="utf-8").splitlines())
    cases += long_cases(tokenizer, [article * 10])
    write_jsonl(CASES, cases)
    print(f"wrote {CASES.relative_to(ROOT)}", file=sys.stderr)

    if VARIANTS.exists():
        shutil.rmtree(VARIANTS)
    VARIANTS.mkdir(parents=True)
    records = []
    for index, (name, proto) in enumerate(variant_models().items()):
        folder = VARIANTS / name
        folder.mkdir()
        model_path = folder / "model.spm"
        model_path.write_bytes(proto.SerializeToString())
        vocab = {piece.piece: i for i, piece in enumerate(proto.pieces)}
        vocab["<pad>"] = len(vocab)
        (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False, indent=1), encoding="utf-8")
        variant = MarianTokenizer(source_spm=str(model_path), target_spm=str(model_path), vocab=str(folder / "vocab.json"))
        variant_special = [variant.eos_token_id, variant.unk_token_id, variant.pad_token_id]
        variant_texts = HAND_PICKED + ["ﬁn ﬁnale ① Ａ ½", "<sep>M.ab€<ctrl>", "x<sep>y M.M. abab"]
        variant_texts += random_texts(words, 60, seed=100 + index)
        variant_texts += random_texts(words, 150, seed=300 + index, pools=TIE_POOLS)
        variant_texts += tie_families()
        variant_ids = random_id_sequences(len(vocab), variant_special, 40, seed=200 + index)
        cases = cases_for(variant, variant_texts, variant_ids)
        if name == "identity-raw":
            rng = random.Random(500)
            pool = TIE_POOLS[0][1]
            long_texts = ["".join(rng.choice(pool) for _ in range(40000)) for _ in range(3)]
            cases += long_cases(variant, long_texts)
        for case in cases:
            records.append({"variant": name, **case})
    write_jsonl(VARIANTS / "cases.jsonl", records)
    # A BPE model, which Marian tokenizers never use: loading it must fail clearly.
    (VARIANTS / "bpe").mkdir()
    bpe = train(normalization_rule_name="identity", model_type="bpe")
    (VARIANTS / "bpe" / "model.spm").write_bytes(bpe.SerializeToString())
    print(f"wrote {VARIANTS.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
