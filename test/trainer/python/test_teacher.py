"""The autoregressive teacher: its cached greedy decoding equals full decoding, its batches are laid out as
documented, it learns, and distil writes a prepared folder the trainer reads."""

import gzip
import json
import os
import shutil
import tempfile
import unittest

import numpy as np
import torch

from diffuseq_trainer import teacher, teacher_distil, teacher_model
from diffuseq_trainer.data import PreparedData, write_split
from helpers import fake_data_dir


def tiny(vocab=40, max_len=32):
    torch.manual_seed(0)
    return teacher_model.Teacher(
        vocab, max_len, dim=16, heads=2, enc_layers=1, dec_layers=2, ffn=32, dropout=0.0
    ).eval()


class TeacherTest(unittest.TestCase):
    def test_cached_decoding_equals_full_decoding(self):
        model = tiny()
        src, src_pad = teacher_model.pad_rows([[3, 4, 5, 6, 2], [7, 8, 2]], pad=0)
        tgt = torch.tensor([[0, 9, 10, 11, 12], [0, 13, 14, 15, 16]])
        with torch.no_grad():
            memory = model.encode(src, src_pad)
            full = model.decode(memory, src_pad, tgt)
            cache = model.new_cache()
            steps = [model.decode(memory, src_pad, tgt[:, i : i + 1], cache, offset=i) for i in range(tgt.shape[1])]
        torch.testing.assert_close(torch.cat(steps, dim=1), full, rtol=1e-4, atol=1e-5)

    def test_source_padding_changes_nothing(self):
        """A row's output must not depend on how much padding its batch gave it."""
        model = tiny()
        with torch.no_grad():
            alone = model(*teacher_model.pad_rows([[3, 4, 2]], pad=0), torch.tensor([[0, 9]]))
            src, src_pad = teacher_model.pad_rows([[3, 4, 2], [5, 6, 7, 8, 9, 2]], pad=0)
            padded = model(src, src_pad, torch.tensor([[0, 9], [0, 9]]))
        torch.testing.assert_close(padded[:1], alone, rtol=1e-4, atol=1e-5)

    def test_batch_layout(self):
        src, src_pad, tgt_in, tgt_pad, tgt_out = teacher_model.teacher_batch(
            [(np.array([30, 5, 6, 2]), np.array([7, 8, 2])), (np.array([30, 9, 2]), np.array([4, 2]))], pad=0
        )
        assert src.tolist() == [[30, 5, 6, 2], [30, 9, 2, 0]]
        assert src_pad.tolist() == [[False] * 4, [False, False, False, True]]
        # The decoder reads [PAD] as its start token, then the target shifted right; it predicts target + [SEP].
        assert tgt_in.tolist() == [[0, 7, 8], [0, 4, 0]]
        assert tgt_out.tolist() == [[7, 8, 2], [4, 2, 0]]
        assert tgt_pad.tolist() == [[False] * 3, [False, False, True]]

    def test_max_new_tokens(self):
        # 10 content tokens between [TASK] and [SEP]: 1.5 x 10 + 10 = 25, inside maxTarget 64; cut at maxTarget 20.
        assert teacher_distil.max_new_tokens(12, 64) == 25
        assert teacher_distil.max_new_tokens(12, 20) == 20

    def test_greedy_stops_at_sep_and_keeps_order(self):
        model = tiny()
        with torch.no_grad():
            # An output layer that always prefers token 5, then [SEP] (2) once 5 is in place: bias via the embedding.
            model.emb.weight.zero_()
            model.emb.weight[2, 0] = 1.0
        sources = [[30, 3, 4, 2], [30, 3, 2], [30, 6, 7, 8, 9, 2]]
        out = teacher_distil.greedy(model, sources, pad=0, sep=2, max_target=16, batch_size=2)
        assert len(out) == 3
        for o in out:
            assert 2 not in o and 0 not in o  # neither [SEP] nor [PAD] is part of an output

    def test_write_split_round_trips_through_the_reader(self):
        d = tempfile.mkdtemp(prefix="dq-split-")
        pairs = [([30, 5, 6, 2], [7, 2]), ([31, 9, 2], [4, 4, 8, 2])]
        write_split(d, "train", pairs, "uint16")
        index = np.fromfile(os.path.join(d, "train.index.bin"), dtype="<i4").reshape(-1, 4)
        assert index.tolist() == [[0, 4, 4, 2], [6, 3, 9, 4]]
        from diffuseq_trainer.data import Split

        split = Split(d, "train", "uint16")
        assert [(s.tolist(), t.tolist()) for s, t in (split.example(0), split.example(1))] == pairs
        assert split.task_ids.tolist() == [30, 31]

    def test_train_then_distil_writes_a_folder_the_trainer_reads(self):
        data_dir = fake_data_dir()
        out = tempfile.mkdtemp(prefix="dq-teacher-")
        cfg = json.dumps(
            {
                "model": {"dim": 32, "heads": 2, "encLayers": 1, "decLayers": 1, "ffn": 64},
                "train": {"batchSize": 16, "warmupSteps": 5, "logEvery": 10, "lr": 3e-3},
                "data": {"taskWeights": {}},
            }
        )
        teacher.main(
            [
                "train",
                "--data",
                data_dir,
                "--out",
                out,
                "--steps",
                "60",
                "--threads",
                "1",
                "--config",
                cfg,
                "--dtype",
                "fp32",
            ]
        )
        state = torch.load(os.path.join(out, "teacher.pt"), weights_only=False)
        assert state["step"] == 60
        first, last = state["history"][0]["loss"], state["history"][-1]["loss"]
        assert last < first  # it learns
        prep = os.path.join(out, "prep")
        teacher.main(
            [
                "distil",
                "--teacher",
                out,
                "--data",
                data_dir,
                "--out",
                prep,
                "--threads",
                "1",
                "--dtype",
                "fp32",
                "--mode",
                "both",
            ]
        )
        src_data, new = PreparedData(data_dir), PreparedData(prep)
        n = len(src_data.split("train"))
        assert new.meta["distilled"]["sources"] == n
        assert len(new.split("train")) == n + (n - new.meta["distilled"]["emptyKeptReference"])
        assert len(new.split("valid")) == len(src_data.split("valid"))  # validation keeps the references
        s0, t0 = new.split("train").example(0)
        assert s0.tolist() == src_data.split("train").example(0)[0].tolist()
        assert t0[-1] == new.sep

    def test_written_out_attention_matches_the_fused_kernel(self):
        """Debian's torch 1.13 has no scaled_dot_product_attention: the fallback must compute the same."""
        if not hasattr(torch.nn.functional, "scaled_dot_product_attention"):
            self.skipTest("torch < 2.0: only the fallback exists")
        torch.manual_seed(0)
        q, k, v = torch.randn(2, 2, 3, 4), torch.randn(2, 2, 5, 4), torch.randn(2, 2, 5, 4)
        mask = torch.tensor([True, True, True, False, False])[None, None, None, :].expand(2, 1, 1, 5)
        fused = teacher_model.attention(q, k, v, mask, 0.0, False)
        saved = torch.nn.functional.scaled_dot_product_attention
        try:
            del torch.nn.functional.scaled_dot_product_attention
            written = teacher_model.attention(q, k, v, mask, 0.0, False)
            causal = teacher_model.attention(q, k[:, :, :3], v[:, :, :3], None, 0.0, True)
        finally:
            torch.nn.functional.scaled_dot_product_attention = saved
        torch.testing.assert_close(written, fused)
        torch.testing.assert_close(causal, teacher_model.attention(q, k[:, :, :3], v[:, :, :3], None, 0.0, True))

    def test_distilled_targets_keep_prepares_length_limit(self):
        data_dir = tempfile.mkdtemp(prefix="dq-data-")
        shutil.copytree(fake_data_dir(), data_dir, dirs_exist_ok=True)
        with gzip.open(os.path.join(data_dir, "words.txt.gz"), "wt") as f:
            f.write("a word list\n")
        out = tempfile.mkdtemp(prefix="dq-teacher-")
        cfg = json.dumps({"model": {"dim": 16, "heads": 2, "encLayers": 1, "decLayers": 1, "ffn": 32}})
        teacher.main(["train", "--data", data_dir, "--out", out, "--steps", "2", "--threads", "1", "--config", cfg])
        long_output = lambda model, sources, pad, sep, max_target, **kw: [[5] * max_target for _ in sources]  # noqa: E731
        saved = teacher_distil.greedy
        teacher_distil.greedy = long_output  # a teacher that never stops: max_target tokens and no [SEP]
        try:
            prep = os.path.join(out, "prep")
            teacher.main(
                ["distil", "--teacher", out, "--data", data_dir, "--out", prep, "--threads", "1", "--limit", "8"]
            )
        finally:
            teacher_distil.greedy = saved
        with gzip.open(os.path.join(prep, "words.txt.gz"), "rt") as f:
            self.assertEqual(f.read(), "a word list\n", "the word list goes with the data, so packages keep it")
        new = PreparedData(prep)
        for i in range(len(new.split("train"))):
            _, t = new.split("train").example(i)
            self.assertEqual(len(t), new.max_target)
            self.assertEqual(t[-1], new.sep)
