r"""Reads the prepared shards (docs/data-format.md) and makes training batches.

Row layout (docs/model-format.md):
    [TASK] src... [SEP] | trg... [SEP] [PAD]...[PAD]
    \__ source part __/   \_____ target region _____/
The target region of a row is max(trgLen, min(maxTarget, ceil(ratio * n) + extra)) positions, where
n = number of source tokens between [TASK] and [SEP] -- the same budget rule the inference engine uses,
so the model learns to finish the target with [SEP] and fill the budget with [PAD]. Rows of one batch
are padded (more [PAD] in the target region) to the batch's longest row, rounded up to padMultiple:
there is no attention mask, pads are real target positions the model learns to predict. Batches are
bucketed by source length to keep that extra padding small.
"""

import json
import math
import os

import numpy as np
import torch

from .entry import log

# The word list `prepare` writes beside the shards (src/engine/wordList.ts WORD_LIST_FILE); export and distil copy it.
WORD_LIST_FILE = "words.txt.gz"


def target_budget(n_src_tokens, max_target, ratio, extra):
    """Inference-time target region: max(1, min(maxTarget, ceil(ratio * n) + extra)) - the engine's rule
    (src/engine/text.ts targetBudget); test/fixtures/target-budget.json pins the two together."""
    return max(1, min(max_target, int(math.ceil(ratio * n_src_tokens - 1e-9)) + extra))


def target_region(src_part_len, trg_len, max_target, ratio, extra):
    """Training target region of one row: the budget, or longer when the reference needs it."""
    return max(trg_len, target_budget(src_part_len - 2, max_target, ratio, extra))


class Split:
    """One split (train/valid): memory-mapped token file + [N, 4] index of (srcStart, srcLen, trgStart, trgLen)."""

    def __init__(self, data_dir, name, token_dtype):
        dtype = np.dtype("<u2") if token_dtype == "uint16" else np.dtype("<u4")
        tok_path = os.path.join(data_dir, f"{name}.tokens.bin")
        idx_path = os.path.join(data_dir, f"{name}.index.bin")
        self.tokens = np.memmap(tok_path, dtype=dtype, mode="r") if os.path.getsize(tok_path) else np.zeros(0, dtype)
        self.index = np.fromfile(idx_path, dtype="<i4").reshape(-1, 4)
        self.name = name
        # The task of an example is its first source token ([PARA], [SIMP], ...).
        self.task_ids = (
            np.asarray(self.tokens[self.index[:, 0]], dtype=np.int64) if len(self.index) else np.zeros(0, np.int64)
        )

    def __len__(self):
        return len(self.index)

    def example(self, i):
        s0, sl, t0, tl = (int(v) for v in self.index[i])
        return (
            np.asarray(self.tokens[s0 : s0 + sl], dtype=np.int64),
            np.asarray(self.tokens[t0 : t0 + tl], dtype=np.int64),
        )


def write_split(data_dir, name, pairs, token_dtype="uint16"):
    """Write (src ids, trg ids) pairs as a split in the layout `prepare` writes (src then trg of each example,
    contiguous; docs/data-format.md) - for folders derived in Python from a prepared one (teacher.distil)."""
    dtype = np.dtype("<u2") if token_dtype == "uint16" else np.dtype("<u4")
    limit = np.iinfo(dtype).max
    index = np.zeros((len(pairs), 4), dtype="<i4")
    parts, off = [], 0
    for i, (src, trg) in enumerate(pairs):
        src, trg = np.asarray(src, dtype=np.int64), np.asarray(trg, dtype=np.int64)
        if len(src) and max(src.max(), trg.max() if len(trg) else 0) > limit:
            raise ValueError(f"a token id does not fit {token_dtype}")
        index[i] = (off, len(src), off + len(src), len(trg))
        parts += [src, trg]
        off += len(src) + len(trg)
    if off > np.iinfo(np.int32).max:
        raise ValueError(f"{name}: {off} tokens do not fit int32 offsets")
    tokens = np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)
    tokens.tofile(os.path.join(data_dir, f"{name}.tokens.bin"))
    index.tofile(os.path.join(data_dir, f"{name}.index.bin"))


class PreparedData:
    def __init__(self, data_dir):
        self.dir = data_dir
        meta = os.path.join(data_dir, "meta.json")
        if not os.path.isfile(meta):
            what = "does not exist" if not os.path.exists(data_dir) else "holds no prepared data (no meta.json)"
            raise ValueError(
                f"data folder {data_dir} {what}: prepare it first with `diffuseq prepare --out {data_dir} ...`"
            )
        with open(meta) as f:
            self.meta = json.load(f)
        m = self.meta
        self.vocab_size = int(m["vocabSize"])
        self.pad, self.sep = int(m["tokens"]["pad"]), int(m["tokens"]["sep"])
        self.max_source = int(m["lengths"]["maxSource"])
        self.max_target = int(m["lengths"]["maxTarget"])
        self.token_dtype = m.get("tokenDtype", "uint16")
        self._splits = {}

    @property
    def max_len(self):
        return self.max_source + self.max_target

    def split(self, name):
        if name not in self._splits:
            self._splits[name] = Split(self.dir, name, self.token_dtype)
        return self._splits[name]

    def task_of_id(self):
        return {int(v["id"]): k for k, v in self.meta["tasks"].items()}


def collate(examples, pad, max_len, max_target, ratio, extra, pad_multiple=1):
    """Lay out (src, trg) pairs as rows of one length. Returns ids [B, L] int64 and target mask [B, L] bool."""
    lens = [len(s) + target_region(len(s), len(t), max_target, ratio, extra) for s, t in examples]
    L = max(lens)
    if pad_multiple > 1:
        L = int(math.ceil(L / pad_multiple) * pad_multiple)
    L = min(L, max_len)
    ids = np.full((len(examples), L), pad, dtype=np.int64)
    mask = np.zeros((len(examples), L), dtype=bool)
    for r, (s, t) in enumerate(examples):
        ids[r, : len(s)] = s
        ids[r, len(s) : len(s) + len(t)] = t
        mask[r, len(s) :] = True
    return torch.from_numpy(ids), torch.from_numpy(mask)


def task_probabilities(split, task_weights, task_of_id):
    """Per-example sampling probabilities so that each task gets its configured share of the batches."""
    present = {int(i): int(c) for i, c in zip(*np.unique(split.task_ids, return_counts=True), strict=True)}
    if not task_weights:
        return None  # the natural mix: uniform over examples
    weights = {}
    for tid, count in present.items():
        name = task_of_id.get(tid, str(tid))
        w = float(task_weights.get(name, 0.0))
        if name not in task_weights:
            log(f"warning: task {name} is in the data but not in data.taskWeights; it gets weight 0")
        weights[tid] = w / count
    for name in task_weights:
        if name not in task_of_id.values() or not any(task_of_id.get(t) == name for t in present):
            log(f"warning: task {name} of data.taskWeights has no examples in split {split.name}")
    p = np.array([weights[int(t)] for t in split.task_ids], dtype=np.float64)
    if p.sum() <= 0:
        raise ValueError("data.taskWeights gives every example weight 0")
    return p / p.sum()


class BatchStream:
    """Endless training batches: draw `pool` batches' worth of examples (with replacement, by task weight),
    sort them by source length, cut into batches, shuffle the batches. Its state can be checkpointed."""

    def __init__(self, data, split_name, batch_size, cfg, seed, pool=50):
        self.data, self.split = data, data.split(split_name)
        if len(self.split) == 0:
            raise ValueError(f"split {split_name} is empty")
        self.batch_size, self.pool = batch_size, pool
        tb = cfg["lengths"]["targetBudget"]
        self.ratio, self.extra = float(tb["ratio"]), int(tb["extra"])
        self.pad_multiple = int(cfg["lengths"].get("padMultiple", 1))
        self.p = task_probabilities(self.split, cfg["data"]["taskWeights"], data.task_of_id())
        self.rng = np.random.default_rng(seed)
        self.pending = []  # list of index arrays, next batch last

    def _refill(self):
        n = self.batch_size * self.pool
        idx = self.rng.choice(len(self.split), size=n, replace=True, p=self.p)
        src_len = self.split.index[idx, 1]
        # Stable sort by source length with a random tie-break so buckets differ between pools.
        order = np.lexsort((self.rng.random(n), src_len))
        batches = [idx[order[i : i + self.batch_size]] for i in range(0, n, self.batch_size)]
        perm = self.rng.permutation(len(batches))
        self.pending = [batches[i] for i in perm]

    def next_indices(self):
        if not self.pending:
            self._refill()
        return self.pending.pop()

    def make_batch(self, indices):
        ex = [self.split.example(int(i)) for i in indices]
        return collate(
            ex, self.data.pad, self.data.max_len, self.data.max_target, self.ratio, self.extra, self.pad_multiple
        )

    def __next__(self):
        return self.make_batch(self.next_indices())

    def __iter__(self):
        return self

    def state_dict(self):
        return {"rng": self.rng.bit_generator.state, "pending": [b.tolist() for b in self.pending]}

    def load_state_dict(self, st):
        self.rng.bit_generator.state = st["rng"]
        self.pending = [np.asarray(b, dtype=np.int64) for b in st["pending"]]


def fixed_batches(data, split_name, cfg, batch_size, max_batches, pad_multiple=None):
    """Deterministic batches of the first examples of a split (for validation), bucketed by length."""
    split = data.split(split_name)
    n = min(len(split), batch_size * max_batches)
    idx = np.argsort(split.index[:n, 1], kind="stable")
    tb = cfg["lengths"]["targetBudget"]
    pm = cfg["lengths"].get("padMultiple", 1) if pad_multiple is None else pad_multiple
    out = []
    for i in range(0, n, batch_size):
        ex = [split.example(int(j)) for j in idx[i : i + batch_size]]
        out.append(collate(ex, data.pad, data.max_len, data.max_target, tb["ratio"], tb["extra"], pm))
    return out
