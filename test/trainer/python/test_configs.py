"""The shipped trainer configs and recipe arms: each one loads (no unknown keys), the configs README lists every
file, and a continuation config keeps the shape of the run it continues (--init refuses any other)."""

import glob
import json
import os
import unittest

from diffuseq_trainer.config import check_unknown, deep_merge, load_config

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
CONFIGS = os.path.join(ROOT, "src", "trainer", "configs")
ARMS = os.path.join(ROOT, "src", "trainer", "python", "tools", "recipe_arms.json")


def read(path):
    with open(path) as f:
        return json.load(f)


class ShippedConfigsTest(unittest.TestCase):
    def test_every_config_loads_without_unknown_keys(self):
        paths = sorted(glob.glob(os.path.join(CONFIGS, "*.json")))
        self.assertGreater(len(paths), 3)
        for path in paths:
            with self.subTest(config=os.path.basename(path)):
                cfg = load_config(path)
                self.assertGreater(cfg["train"]["steps"], 0)

    def test_the_configs_readme_lists_every_config(self):
        with open(os.path.join(CONFIGS, "README.md")) as f:
            readme = f.read()
        for path in glob.glob(os.path.join(CONFIGS, "*.json")):
            name = os.path.basename(path)
            self.assertIn(f"`{name}`", readme, f"{name} is missing from src/trainer/configs/README.md")

    def test_a_continuation_keeps_the_shape_of_the_run_it_continues(self):
        small = read(os.path.join(CONFIGS, "cpu-small.json"))
        cont = read(os.path.join(CONFIGS, "cpu-small-continue.json"))
        self.assertEqual(cont["model"], small["model"])
        self.assertEqual(cont["diffusion"], small["diffusion"])
        self.assertNotEqual(cont["train"]["seed"], small["train"]["seed"])  # not a replay of the same noise

    def test_every_recipe_arm_merged_over_its_base_has_only_known_keys(self):
        spec = read(ARMS)
        base = read(os.path.join(ROOT, spec["base"]))
        for name, arm in spec["arms"].items():
            with self.subTest(arm=name):
                self.assertTrue(arm["why"])
                check_unknown(deep_merge(base, arm["delta"]))


if __name__ == "__main__":
    unittest.main()
