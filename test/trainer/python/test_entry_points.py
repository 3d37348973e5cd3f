"""Every Python entry point ends a failure with one line on stderr and exit 1 (the traceback only under --verbose),
and `train` never replaces the checkpoint of another run unless told to."""

import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from diffuseq_trainer.entry import error_line, run_main, take_verbose
from helpers import fake_data_dir, tiny_config

PKG = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "src", "trainer", "python"))


def python(module, *args):
    env = dict(os.environ, PYTHONPATH=PKG)
    env.pop("DIFFUSEQ_DEBUG", None)
    return subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, env=env, timeout=300)


def error_events(stdout):
    return [e for e in (json.loads(x) for x in stdout.splitlines() if x.startswith("{")) if e.get("event") == "error"]


class RunMainTest(unittest.TestCase):
    def test_an_exception_is_one_line_and_exit_1_the_traceback_only_when_verbose(self):
        def main(argv):
            raise ValueError(f"bad thing\nwith {argv}")

        err = io.StringIO()
        self.assertEqual(run_main(main, "diffuseq export", ["--x"], stderr=err), 1)
        self.assertEqual(err.getvalue(), "diffuseq export: bad thing with ['--x']\n")
        err = io.StringIO()
        self.assertEqual(run_main(main, "diffuseq export", ["--verbose", "--x"], stderr=err), 1)
        self.assertIn("Traceback (most recent call last)", err.getvalue())
        self.assertTrue(err.getvalue().endswith("diffuseq export: bad thing with ['--x']\n"))

    def test_messages_name_the_file_and_the_kind(self):
        self.assertEqual(
            error_line("p", PermissionError(13, "Permission denied", "/ro/pkg")), "p: Permission denied: /ro/pkg"
        )
        self.assertEqual(error_line("p", KeyError("ema")), "p: KeyError: 'ema'")
        self.assertEqual(take_verbose(["a", "--verbose", "b"]), (["a", "b"], True))
        self.assertEqual(run_main(lambda argv: 0, "p", []), 0)


class TrainCliTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="dq-entry-")
        self.cfg = os.path.join(self.tmp, "cfg.json")
        with open(self.cfg, "w") as f:
            json.dump(tiny_config(), f)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def train(self, *args, cfg=None):
        return python(
            "diffuseq_trainer.train", "--config", cfg or self.cfg, "--data", fake_data_dir(), "--device", "cpu", *args
        )

    def test_a_run_folder_with_a_checkpoint_is_refused_unless_resume_or_overwrite(self):
        run = os.path.join(self.tmp, "run")
        os.makedirs(run)
        ckpt = os.path.join(run, "ckpt.pt")
        with open(ckpt, "wb") as f:
            f.write(b"the step-140 checkpoint")
        p = self.train("--out", run, "--max-steps", "1")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertNotIn("Traceback", p.stderr)
        (ev,) = error_events(p.stdout)
        self.assertIn("already holds a checkpoint (ckpt.pt)", ev["message"])
        self.assertIn("--resume", ev["message"])
        self.assertIn("--overwrite", ev["message"])
        with open(ckpt, "rb") as f:
            self.assertEqual(f.read(), b"the step-140 checkpoint")
        p = self.train("--out", run, "--max-steps", "1", "--overwrite")
        self.assertEqual(p.returncode, 0, p.stderr[-2000:])
        self.assertGreater(os.path.getsize(os.path.join(run, "weights.pt")), 1000)

    def test_a_wrongly_typed_config_value_is_one_line_the_traceback_only_with_verbose(self):
        bad = os.path.join(self.tmp, "bad.json")
        with open(bad, "w") as f:
            json.dump({"train": {"steps": "80"}}, f)
        p = self.train("--out", os.path.join(self.tmp, "a"), cfg=bad)
        self.assertEqual(p.returncode, 1)
        self.assertNotIn("Traceback", p.stderr)
        self.assertEqual(
            [e["message"] for e in error_events(p.stdout)], ['config key train.steps must be an integer ≥ 1 (got "80")']
        )
        p = self.train("--out", os.path.join(self.tmp, "a"), "--verbose", cfg=bad)
        self.assertEqual(p.returncode, 1)
        self.assertIn("Traceback", p.stderr)

    def test_a_data_folder_without_prepared_data_is_named(self):
        empty = os.path.join(self.tmp, "empty")
        os.makedirs(empty)
        p = python(
            "diffuseq_trainer.train", "--config", self.cfg, "--data", empty, "--out", os.path.join(self.tmp, "b")
        )
        self.assertEqual(p.returncode, 1)
        self.assertNotIn("Traceback", p.stderr)
        (ev,) = error_events(p.stdout)
        self.assertIn(f"data folder {empty} holds no prepared data (no meta.json)", ev["message"])


class ExportCliTest(unittest.TestCase):
    def test_a_file_that_is_not_a_checkpoint_is_one_line(self):
        with tempfile.TemporaryDirectory() as tmp:
            junk = os.path.join(tmp, "random.bin")
            with open(junk, "wb") as f:
                f.write(os.urandom(256))
            p = python("diffuseq_trainer.export", "--checkpoint", junk, "--out", os.path.join(tmp, "pkg"))
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertNotIn("Traceback", p.stderr)
            lines = p.stderr.strip().splitlines()
            self.assertEqual(len(lines), 1, p.stderr)
            self.assertTrue(
                lines[0].startswith(f"diffuseq export: {junk} is not a DiffuSeq training checkpoint"), lines[0]
            )


if __name__ == "__main__":
    unittest.main()
