"""The autoregressive teacher of sequence-level distillation (teacher.py): a small pre-LayerNorm encoder-decoder
transformer, token embedding tied to the output layer, learned positions; its batches, loss and checkpoint.
The source is the prepared source part ([TASK] src… [SEP]); the decoder reads [PAD] (the start token) + target
and predicts target… [SEP].
"""

import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import ckpt as ckpt_io

TEACHER_FILE = "teacher checkpoint (RUN/teacher.pt)"


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

    def configure_optimizer(self, weight_decay, lr):
        """AdamW (betas 0.9, 0.98); weight decay only on matrices, never on the embeddings."""
        decays = lambda n, p: p.dim() >= 2 and not n.startswith(("emb", "pos"))
        decay = [p for n, p in self.named_parameters() if decays(n, p)]
        rest = [p for n, p in self.named_parameters() if not decays(n, p)]
        groups = [{"params": decay, "weight_decay": weight_decay}, {"params": rest, "weight_decay": 0.0}]
        return torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.98))

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


def build(data, cfg):
    return Teacher.from_config(cfg["model"], data.vocab_size, data.max_len + 2)


def load_teacher(run_dir, data):
    state = ckpt_io.read(os.path.join(run_dir, "teacher.pt"), TEACHER_FILE)
    model = build(data, state["config"])
    model.load_state_dict(state["model"])
    model.eval()
    return model, state
