"""A small autoregressive seq2seq teacher, trained on the same prepared pairs with the same tokenizer, whose
greedy outputs replace (or join) the diffusion model's training targets: sequence-level knowledge
distillation (Kim & Rush 2016), the standard lever of non-autoregressive generation (Mask-Predict, Difformer's
reproductions). An autoregressive model learns far more per FLOP than continuous diffusion, and its outputs are
one consistent paraphrase per source instead of the references' many: the student has less to average over.
The teacher is a training aid here, not part of the shipped engine.

    PYTHONPATH=src/trainer/python python3 -m diffuseq_trainer.teacher train --data runs/prep-full \\
        --out runs/teacher [--minutes 50] [--steps 12000] [--resume]
    … teacher eval --teacher runs/teacher --data runs/prep-full [--limit 200]
    … teacher distil --teacher runs/teacher --data runs/prep-full --out runs/prep-distil [--mode replace|both]

The model: nn.Transformer (pre-LayerNorm), token embedding tied to the output layer, learned positions; the
source is the prepared source part ([TASK] src… [SEP]), the decoder reads [PAD] (the start token) + target
and predicts target… [SEP]. Label smoothing 0.1, AdamW, linear warm-up then cosine, bf16 autocast on CPUs
that support it. Checkpoints (RUN/teacher.pt, atomic) every few minutes and at the end; --resume continues.
"""

import argparse
import json
import math
import os
import shutil
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import ckpt as ckpt_io
from .data import BatchStream, PreparedData, write_split
from .decode import sentence_bleu
from .entry import run_main

DEFAULTS = {
    "model": {"dim": 192, "heads": 4, "encLayers": 3, "decLayers": 3, "ffn": 768, "dropout": 0.1},
    "train": {
        "seed": 1234,
        "batchSize": 64,
        "lr": 1e-3,
        "minLrRatio": 0.1,
        "warmupSteps": 200,
        "steps": 12000,
        "weightDecay": 0.01,
        "labelSmoothing": 0.1,
        "gradClip": 1.0,
        "threads": 0,
        "checkpointMinutes": 5,
        "logEvery": 50,
    },
    "data": {"taskWeights": {"paraphrase": 1.0, "simplify": 1.0}},
}


TEACHER_FILE = "teacher checkpoint (RUN/teacher.pt)"


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def attention(q, k, v, mask, dropout, causal):
    """softmax(q k^T / sqrt(d)) v with a bool mask (True = may attend) or a causal one: torch's fused kernel where
    it exists (torch >= 2.0), the same computation written out on Debian's torch 1.13."""
    if hasattr(F, "scaled_dot_product_attention"):
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout, is_causal=causal)
    scores = (q @ k.transpose(-2, -1)) / math.sqrt(q.shape[-1])
    if causal:
        L, S = scores.shape[-2:]
        mask = torch.ones(L, S, dtype=torch.bool, device=q.device).tril()
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return F.dropout(scores.softmax(-1), dropout) @ v


class Attention(nn.Module):
    """Multi-head attention over scaled_dot_product_attention. Keys/values come from `kv_in` (cross-attention)
    or from x itself; `cache` (a dict) keeps a decoder's past keys/values so greedy decoding feeds one new
    position per step instead of re-running the whole prefix."""

    def __init__(self, dim, heads, dropout):
        super().__init__()
        self.heads, self.dropout = heads, dropout
        self.q = nn.Linear(dim, dim)
        self.kv = nn.Linear(dim, 2 * dim)
        self.out = nn.Linear(dim, dim)

    def split(self, x):
        B, L, D = x.shape
        return x.view(B, L, self.heads, D // self.heads).transpose(1, 2)

    def forward(self, x, kv_in=None, mask=None, causal=False, cache=None):
        q = self.split(self.q(x))
        if cache is not None and "k" in cache and kv_in is not None:
            k, v = cache["k"], cache["v"]  # cross-attention: the memory's keys/values, computed once
        else:
            k, v = (self.split(t) for t in self.kv(x if kv_in is None else kv_in).chunk(2, dim=-1))
            if cache is not None:
                if kv_in is None and "k" in cache:  # self-attention: append this step's keys/values
                    k, v = torch.cat([cache["k"], k], dim=2), torch.cat([cache["v"], v], dim=2)
                cache["k"], cache["v"] = k, v
        drop = self.dropout if self.training else 0.0
        h = attention(q, k, v, mask, drop, causal)
        B, H, L, Dh = h.shape
        return self.out(h.transpose(1, 2).reshape(B, L, H * Dh))


class Layer(nn.Module):
    """Pre-LayerNorm transformer layer: self-attention, cross-attention (decoder only), feed-forward."""

    def __init__(self, dim, heads, ffn, dropout, cross):
        super().__init__()
        self.n1, self.att = nn.LayerNorm(dim), Attention(dim, heads, dropout)
        self.n2, self.cross = (nn.LayerNorm(dim), Attention(dim, heads, dropout)) if cross else (None, None)
        self.n3 = nn.LayerNorm(dim)
        self.ff = nn.Sequential(nn.Linear(dim, ffn), nn.GELU(), nn.Linear(ffn, dim))
        self.drop = nn.Dropout(dropout)

    def forward(self, x, self_mask=None, causal=False, memory=None, mem_mask=None, cache=None):
        x = x + self.drop(
            self.att(self.n1(x), mask=self_mask, causal=causal, cache=None if cache is None else cache[0])
        )
        if self.cross is not None:
            c = None if cache is None else cache[1]
            x = x + self.drop(self.cross(self.n2(x), kv_in=memory, mask=mem_mask, cache=c))
        return x + self.drop(self.ff(self.n3(x)))


class Teacher(nn.Module):
    def __init__(self, vocab_size, max_len, dim=192, heads=4, enc_layers=3, dec_layers=3, ffn=768, dropout=0.1):
        super().__init__()
        self.dim = dim
        self.emb = nn.Embedding(vocab_size, dim)
        self.pos = nn.Embedding(max_len, dim)
        nn.init.normal_(self.emb.weight, std=dim**-0.5)
        nn.init.normal_(self.pos.weight, std=0.02)
        self.enc = nn.ModuleList(Layer(dim, heads, ffn, dropout, cross=False) for _ in range(enc_layers))
        self.dec = nn.ModuleList(Layer(dim, heads, ffn, dropout, cross=True) for _ in range(dec_layers))
        self.enc_norm, self.dec_norm = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.drop = nn.Dropout(dropout)

    @classmethod
    def from_config(cls, mc, vocab_size, max_len):
        return cls(
            vocab_size, max_len, mc["dim"], mc["heads"], mc["encLayers"], mc["decLayers"], mc["ffn"], mc["dropout"]
        )

    def embed(self, ids, offset=0):
        pos = torch.arange(offset, offset + ids.shape[1], device=ids.device)
        return self.drop(self.emb(ids) * math.sqrt(self.dim) + self.pos(pos)[None])

    @staticmethod
    def key_mask(src_pad):
        """[B, 1, 1, S] True where a source position may be attended to (not padding)."""
        return (~src_pad)[:, None, None, :]

    def encode(self, src, src_pad):
        x, mask = self.embed(src), self.key_mask(src_pad)
        for layer in self.enc:
            x = layer(x, self_mask=mask)
        return self.enc_norm(x)

    def decode(self, memory, src_pad, tgt_in, cache=None, offset=0):
        """Logits for every decoder position. With `cache` (a list from new_cache), tgt_in holds only the new
        positions, starting at `offset`."""
        x, mem_mask = self.embed(tgt_in, offset), self.key_mask(src_pad)
        for i, layer in enumerate(self.dec):
            x = layer(
                x, causal=cache is None, memory=memory, mem_mask=mem_mask, cache=None if cache is None else cache[i]
            )
        return self.dec_norm(x) @ self.emb.weight.t()

    def new_cache(self):
        return [({}, {}) for _ in self.dec]

    def forward(self, src, src_pad, tgt_in, tgt_pad=None):
        # Padding after a target's end needs no mask: the causal mask keeps real positions from seeing it,
        # and the loss skips it.
        return self.decode(self.encode(src, src_pad), src_pad, tgt_in)


def pad_rows(rows, pad):
    """rows: list of int sequences -> ids [B, L] (pad-filled) and a bool mask [B, L], True at padding."""
    L = max(1, max(len(r) for r in rows))
    ids = np.full((len(rows), L), pad, dtype=np.int64)
    is_pad = np.ones((len(rows), L), dtype=bool)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = r
        is_pad[i, : len(r)] = False
    return torch.from_numpy(ids), torch.from_numpy(is_pad)


def teacher_batch(examples, pad):
    """(src, trg) pairs -> encoder input, decoder input ([PAD] as the start token + trg[:-1]), decoder target.
    trg ends with [SEP], so the teacher learns where to stop."""
    src, src_pad = pad_rows([s for s, _ in examples], pad)
    tgt_in, tgt_pad = pad_rows([[pad] + list(t[:-1]) for _, t in examples], pad)
    tgt_out, _ = pad_rows([list(t) for _, t in examples], pad)
    return src, src_pad, tgt_in, tgt_pad, tgt_out


def teacher_loss(model, batch, label_smoothing=0.1):
    src, src_pad, tgt_in, tgt_pad, tgt_out = batch
    logits = model(src, src_pad, tgt_in, tgt_pad).float()
    keep = ~tgt_pad
    return F.cross_entropy(logits[keep], tgt_out[keep], label_smoothing=label_smoothing)


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


def autocast_factory(dtype):
    if dtype == "bf16":
        return lambda: torch.autocast("cpu", dtype=torch.bfloat16)
    return None


def choose_dtype(requested):
    if requested in ("fp32", "bf16"):
        return requested
    try:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            torch.ones(2, 2) @ torch.ones(2, 2)
        return "bf16"
    except (RuntimeError, TypeError):
        return "fp32"


def lr_at(step, tc):
    if step < tc["warmupSteps"]:
        return tc["lr"] * (step + 1) / tc["warmupSteps"]
    p = min(1.0, (step - tc["warmupSteps"]) / max(1, tc["steps"] - tc["warmupSteps"]))
    lo = tc["minLrRatio"]
    return tc["lr"] * (lo + (1 - lo) * 0.5 * (1 + math.cos(math.pi * p)))


def merged_config(overrides):
    cfg = json.loads(json.dumps(DEFAULTS))
    for section, values in (overrides or {}).items():
        cfg[section].update(values)
    return cfg


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


def build(data, cfg):
    return Teacher.from_config(cfg["model"], data.vocab_size, data.max_len + 2)


def train(args):
    data = PreparedData(args.data)
    ck_path = os.path.join(args.out, "teacher.pt")
    state = ckpt_io.read(ck_path, TEACHER_FILE) if args.resume and os.path.exists(ck_path) else None
    if state is None and os.path.exists(ck_path) and not args.overwrite:
        sys.exit(f"{ck_path} exists: --resume to continue it, --overwrite to start over")
    cfg = state["config"] if state else merged_config(json.loads(args.config) if args.config else None)
    if args.steps:
        cfg["train"]["steps"] = args.steps
    tc = cfg["train"]
    torch.manual_seed(tc["seed"])
    if args.threads or tc["threads"]:
        torch.set_num_threads(args.threads or tc["threads"])
    model = build(data, cfg)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and not n.startswith(("emb", "pos"))]
    rest = [p for n, p in model.named_parameters() if not (p.dim() >= 2 and not n.startswith(("emb", "pos")))]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": tc["weightDecay"]}, {"params": rest, "weight_decay": 0.0}],
        lr=tc["lr"],
        betas=(0.9, 0.98),
    )
    stream = BatchStream(
        data,
        "train",
        tc["batchSize"],
        {"lengths": {"targetBudget": {"ratio": 1.5, "extra": 6}}, "data": cfg["data"]},
        tc["seed"],
    )
    step, tokens, seconds = 0, 0, 0.0
    history = []
    if state:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        stream.load_state_dict(state["stream"])
        step, tokens, seconds, history = state["step"], state["tokensSeen"], state["trainingSeconds"], state["history"]
        log(f"resumed at step {step} from {ck_path}")
    dtype = choose_dtype(args.dtype)
    autocast = autocast_factory(dtype)
    n_params = sum(p.numel() for p in model.parameters())
    log(
        f"teacher: {n_params / 1e6:.2f} M parameters, {dtype}, {torch.get_num_threads()} threads, "
        f"{tc['steps']} steps x {tc['batchSize']} rows"
    )
    os.makedirs(args.out, exist_ok=True)

    def save():
        ckpt_io.atomic_save(
            {
                "config": cfg,
                "model": model.state_dict(),
                "optimizer": opt.state_dict(),
                "stream": stream.state_dict(),
                "step": step,
                "tokensSeen": tokens,
                "trainingSeconds": seconds,
                "history": history,
                "dtype": dtype,
                "data": os.path.abspath(args.data),
                "params": n_params,
            },
            ck_path,
        )

    start = time.time()
    last_save = time.time()
    window = []
    model.train()
    while step < tc["steps"]:
        if args.minutes and time.time() - start > args.minutes * 60:
            log(f"--minutes {args.minutes} reached at step {step}")
            break
        t0 = time.perf_counter()
        examples = [stream.split.example(int(i)) for i in stream.next_indices()]
        batch = teacher_batch(examples, data.pad)
        for g in opt.param_groups:
            g["lr"] = lr_at(step, tc)
        if autocast:
            with autocast():
                loss = teacher_loss(model, batch, tc["labelSmoothing"])
        else:
            loss = teacher_loss(model, batch, tc["labelSmoothing"])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), tc["gradClip"])
        opt.step()
        step += 1
        tokens += int((~batch[1]).sum() + (~batch[3]).sum())
        seconds += time.perf_counter() - t0
        window.append(float(loss.detach()))
        if step % tc["logEvery"] == 0:
            rec = {
                "step": step,
                "loss": float(np.mean(window)),
                "lr": lr_at(step, tc),
                "tokensSeen": tokens,
                "trainingSeconds": round(seconds, 1),
            }
            history.append(rec)
            window = []
            print(json.dumps(rec), flush=True)
        if time.time() - last_save > tc["checkpointMinutes"] * 60:
            save()
            last_save = time.time()
    save()
    log(f"saved {ck_path} at step {step} ({seconds / 60:.1f} min of steps, {tokens / 1e6:.1f} M tokens)")


def load_teacher(run_dir, data):
    state = ckpt_io.read(os.path.join(run_dir, "teacher.pt"), TEACHER_FILE)
    model = build(data, state["config"])
    model.load_state_dict(state["model"])
    model.eval()
    return model, state


def eval_cmd(args):
    data = PreparedData(args.data)
    model, state = load_teacher(args.teacher, data)
    if args.threads:
        torch.set_num_threads(args.threads)
    autocast = autocast_factory(choose_dtype(args.dtype))
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
    autocast = autocast_factory(choose_dtype(args.dtype))
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
    for name in ("tokenizer.json", "tokenizer_config.json", "valid.tokens.bin", "valid.index.bin"):
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


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("--data", required=True)
    t.add_argument("--out", required=True)
    t.add_argument("--config", help='JSON overrides of DEFAULTS, e.g. \'{"train": {"lr": 5e-4}}\'')
    t.add_argument("--steps", type=int, help="total steps (the LR schedule follows them)")
    t.add_argument("--minutes", type=float, help="stop (with a checkpoint) after this much wall time")
    t.add_argument("--resume", action="store_true")
    t.add_argument("--overwrite", action="store_true")
    for p in [t, sub.add_parser("eval"), sub.add_parser("distil")]:
        p.add_argument("--threads", type=int, default=0)
        p.add_argument("--dtype", default="auto", choices=["auto", "fp32", "bf16"])
        if p is not t:
            p.add_argument("--teacher", required=True)
            p.add_argument("--data", required=True)
            p.add_argument("--limit", type=int, default=0)
    e = sub.choices["eval"]
    e.add_argument("--tasks", default="paraphrase,simplify")
    d = sub.choices["distil"]
    d.add_argument("--out", required=True)
    d.add_argument("--mode", default="replace", choices=["replace", "both"])
    a = ap.parse_args(argv)
    if a.cmd == "eval" and not a.limit:
        a.limit = 200
    {"train": train, "eval": eval_cmd, "distil": distil}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(run_main(main, "teacher") or 0)
