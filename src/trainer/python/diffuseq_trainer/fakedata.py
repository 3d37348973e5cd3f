"""A small synthetic prepared-data folder (docs/data-format.md) for tests and development, used when no
real `diffuseq prepare` output is at hand. Sentences come from a toy grammar; 'paraphrase' swaps words
for synonyms, 'simplify' drops adjectives/adverbs and uses the plain synonym. The tokenizer.json is a
hand-written whole-word WordPiece (uncased) tokenizer in the Hugging Face format.

    python3 -m diffuseq_trainer.fakedata --out /tmp/fake-prep [--train 4000 --valid 200]
"""

import argparse
import json
import os
import sys

import numpy as np

DETS = ["the", "a", "this", "that", "every"]
ADJS = [
    ("big", "large"),
    ("small", "little"),
    ("quick", "fast"),
    ("happy", "glad"),
    ("old", "aged"),
    ("bright", "shiny"),
    ("quiet", "silent"),
    ("strange", "odd"),
]
NOUNS = [
    ("dog", "hound"),
    ("car", "automobile"),
    ("house", "home"),
    ("child", "kid"),
    ("city", "town"),
    ("road", "street"),
    ("friend", "pal"),
    ("teacher", "tutor"),
    ("book", "novel"),
    ("ship", "boat"),
]
VERBS = [
    ("sees", "notices"),
    ("likes", "enjoys"),
    ("finds", "discovers"),
    ("helps", "assists"),
    ("follows", "trails"),
    ("builds", "constructs"),
    ("buys", "purchases"),
]
ADVS = [("quickly", "rapidly"), ("slowly", "gradually"), ("often", "frequently"), ("today", "now")]
SPECIALS = ["[PAD]", "[UNK]", "[SEP]", "[MASK]", "[PARA]", "[SIMP]"]


def vocabulary(vocab_size=None):
    """Grammar words, filler words up to vocab_size (for realistic matrix sizes), then the specials."""
    words = set(DETS) | {w for pairs in (ADJS, NOUNS, VERBS, ADVS) for p in pairs for w in p}
    words |= {".", ",", "and", "near", "with"}
    vocab = sorted(words)
    if vocab_size:
        vocab += [f"filler{i}" for i in range(max(0, vocab_size - len(vocab) - len(SPECIALS)))]
    return vocab + SPECIALS  # special tokens at the end, like the real tokenizer's layout


def sentence(rng):
    def np_(adj_p=0.6):
        det = DETS[rng.integers(len(DETS))]
        noun = NOUNS[rng.integers(len(NOUNS))]
        adj = ADJS[rng.integers(len(ADJS))] if rng.random() < adj_p else None
        return det, adj, noun

    parts = [np_(), VERBS[rng.integers(len(VERBS))], np_()]
    adv = ADVS[rng.integers(len(ADVS))] if rng.random() < 0.5 else None
    return parts, adv


def render(parts, adv, mode, rng):
    (d1, a1, n1), v, (d2, a2, n2) = parts
    pick = lambda pair: pair[1] if (mode == "para" and rng.random() < 0.7) else pair[0]
    out = [d1]
    if a1 and mode != "simp":
        out.append(pick(a1))
    out += [pick(n1) if mode == "para" else n1[0], pick(v) if mode == "para" else v[0], d2]
    if a2 and mode != "simp":
        out.append(pick(a2))
    out.append(pick(n2) if mode == "para" else n2[0])
    if adv and mode != "simp":
        out.append(pick(adv))
    return out + ["."]


def make(out_dir, n_train=4000, n_valid=200, seed=0, max_source=32, max_target=32, vocab_size=None):
    os.makedirs(out_dir, exist_ok=True)
    vocab = vocabulary(vocab_size)
    ids = {w: i for i, w in enumerate(vocab)}
    V = len(vocab)
    rng = np.random.default_rng(seed)
    tasks = {
        "paraphrase": {"token": "[PARA]", "id": ids["[PARA]"]},
        "simplify": {"token": "[SIMP]", "id": ids["[SIMP]"]},
    }
    for split, n in (("train", n_train), ("valid", n_valid)):
        toks, index = [], []
        pos = 0
        for _ in range(n):
            parts, adv = sentence(rng)
            task = "paraphrase" if rng.random() < 0.6 else "simplify"
            src = render(parts, adv, "orig", rng)
            trg = render(parts, adv, "para" if task == "paraphrase" else "simp", rng)
            s = [tasks[task]["id"]] + [ids[w] for w in src][: max_source - 2] + [ids["[SEP]"]]
            t = [ids[w] for w in trg][: max_target - 1] + [ids["[SEP]"]]
            index.append([pos, len(s), pos + len(s), len(t)])
            toks += s + t
            pos += len(s) + len(t)
        np.asarray(toks, dtype="<u2").tofile(os.path.join(out_dir, f"{split}.tokens.bin"))
        np.asarray(index, dtype="<i4").tofile(os.path.join(out_dir, f"{split}.index.bin"))
    meta = {
        "formatVersion": 1,
        "vocabSize": V,
        "tokenDtype": "uint16",
        "tokens": {"pad": ids["[PAD]"], "unk": ids["[UNK]"], "sep": ids["[SEP]"]},
        "tasks": tasks,
        "lengths": {"maxSource": max_source, "maxTarget": max_target},
        "splits": {"train": {"examples": n_train}, "valid": {"examples": n_valid}},
        "data": [
            {
                "name": "toy-grammar",
                "task": "paraphrase",
                "files": [],
                "pairs": n_train + n_valid,
                "licence": "synthetic, public domain",
            }
        ],
        "report": {"note": "synthetic data made by diffuseq_trainer.fakedata"},
    }
    with open(os.path.join(out_dir, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
    write_tokenizer(out_dir, vocab)
    return meta


def write_tokenizer(out_dir, vocab):
    specials = [w for w in vocab if w.startswith("[") and w.endswith("]")]
    added = [
        {
            "id": vocab.index(w),
            "content": w,
            "single_word": False,
            "lstrip": False,
            "rstrip": False,
            "normalized": False,
            "special": True,
        }
        for w in specials
    ]
    tok = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {
            "type": "BertNormalizer",
            "clean_text": True,
            "handle_chinese_chars": True,
            "strip_accents": None,
            "lowercase": True,
        },
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": None,
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {
            "type": "WordPiece",
            "unk_token": "[UNK]",
            "continuing_subword_prefix": "##",
            "max_input_chars_per_word": 100,
            "vocab": {w: i for i, w in enumerate(vocab)},
        },
    }
    with open(os.path.join(out_dir, "tokenizer.json"), "w") as f:
        json.dump(tok, f, indent=1)
    cfg = {
        "tokenizer_class": "BertTokenizer",
        "do_lower_case": True,
        "model_max_length": 128,
        "pad_token": "[PAD]",
        "unk_token": "[UNK]",
        "sep_token": "[SEP]",
        "mask_token": "[MASK]",
        "clean_up_tokenization_spaces": True,
    }
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w") as f:
        json.dump(cfg, f, indent=2)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--train", type=int, default=4000)
    ap.add_argument("--valid", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--vocab-size", type=int, help="pad the vocabulary with filler words to this size")
    ap.add_argument("--max-source", type=int, default=32)
    ap.add_argument("--max-target", type=int, default=32)
    a = ap.parse_args(argv)
    meta = make(a.out, a.train, a.valid, a.seed, a.max_source, a.max_target, a.vocab_size)
    print(json.dumps({"out": a.out, "vocabSize": meta["vocabSize"]}))


if __name__ == "__main__":
    from diffuseq_trainer.entry import run_main

    sys.exit(run_main(main, "fakedata"))
