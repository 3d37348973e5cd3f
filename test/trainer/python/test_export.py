import gzip
import json
import os
import shutil
import tempfile
import unittest

import numpy as np
import onnx
import torch

from diffuseq_trainer import ckpt as ckpt_io
from diffuseq_trainer.decode import round_tokens
from diffuseq_trainer.export import export_package, random_init_checkpoint
from diffuseq_trainer.manifest import portable_config
from diffuseq_trainer.raw_arrays import read_raw, write_raw
from helpers import fake_data_dir, tiny_config

HERE = os.path.dirname(os.path.abspath(__file__))


def write_cfg(cfg):
    fd, path = tempfile.mkstemp(suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(cfg, f)
    return path


def load_json(path):
    with open(path) as f:
        return json.load(f)


def read(pdir, spec):
    return np.fromfile(os.path.join(pdir, spec["file"]), dtype=np.dtype(spec["dtype"])).reshape(spec["shape"])


class RawArraysTest(unittest.TestCase):
    def test_little_endian_whatever_the_input_and_back(self):
        d = tempfile.mkdtemp(prefix="dq-raw-")
        try:
            path = os.path.join(d, "a.f16.bin")
            write_raw(path, np.array([[1.0, -2.5], [0.5, 65504.0]], dtype=">f8"), "float16")
            with open(path, "rb") as f:
                self.assertEqual(f.read()[:4], bytes([0x00, 0x3C, 0x00, 0xC1]))  # 1.0 = 0x3C00, -2.5 = 0xC100
            back = read_raw(path, "float16", [2, 2])
            self.assertEqual(back.tolist(), [[1.0, -2.5], [0.5, 65504.0]])
            self.assertEqual(read_raw(path, "float16").shape, (4,))
        finally:
            shutil.rmtree(d, ignore_errors=True)


class PortablePathsTest(unittest.TestCase):
    def test_run_paths_are_relative_inside_the_folder_and_bare_outside(self):
        cfg = {"data": {"dir": "/home/a/repo/runs/prep", "taskWeights": {}}, "out": "/elsewhere/runs/x", "model": {}}
        out = portable_config(cfg, base="/home/a/repo")
        self.assertEqual(out["data"]["dir"], os.path.join("runs", "prep"))
        self.assertEqual(out["out"], "x")
        self.assertEqual(cfg["data"]["dir"], "/home/a/repo/runs/prep", "the checkpoint's config is not changed")
        relative = portable_config({"data": {"dir": "runs/p"}, "out": ""}, base=os.getcwd())
        self.assertEqual(relative["data"]["dir"], os.path.join("runs", "p"))


class ExportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.out = tempfile.mkdtemp(prefix="dq-export-")
        cfg = tiny_config()
        cls.ck = random_init_checkpoint(write_cfg(cfg), fake_data_dir(), seed=3)
        cls.man = export_package(cls.ck, cls.out, name="t")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.out, ignore_errors=True)

    def test_files_and_manifest(self):
        for f in (
            "manifest.json",
            "denoiser.onnx",
            "rounding.onnx",
            "embeddings.bin",
            "tokenizer.json",
            "tokenizer_config.json",
            "parity/parity.json",
        ):
            self.assertTrue(os.path.exists(os.path.join(self.out, f)), f)
        m = load_json(os.path.join(self.out, "manifest.json"))
        meta = self.ck["meta"]
        self.assertEqual((m["format"], m["formatVersion"]), ("diffuseq-v2", 1))
        self.assertEqual(m["tasks"], meta["tasks"])
        self.assertEqual(m["tokens"], meta["tokens"])
        self.assertEqual(m["embedding"]["absorbingRow"], meta["vocabSize"])
        self.assertEqual(m["embedding"]["dim"], 8)
        self.assertEqual(m["lengths"]["targetBudget"], self.ck["config"]["lengths"]["targetBudget"])
        self.assertEqual(
            m["diffusion"],
            {
                "schedule": "sqrt",
                "steps": 100,
                "absorbingRate": 0.5,
                "predict": "x0",
                "selfConditioning": False,
                "forwardProcess": "replace-before-noise",
            },
        )
        self.assertNotIn("parity", m["provenance"])
        self.assertEqual(m["provenance"]["data"][0]["licence"], meta["data"][0]["licence"])
        size = os.path.getsize(os.path.join(self.out, "embeddings.bin"))
        self.assertEqual(size, (meta["vocabSize"] + 1) * 8 * 4)

    def test_word_list_is_copied_from_the_data_folder_when_prepare_wrote_one(self):
        # The fake data folder predates word lists: no file, no manifest entry (the engine then rounds unconstrained).
        self.assertNotIn("words", self.man["files"])
        self.assertFalse(os.path.exists(os.path.join(self.out, "words.txt.gz")))
        data = tempfile.mkdtemp(prefix="dq-words-")
        out = tempfile.mkdtemp(prefix="dq-export-words-")
        try:
            for f in os.listdir(fake_data_dir()):
                shutil.copyfile(os.path.join(fake_data_dir(), f), os.path.join(data, f))
            blob = gzip.compress(b"#diffuseq-words 1\ncat\ndog\n")
            with open(os.path.join(data, "words.txt.gz"), "wb") as f:
                f.write(blob)
            man = export_package(self.ck, out, name="t", data_dir=data)
            self.assertEqual(man["files"]["words"], "words.txt.gz")
            with open(os.path.join(out, "words.txt.gz"), "rb") as f:
                self.assertEqual(f.read(), blob)
            self.assertEqual(load_json(os.path.join(out, "manifest.json"))["files"]["words"], "words.txt.gz")
        finally:
            shutil.rmtree(data, ignore_errors=True)
            shutil.rmtree(out, ignore_errors=True)

    def test_embeddings_rows(self):
        V = self.ck["meta"]["vocabSize"]
        emb = np.fromfile(os.path.join(self.out, "embeddings.bin"), dtype="<f4").reshape(V + 1, 8)
        self.assertTrue(np.array_equal(emb[:V], self.ck["ema"]["word_emb.weight"].numpy()))
        self.assertTrue(np.array_equal(emb[V], self.ck["ema"]["absorb"].numpy()))

    def test_onnx_graphs(self):
        den = onnx.load(os.path.join(self.out, "denoiser.onnx"))
        onnx.checker.check_model(den)
        self.assertEqual(den.opset_import[0].version, 17)
        io = {
            v.name: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]
            for v in list(den.graph.input) + list(den.graph.output)
        }
        self.assertEqual(io, {"x_t": ["batch", "length", 8], "t": ["batch"], "x0": ["batch", "length", 8]})
        self.assertEqual(self.man["model"]["targetPositions"], "absolute")
        rnd = onnx.load(os.path.join(self.out, "rounding.onnx"))
        onnx.checker.check_model(rnd)
        self.assertEqual(len(rnd.graph.initializer), 0, "rounding.onnx carries no weights")
        self.assertEqual(rnd.graph.output[0].type.tensor_type.elem_type, onnx.TensorProto.INT64)
        self.assertEqual([i.name for i in rnd.graph.input], ["x", "embedding"])

    def test_parity_fixture_matches_torch(self):
        pdir = os.path.join(self.out, "parity")
        desc = load_json(os.path.join(pdir, "parity.json"))
        model = ckpt_io.build_model(self.ck).eval()
        shapes = set()
        self.assertGreaterEqual(len(desc["denoiser"]), 3)
        for b in desc["denoiser"]:
            x_t, t = read(pdir, b["inputs"]["x_t"]), read(pdir, b["inputs"]["t"])
            shapes.add(x_t.shape[:2])
            with torch.no_grad():
                x0 = model(torch.from_numpy(x_t), torch.from_numpy(t)).numpy()
            self.assertTrue(np.allclose(x0, read(pdir, b["outputs"]["x0"]), atol=1e-5))
            ids, mask = np.array(b["ids"]), np.array(b["targetMask"]).astype(bool)
            self.assertEqual(ids.shape, x_t.shape[:2])
            self.assertEqual(mask.shape, ids.shape)
        self.assertGreaterEqual(len({s[0] for s in shapes}), 3, "different batch sizes")
        self.assertGreaterEqual(len({s[1] for s in shapes}), 3, "different lengths")
        r = desc["rounding"][0]
        V = self.ck["meta"]["vocabSize"]
        emb = np.fromfile(os.path.join(self.out, "embeddings.bin"), dtype="<f4").reshape(V + 1, 8)[:V]
        tokens = round_tokens(torch.from_numpy(read(pdir, r["inputs"]["x"])), torch.from_numpy(emb)).numpy()
        self.assertTrue(np.array_equal(tokens, read(pdir, r["outputs"]["tokens"])))

    def test_fp16_and_self_conditioning(self):
        cfg = tiny_config()
        cfg["diffusion"]["selfConditioning"] = True
        ck = random_init_checkpoint(write_cfg(cfg), fake_data_dir(), seed=4)
        out = tempfile.mkdtemp(prefix="dq-export-sc-")
        try:
            man = export_package(ck, out, fp16=True)
            self.assertEqual(man["embedding"]["dtype"], "float16")
            V = ck["meta"]["vocabSize"]
            self.assertEqual(os.path.getsize(os.path.join(out, "embeddings.bin")), (V + 1) * 8 * 2)
            den = onnx.load(os.path.join(out, "denoiser.onnx"))
            self.assertEqual([i.name for i in den.graph.input], ["x_t", "t", "x_self_cond"])
            desc = load_json(os.path.join(out, "parity", "parity.json"))
            self.assertIn("x_self_cond", desc["denoiser"][1]["inputs"])
        finally:
            shutil.rmtree(out, ignore_errors=True)

    def test_restart_layout_exports_target_start(self):
        cfg = tiny_config()
        cfg["model"]["targetPositions"] = "restart"
        ck = random_init_checkpoint(write_cfg(cfg), fake_data_dir(), seed=6)
        out = tempfile.mkdtemp(prefix="dq-export-restart-")
        try:
            man = export_package(ck, out)
            self.assertEqual(man["model"]["targetPositions"], "restart")
            den = onnx.load(os.path.join(out, "denoiser.onnx"))
            self.assertEqual([i.name for i in den.graph.input], ["x_t", "t", "target_start"])
            self.assertEqual(den.graph.input[2].type.tensor_type.elem_type, onnx.TensorProto.INT64)
            pdir = os.path.join(out, "parity")
            model = ckpt_io.build_model(ck).eval()
            for b in load_json(os.path.join(pdir, "parity.json"))["denoiser"]:
                start = read(pdir, b["inputs"]["target_start"])
                mask = np.array(b["targetMask"]).astype(bool)
                self.assertEqual(start.tolist(), mask.argmax(axis=1).tolist(), "the first target position")
                with torch.no_grad():
                    x0 = model(
                        torch.from_numpy(read(pdir, b["inputs"]["x_t"])),
                        torch.from_numpy(read(pdir, b["inputs"]["t"])),
                        None,
                        torch.from_numpy(start),
                    )
                self.assertTrue(np.allclose(x0.numpy(), read(pdir, b["outputs"]["x0"]), atol=1e-5))
        finally:
            shutil.rmtree(out, ignore_errors=True)

    def test_fp16_stores_denoiser_weights_as_float16_and_rounds_the_reference(self):
        cfg = tiny_config()
        ck = random_init_checkpoint(write_cfg(cfg), fake_data_dir(), seed=5)
        out32 = tempfile.mkdtemp(prefix="dq-export-32-")
        out16 = tempfile.mkdtemp(prefix="dq-export-16-")
        try:
            export_package(ck, out32, fp16=False)
            export_package(ck, out16, fp16=True)
            size32 = os.path.getsize(os.path.join(out32, "denoiser.onnx"))
            size16 = os.path.getsize(os.path.join(out16, "denoiser.onnx"))
            self.assertLess(size16, 0.7 * size32, (size16, size32))
            den = onnx.load(os.path.join(out16, "denoiser.onnx"))
            big = [
                i
                for i in den.graph.initializer
                if int(np.prod(i.dims)) >= 64 and i.data_type in (onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16)
            ]
            self.assertTrue(big)
            self.assertTrue(all(i.data_type == onnx.TensorProto.FLOAT16 for i in big))
            casts = {n.output[0] for n in den.graph.node if n.op_type == "Cast"}
            for i in big:
                self.assertIn(i.name[: -len("__fp16")], casts)
            # The parity reference is the fp16-rounded model: its x0 differs from the float32 model's a little,
            # and the float16 embedding rows equal the rounded embedding exactly.
            ref32 = load_json(os.path.join(out32, "parity", "parity.json"))["denoiser"][0]
            ref16 = load_json(os.path.join(out16, "parity", "parity.json"))["denoiser"][0]
            x0_32 = read(os.path.join(out32, "parity"), ref32["outputs"]["x0"])
            x0_16 = read(os.path.join(out16, "parity"), ref16["outputs"]["x0"])
            diff = np.abs(x0_32 - x0_16).max()
            self.assertGreater(diff, 0.0)
            self.assertLess(diff, 5e-2)
        finally:
            shutil.rmtree(out32, ignore_errors=True)
            shutil.rmtree(out16, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
