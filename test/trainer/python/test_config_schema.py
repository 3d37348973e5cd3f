"""Every training-config value is checked for type and range against config_schema.SCHEMA before training starts."""

import copy
import glob
import json
import os
import unittest

from diffuseq_trainer import config as config_mod
from diffuseq_trainer.config import DEFAULTS, check_config, deep_merge, load_config
from diffuseq_trainer.config_schema import SCHEMA, check_values

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
CONFIGS = os.path.join(ROOT, "src", "trainer", "configs")
ARMS = os.path.join(ROOT, "src", "trainer", "python", "tools", "recipe_arms.json")


def leaves(d, prefix=""):
    for k, v in d.items():
        if isinstance(v, dict) and v and f"{prefix}{k}" not in ("data.taskWeights",):
            yield from leaves(v, f"{prefix}{k}.")
        else:
            yield f"{prefix}{k}"


class SchemaTest(unittest.TestCase):
    def refused(self, user):
        with self.assertRaises(ValueError) as cm:
            check_config(user)
        return str(cm.exception)

    def test_the_probe_cases_are_one_line_each(self):
        self.assertEqual(
            self.refused({"model": {"dimm": 33}}), "unknown config key model.dimm (did you mean model.dim?)"
        )
        self.assertEqual(
            self.refused({"train": {"steps": "80"}}), 'config key train.steps must be an integer ≥ 1 (got "80")'
        )
        self.assertEqual(
            self.refused({"train": {"batchSize": -4}}), "config key train.batchSize must be an integer ≥ 1 (got -4)"
        )

    def test_types_ranges_and_choices(self):
        self.assertEqual(self.refused({"train": {"lr": True}}), "config key train.lr must be a number > 0 (got true)")
        self.assertEqual(self.refused({"train": {"lr": 0}}), "config key train.lr must be a number > 0 (got 0)")
        self.assertEqual(
            self.refused({"model": {"dropout": 1}}), "config key model.dropout must be a number in [0, 1) (got 1)"
        )
        self.assertEqual(
            self.refused({"train": {"decay": "cos"}}),
            'config key train.decay must be one of "cosine", "linear", "constant" (got "cos")',
        )
        self.assertEqual(self.refused({"model": 3}), "config key model must be an object (got 3)")
        self.assertEqual(
            self.refused({"data": {"taskWeights": {"paraphrase": -1}}}).split(" must")[0], "config key data.taskWeights"
        )
        self.assertIn("multiple of model.heads", self.refused({"model": {"width": 100, "heads": 3}}))
        self.assertIn("must be even", self.refused({"model": {"timeDim": 33}}))
        self.assertIn("lengths.targetBudget", self.refused({"lengths": {"targetBudget": {"ratio": 1.5}}}))
        # Integers are numbers; a float is not an integer.
        check_config({"train": {"lr": 1, "beta1": 0}, "lengths": {"targetBudget": {"ratio": 2, "extra": 0}}})
        self.assertIn("train.steps must be an integer", self.refused({"train": {"steps": 80.5}}))

    def test_load_config_checks_the_file_and_the_overrides(self):
        with self.assertRaises(ValueError) as cm:
            load_config(None, {"train": {"steps": -1}})
        self.assertIn("train.steps", str(cm.exception))

    def test_the_defaults_pass_their_own_schema(self):
        check_values(copy.deepcopy(DEFAULTS), DEFAULTS)
        # Today's keys all have an entry (a key added later falls back to its default's type, tested below).
        self.assertIn("model.dim", SCHEMA)
        self.assertGreater(sum(1 for k in leaves(DEFAULTS) if k in SCHEMA), 40)

    def test_a_new_default_key_is_checked_by_the_type_of_its_default(self):
        # What a key added to DEFAULTS without a SCHEMA entry (diffusion.forwardProcess, say) gets at once.
        defaults = deep_merge(DEFAULTS, {"diffusion": {"newKnob": "official", "newWeight": 0.5}})
        check_values(deep_merge(defaults, {"diffusion": {"newKnob": "other", "newWeight": 1}}), defaults)
        with self.assertRaises(ValueError) as cm:
            check_values(deep_merge(defaults, {"diffusion": {"newKnob": 3}}), defaults)
        self.assertEqual(str(cm.exception), "config key diffusion.newKnob must be a string (got 3)")
        self.assertNotIn("diffusion.newKnob", SCHEMA)
        self.assertTrue(hasattr(config_mod, "check_config"))

    def test_every_shipped_config_and_recipe_arm_passes(self):
        paths = sorted(glob.glob(os.path.join(CONFIGS, "*.json")))
        self.assertGreater(len(paths), 3)
        for path in paths:
            with self.subTest(config=os.path.basename(path)), open(path) as f:
                check_config(json.load(f))
        with open(ARMS) as f:
            spec = json.load(f)
        with open(os.path.join(ROOT, spec["base"])) as f:
            base = json.load(f)
        for name, arm in spec["arms"].items():
            with self.subTest(arm=name):
                check_config(deep_merge(base, arm["delta"]))


if __name__ == "__main__":
    unittest.main()
