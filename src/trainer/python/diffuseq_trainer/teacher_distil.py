"""What the trained teacher is for: greedy decoding (batched by length, with a key/value cache), its evaluation
on the validation pairs, and the distilled prepared folder (`teacher eval`, `teacher distil`; teacher.py).
"""

import json
import math
import os
import shutil
import time

import numpy as np
import torch

from .data import WORD_LIST_FILE, PreparedData, write_split
from .decode import sentence_bleu
from .entry import log
from .precision import autocast_for, cpu_dtype_untimed
from .teacher_model import load_teacher, pad_rows


def max_new_tokens(src_len, max_target):
    """How long a greedy output may grow: the source's content length x 1.5 + 10, within maxTarget (a paraphrase
    or a simplification is rarely longer; a teacher stuck in a loop stops there)."""
    return min(max_target, int(math.ceil(1.5 * max(0, src_len - 2))) + 10)


@torch.no_grad()
def greedy(model, sources, pad, sep, max_target, batch_size=256, autocast=None):
    """Greedy outputs (without the final [SEP]) for a list of source id sequences, in their order. Sources are
    decoded in batches of similar length; a row stops at its first [SEP]."""
    model.eval()
    order = sorted(range(len(sources)), key=lambda i: len(sources[i]))
    out = [None] * len(sources)
    ctx = autocast or torch.no_grad
    for b in range(0, len(order), batch_size):
        idx = order[b : b + batch_size]
        src, src_pad = pad_rows([sources[i] for i in idx], pad)
        limit = max(max_new_tokens(len(sources[i]), max_target) for i in idx)
        with ctx():
            memory = model.encode(src, src_pad)
            ys = torch.full((len(idx), 1), pad, dtype=torch.long)
            done = torch.zeros(len(idx), dtype=torch.bool)
            cache = model.new_cache()
            for step in range(limit):
                nxt = model.decode(memory, src_pad, ys[:, -1:], cache, offset=step)[:, -1].float().argmax(-1)
                nxt = torch.where(done, torch.full_like(nxt, pad), nxt)
                ys = torch.cat([ys, nxt[:, None]], dim=1)
                done |= nxt == sep
                if bool(done.all()):
                    break
        rows = ys[:, 1:].tolist()
        for r, i in enumerate(idx):
            toks = []
            for t in rows[r][: max_new_tokens(len(sources[i]), max_target)]:
                if t in (sep, pad):
                    break
                toks.append(t)
            out[i] = toks
    return out


class Vocab:
    """Id -> WordPiece token, from the prepared folder's tokenizer.json, to score words instead of pieces."""

    def __init__(self, data_dir):
        with open(os.path.join(data_dir, "tokenizer.json"), encoding="utf-8") as f:
            tok = json.load(f)
        self.tokens = {int(i): t for t, i in tok["model"]["vocab"].items()}
        for added in tok.get("added_tokens", []):
            self.tokens[int(added["id"])] = added["content"]

    def words(self, ids):
        """WordPiece detokenisation to words: '##' pieces join the word before them."""
        words = []
        for i in ids:
            t = self.tokens.get(int(i), "[UNK]")
            if t.startswith("##") and words:
                words[-1] += t[2:]
            else:
                words.append(t)
        return words


def evaluate(model, data, vocab, limit=200, task="paraphrase", autocast=None):
    """Greedy outputs for the first `limit` valid examples of a task, scored on words: BLEU against the
    reference (sentence BLEU-4, NLTK method 4, as the trainer's validation), BLEU against the source, iBLEU
    (0.8 BLEU - 0.2 BLEU-to-source, the papers' alpha) and the share of outputs identical to their source."""
    split = data.split("valid")
    task_id = int(data.meta["tasks"][task]["id"])
    rows = [i for i in range(len(split)) if int(split.task_ids[i]) == task_id][:limit]
    examples = [split.example(i) for i in rows]
    outs = greedy(model, [list(s) for s, _ in examples], data.pad, data.sep, data.max_target, autocast=autocast)
    bleu, to_src, same = [], [], []
    for (s, t), o in zip(examples, outs, strict=True):
        hyp, ref, src = vocab.words(o), vocab.words(t[:-1]), vocab.words(s[1:-1])
        bleu.append(sentence_bleu(ref, hyp))
        to_src.append(sentence_bleu(src, hyp))
        same.append(hyp == src)
    b, s = float(np.mean(bleu)), float(np.mean(to_src))
    samples = [" ".join(vocab.words(o)) for o in outs[:5]]
    return {
        "task": task,
        "examples": len(rows),
        "bleu": b,
        "bleuToSource": s,
        "ibleu": 0.8 * b - 0.2 * s,
        "unchanged": float(np.mean(same)),
        "samples": samples,
    }


def eval_cmd(args):
    data = PreparedData(args.data)
    model, state = load_teacher(args.teacher, data)
    if args.threads:
        torch.set_num_threads(args.threads)
    autocast = autocast_for("cpu", cpu_dtype_untimed(args.dtype))
    vocab = Vocab(args.data)
    report = {
        "teacher": args.teacher,
        "step": state["step"],
        "tokensSeen": state["tokensSeen"],
        "trainingSeconds": state["trainingSeconds"],
        "params": state["params"],
    }
    for task in args.tasks.split(","):
        t0 = time.time()
        report[task] = evaluate(model, data, vocab, args.limit, task, autocast)
        report[task]["seconds"] = round(time.time() - t0, 1)
    print(json.dumps(report, indent=2))


def distil(args):
    """A prepared folder whose train split pairs every source with the teacher's greedy output ("replace"), or
    with both its reference and the teacher's output ("both"); valid keeps the references (validation measures
    the real task), the tokenizer and meta are the source folder's."""
    data = PreparedData(args.data)
    model, state = load_teacher(args.teacher, data)
    if args.threads:
        torch.set_num_threads(args.threads)
    autocast = autocast_for("cpu", cpu_dtype_untimed(args.dtype))
    split = data.split("train")
    n = len(split) if not args.limit else min(args.limit, len(split))
    examples = [split.example(i) for i in range(n)]
    t0 = time.time()
    outs = []
    chunk = 4096
    for b in range(0, n, chunk):
        outs += greedy(
            model, [list(s) for s, _ in examples[b : b + chunk]], data.pad, data.sep, data.max_target, autocast=autocast
        )
        log(f"distil: {min(n, b + chunk)}/{n} sources ({time.time() - t0:.0f} s)")
    pairs, empty, same_as_ref = [], 0, 0
    for (s, t), o in zip(examples, outs, strict=True):
        if not o:
            empty += 1
            pairs.append((s, t))  # an empty output teaches nothing: keep the reference
            continue
        # prepare's rule: a target, its [SEP] included, holds at most maxTarget tokens.
        new_t = np.asarray(o[: data.max_target - 1] + [data.sep], dtype=np.int64)
        same_as_ref += int(np.array_equal(new_t, t))
        if args.mode == "both":
            pairs.append((s, t))
        pairs.append((s, new_t))
    os.makedirs(args.out, exist_ok=True)
    # The word list too: a package exported from the distilled data keeps the engine's word constraint.
    for name in ("tokenizer.json", "tokenizer_config.json", WORD_LIST_FILE, "valid.tokens.bin", "valid.index.bin"):
        src = os.path.join(args.data, name)
        if os.path.exists(src):
            shutil.copyfile(src, os.path.join(args.out, name))
    write_split(args.out, "train", pairs, data.token_dtype)
    meta = dict(data.meta)
    meta["splits"] = dict(meta["splits"], train={"examples": len(pairs)})
    meta["distilled"] = {
        "teacher": os.path.abspath(args.teacher),
        "teacherStep": state["step"],
        "teacherTokensSeen": state["tokensSeen"],
        "from": os.path.abspath(args.data),
        "mode": args.mode,
        "sources": n,
        "emptyKeptReference": empty,
        "identicalToReference": same_as_ref,
        "seconds": round(time.time() - t0, 1),
    }
    with open(os.path.join(args.out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
    log(
        f"distil: wrote {len(pairs)} train pairs to {args.out} ({empty} empty outputs kept their reference, "
        f"{same_as_ref} identical to the reference)"
    )
