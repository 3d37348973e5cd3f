import json
import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "src", "trainer", "python", "tools"))

import recipe_compare  # noqa: E402


class RecipeArmsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        base = {
            "name": "b",
            "description": "d=128",
            "note": "n",
            "out": "x",
            "model": {"dim": 128, "width": 256},
            "train": {"steps": 7500, "lr": 1e-3},
        }
        self.base = os.path.join(self.tmp, "base.json")
        with open(self.base, "w") as f:
            json.dump(base, f)
        self.spec = {
            "base": self.base,
            "budgetMinutes": 10,
            "warmupFraction": 0.1,
            "arms": {"small": {"why": "w", "delta": {"model": {"width": 192}}}},
        }

    def test_an_arm_is_the_base_with_its_delta_merged_and_its_own_run_folder(self):
        cfg = recipe_compare.arm_config(self.spec, "small", self.spec["arms"]["small"], "runs/recipe")
        self.assertEqual(cfg["model"], {"dim": 128, "width": 192})
        self.assertEqual(cfg["train"]["lr"], 1e-3)
        self.assertEqual((cfg["name"], cfg["out"]), ("recipe-small", os.path.join("runs/recipe", "small")))
        # Not the base's description (it names the base's shape) but the arm's own.
        self.assertEqual(cfg["description"], "recipe arm small (tools/recipe_arms.json): w")
        self.assertNotIn("note", cfg)

    def test_the_budget_becomes_a_step_count_by_the_measured_speed(self):
        cfg = recipe_compare.arm_config(self.spec, "small", self.spec["arms"]["small"], "o")
        sized = recipe_compare.sized(cfg, 0.5, self.spec)  # 10 min at 0.5 s/step
        self.assertEqual(sized["train"]["steps"], 1200)
        self.assertEqual(sized["train"]["warmupSteps"], 120)
        self.assertEqual(sized["train"]["evalEvery"], 600)
        # A budget too small for the speed still trains a minimum.
        self.assertEqual(recipe_compare.sized(cfg, 1000.0, self.spec)["train"]["steps"], 50)

    def test_a_fixed_step_count_replaces_the_budget_and_scales_warmup_and_evals_with_it(self):
        cfg = recipe_compare.arm_config(self.spec, "small", self.spec["arms"]["small"], "o")
        fixed = recipe_compare.with_steps(cfg, 1265, self.spec)["train"]
        self.assertEqual((fixed["steps"], fixed["warmupSteps"]), (1265, 126))
        # Checkpoints every 500 steps at most, so a long arm cut short loses minutes, not half its run.
        self.assertEqual((fixed["evalEvery"], fixed["checkpointEvery"]), (632, 500))
        self.assertEqual(fixed["lr"], 1e-3)

    def test_a_timed_arm_is_resized_from_its_cached_speed_with_or_without_fixed_steps(self):
        out = os.path.join(self.tmp, "recipe")
        os.makedirs(out)
        with open(os.path.join(out, "small.speed.json"), "w") as f:
            json.dump({"dtype": "bf16", "secondsPerStep": 0.5, "tokensPerSec": 1000}, f)
        for steps, want in ((1265, 1265), (None, 1200)):  # 10 min at 0.5 s/step
            path, speed = recipe_compare.sized_config(self.spec, "small", "unused", out, steps)
            with open(path) as f:
                cfg = json.load(f)
            self.assertEqual((cfg["train"]["steps"], cfg["train"]["dtype"]), (want, "bf16"))
            self.assertEqual(speed["secondsPerStep"], 0.5)

    def test_an_arm_that_tests_the_data_trains_on_its_own_folder_and_the_others_on_the_shared_one(self):
        own = {"delta": {}, "data": "runs/prep-8k"}
        self.assertEqual(recipe_compare.arm_data(own, "runs/prep-full"), "runs/prep-8k")
        self.assertEqual(recipe_compare.arm_data(self.spec["arms"]["small"], "runs/prep-full"), "runs/prep-full")


if __name__ == "__main__":
    unittest.main()
