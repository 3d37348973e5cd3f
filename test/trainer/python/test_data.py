import json
import math
import os
import unittest

import numpy as np

from diffuseq_trainer.config import FALLBACK_BUDGET, resolve_budget
from diffuseq_trainer.data import BatchStream, PreparedData, collate, target_budget, target_region, task_probabilities
from helpers import fake_data_dir, tiny_config

HERE = os.path.dirname(os.path.abspath(__file__))


class BudgetTest(unittest.TestCase):
    def test_budget_rule(self):
        # n = source tokens between [TASK] and [SEP]
        self.assertEqual(target_budget(10, 64, 1.3, 4), math.ceil(13.0) + 4)
        self.assertEqual(target_budget(7, 64, 1.3, 4), 10 + 4)  # ceil(9.1) = 10
        self.assertEqual(target_budget(60, 64, 1.3, 4), 64)  # capped at maxTarget
        self.assertEqual(target_region(12, 3, 64, 1.3, 4), 17)  # source part 12 -> n = 10 -> ceil(13) + 4
        self.assertEqual(target_region(12, 30, 64, 1.3, 4), 30)  # a longer reference keeps its length

    def test_shared_fixture(self):
        """The cases the engine's tests run too: one rule in TypeScript and Python."""
        with open(os.path.join(HERE, "..", "..", "fixtures", "target-budget.json")) as f:
            fx = json.load(f)
        self.assertEqual(FALLBACK_BUDGET, fx["default"])
        self.assertGreaterEqual(len(fx["cases"]), 10)
        for c in fx["cases"]:
            self.assertEqual(target_budget(c["n"], c["maxTarget"], c["ratio"], c["extra"]), c["budget"], c)


class CollateTest(unittest.TestCase):
    def test_layout_and_pads(self):
        PAD, SEP, TASK = 0, 2, 3
        a = (np.array([TASK, 10, 11, SEP]), np.array([20, SEP]))  # src part 4 -> n 2 -> budget 3+4=7
        b = (np.array([TASK, 10, 11, 12, 13, 14, SEP]), np.array([21, 22, SEP]))  # n 5 -> budget 7+4=11
        ids, mask = collate([a, b], PAD, 128, 64, 1.3, 4, pad_multiple=1)
        self.assertEqual(ids.shape, (2, 7 + 11))
        row = ids[0].tolist()
        self.assertEqual(row[:4], [TASK, 10, 11, SEP])
        self.assertEqual(row[4:6], [20, SEP])
        self.assertTrue(all(x == PAD for x in row[6:]), "the rest of the row is [PAD]")
        self.assertEqual(mask[0].tolist(), [False] * 4 + [True] * 14, "target region = everything after the source")
        self.assertEqual(ids[1].tolist()[:10], [TASK, 10, 11, 12, 13, 14, SEP, 21, 22, SEP])
        self.assertEqual(mask[1].tolist(), [False] * 7 + [True] * 11)

    def test_pad_multiple_and_cap(self):
        ex = [(np.array([3, 5, 2]), np.array([6, 2]))]
        ids, mask = collate(ex, 0, 128, 64, 1.3, 4, pad_multiple=8)  # 3 + max(2, 2+4) = 9 -> 16
        self.assertEqual(ids.shape[1], 16)
        ids, _ = collate(ex, 0, 12, 64, 1.3, 4, pad_multiple=8)
        self.assertEqual(ids.shape[1], 12, "never longer than maxSource + maxTarget")


class StreamTest(unittest.TestCase):
    def test_batches_from_prepared_data(self):
        data = PreparedData(fake_data_dir())
        cfg = resolve_budget(tiny_config(), data.meta)
        s = BatchStream(data, "train", 8, cfg, seed=0, pool=4)
        ids, mask = next(s)
        self.assertEqual(ids.shape[0], 8)
        self.assertEqual(ids.shape[1] % 8, 0)
        task_ids = {v["id"] for v in data.meta["tasks"].values()}
        for r in range(8):
            self.assertIn(int(ids[r, 0]), task_ids, "rows start with a task token")
            src_len = int((~mask[r]).sum())
            self.assertEqual(int(ids[r, src_len - 1]), data.sep, "the source part ends with [SEP]")
            self.assertIn(data.sep, ids[r, src_len:].tolist(), "the target ends with [SEP]")
        # bucketing: rows of one batch have close source lengths
        srcs = (~mask).sum(1)
        self.assertLessEqual(int(srcs.max() - srcs.min()), 6)

    def test_state_roundtrip(self):
        data = PreparedData(fake_data_dir())
        cfg = resolve_budget(tiny_config(), data.meta)
        a = BatchStream(data, "train", 8, cfg, seed=1, pool=3)
        next(a)
        st = a.state_dict()
        b = BatchStream(data, "train", 8, cfg, seed=7, pool=3)
        b.load_state_dict(st)
        for _ in range(5):  # crosses a pool refill
            self.assertTrue(np.array_equal(a.next_indices(), b.next_indices()))

    def test_task_weights(self):
        data = PreparedData(fake_data_dir())
        split = data.split("train")
        p = task_probabilities(split, {"paraphrase": 3.0, "simplify": 1.0}, data.task_of_id())
        para = data.meta["tasks"]["paraphrase"]["id"]
        self.assertAlmostEqual(p[split.task_ids == para].sum(), 0.75)
        self.assertIsNone(task_probabilities(split, {}, data.task_of_id()))

    def test_budget_comes_from_meta_when_config_is_null(self):
        cfg = tiny_config()
        self.assertIsNone(cfg["lengths"]["targetBudget"])
        resolve_budget(cfg, {"lengths": {"targetBudget": {"ratio": 1.2, "extra": 3}}})
        self.assertEqual(cfg["lengths"]["targetBudget"], {"ratio": 1.2, "extra": 3})
        cfg = tiny_config()
        resolve_budget(cfg, {"lengths": {}})
        self.assertEqual(cfg["lengths"]["targetBudget"], {"ratio": 1.5, "extra": 6}, "FALLBACK_BUDGET")


if __name__ == "__main__":
    unittest.main()
