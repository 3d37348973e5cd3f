"""train --init PKG: a package's weights back onto the modules, checked by a round trip."""

import json
import os
import shutil
import tempfile
import unittest

import numpy as np
import onnx
import torch
from onnx import numpy_helper

from diffuseq_trainer.export import export_package, random_init_checkpoint
from diffuseq_trainer.init_package import PackageMismatch
from diffuseq_trainer.train import Trainer
from helpers import fake_data_dir, tiny_config


def write_cfg(cfg):
    fd, path = tempfile.mkstemp(suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(cfg, f)
    return path


def restart_config(**model):
    cfg = tiny_config()
    cfg["model"].update({"targetPositions": "restart", **model})
    return cfg


def initializers(pkg):
    m = onnx.load(os.path.join(pkg, "denoiser.onnx"))
    return {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}


class InitFromPackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="dq-init-")
        cls.ck = random_init_checkpoint(write_cfg(restart_config()), fake_data_dir(), seed=7)
        cls.ck["tokensSeen"], cls.ck["trainingSeconds"] = 12345, 67.0
        cls.pkg = os.path.join(cls.tmp, "pkg")
        export_package(cls.ck, cls.pkg, name="t")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def trainer(self, cfg=None, pkg=None):
        return Trainer(
            cfg or restart_config(), fake_data_dir(), os.path.join(self.tmp, "run"), device="cpu", init=pkg or self.pkg
        )

    def test_weights_are_the_packages(self):
        tr = self.trainer()
        for k, v in tr.model.state_dict().items():
            self.assertTrue(torch.equal(v, self.ck["ema"][k]), k)
        for k, v in tr.ema.state_dict().items():
            self.assertTrue(torch.equal(v, self.ck["ema"][k]), f"EMA starts from the package too: {k}")

    def test_round_trip_export_init_export(self):
        tr = self.trainer()
        again = os.path.join(self.tmp, "again")
        man = export_package(tr.weights_dict(), again, name="t2")
        a, b = initializers(self.pkg), initializers(again)
        self.assertEqual(sorted(a), sorted(b))
        for k in a:
            self.assertTrue(np.array_equal(a[k], b[k]), k)
        with (
            open(os.path.join(self.pkg, "embeddings.bin"), "rb") as f1,
            open(os.path.join(again, "embeddings.bin"), "rb") as f2,
        ):
            self.assertEqual(f1.read(), f2.read())
        # Lineage and the counts in all: the new package says where it started and what it cost.
        prov = man["provenance"]
        self.assertEqual(prov["lineage"][0]["name"], "t")
        self.assertEqual(prov["lineage"][0]["tokensSeen"], 12345)
        self.assertEqual(prov["tokensSeen"], 12345)
        self.assertEqual(tr.step, 0, "a fresh schedule")

    def test_float16_package(self):
        pkg16 = os.path.join(self.tmp, "pkg16")
        export_package(self.ck, pkg16, fp16=True)
        tr = self.trainer(pkg=pkg16)
        for k, v in tr.model.state_dict().items():
            self.assertTrue(torch.equal(v, self.ck["ema"][k].half().float()), k)

    def test_shape_mismatch_is_refused_with_one_message(self):
        with self.assertRaisesRegex(
            PackageMismatch, r"shape differs from the config: width 32 \(package\) vs 64 \(config\)"
        ):
            self.trainer(restart_config(width=64))
        with self.assertRaisesRegex(PackageMismatch, r"targetPositions restart \(package\) vs absolute \(config\)"):
            self.trainer(tiny_config())

    def test_other_tokenizer_is_refused(self):
        data = tempfile.mkdtemp(prefix="dq-init-data-")
        try:
            shutil.copytree(fake_data_dir(), data, dirs_exist_ok=True)
            with open(os.path.join(data, "tokenizer.json"), "a") as f:
                f.write(" ")
            with self.assertRaisesRegex(PackageMismatch, r"prepared with another tokenizer.*prepare --tokenizer"):
                Trainer(restart_config(), data, os.path.join(self.tmp, "run"), device="cpu", init=self.pkg)
        finally:
            shutil.rmtree(data, ignore_errors=True)

    def test_not_a_package_and_resume_together(self):
        with self.assertRaisesRegex(PackageMismatch, "no manifest.json"):
            self.trainer(pkg=self.tmp)
        with self.assertRaisesRegex(ValueError, "give one"):
            Trainer(
                restart_config(),
                fake_data_dir(),
                self.tmp,
                device="cpu",
                init=self.pkg,
                resume=os.path.join(self.tmp, "x.pt"),
            )

    def test_unnamed_weights_are_refused(self):
        bad = os.path.join(self.tmp, "folded")
        shutil.copytree(self.pkg, bad)
        m = onnx.load(os.path.join(bad, "denoiser.onnx"))
        m.graph.initializer[0].name = "onnx::MatMul_1"
        onnx.save(m, os.path.join(bad, "denoiser.onnx"))
        with self.assertRaisesRegex(PackageMismatch, "has no weights named model"):
            self.trainer(pkg=bad)


if __name__ == "__main__":
    unittest.main()
