import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import torch

from diffuseq_trainer.train import Trainer, lr_at
from helpers import fake_data_dir, tiny_config

PKG = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "src", "trainer", "python"))


class LrTest(unittest.TestCase):
    def test_schedule(self):
        tc = {"lr": 1.0, "warmupSteps": 10, "steps": 110, "decay": "cosine", "minLrRatio": 0.1}
        self.assertAlmostEqual(lr_at(0, tc), 0.1)
        self.assertAlmostEqual(lr_at(10, tc), 1.0)
        self.assertAlmostEqual(lr_at(60, tc), 0.55)
        self.assertAlmostEqual(lr_at(110, tc), 0.1)
        tc["decay"] = "linear"
        self.assertAlmostEqual(lr_at(60, tc), 0.55)


class ResumeTest(unittest.TestCase):
    def setUp(self):
        self.out = tempfile.mkdtemp(prefix="dq-run-")

    def tearDown(self):
        shutil.rmtree(self.out, ignore_errors=True)

    def test_resume_gives_identical_next_step(self):
        cfg = tiny_config()
        tr = Trainer(cfg, fake_data_dir(), self.out, device="cpu")
        for _ in range(3):
            tr.train_step()
        path = tr.save()
        self.assertTrue(os.path.exists(os.path.join(self.out, "weights.pt")))
        expect, _, _ = tr.train_step()
        expect2, _, _ = tr.train_step()
        tr2 = Trainer(tiny_config(), fake_data_dir(), self.out, resume=path, device="cpu")
        self.assertEqual(tr2.step, 3)
        got, _, _ = tr2.train_step()
        got2, _, _ = tr2.train_step()
        self.assertEqual(got, expect)
        self.assertEqual(got2, expect2)

    def test_snapshots_keep_the_weights_of_every_checkpoint_only_when_asked(self):
        tr = Trainer(tiny_config(), fake_data_dir(), self.out, device="cpu")
        tr.train_step()
        tr.save()
        self.assertFalse(os.path.exists(os.path.join(self.out, "snapshots")))
        out2 = tempfile.mkdtemp(prefix="dq-run-")
        try:
            tr = Trainer(tiny_config(keepSnapshots=True), fake_data_dir(), out2, device="cpu")
            for _ in range(2):
                tr.train_step()
                tr.save()
            self.assertEqual(sorted(os.listdir(os.path.join(out2, "snapshots"))), ["step-1.pt", "step-2.pt"])
            snap = torch.load(os.path.join(out2, "snapshots", "step-1.pt"), weights_only=False)
            self.assertEqual(snap["step"], 1)
        finally:
            shutil.rmtree(out2, ignore_errors=True)

    def test_resume_from_weights_only(self):
        cfg = tiny_config()
        tr = Trainer(cfg, fake_data_dir(), self.out, device="cpu")
        tr.train_step()
        tr.save()
        tr2 = Trainer(
            tiny_config(), fake_data_dir(), self.out, resume=os.path.join(self.out, "weights.pt"), device="cpu"
        )
        self.assertEqual(tr2.step, 1)
        for k, v in tr.ema.state_dict().items():
            self.assertTrue(torch.equal(v, tr2.model.state_dict()[k]), k)
        tr2.train_step()


def run_cli(args, out_dir, wait_for_step=False):
    cfg = tiny_config()
    cfg_path = os.path.join(out_dir, "cfg.json")
    with open(cfg_path, "w") as f:
        json.dump(cfg, f)
    env = dict(os.environ, PYTHONPATH=PKG)
    cmd = [
        sys.executable,
        "-m",
        "diffuseq_trainer.train",
        "--config",
        cfg_path,
        "--data",
        fake_data_dir(),
        "--out",
        out_dir,
        "--device",
        "cpu",
    ] + args
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)


class CliTest(unittest.TestCase):
    def setUp(self):
        self.out = tempfile.mkdtemp(prefix="dq-cli-")

    def tearDown(self):
        shutil.rmtree(self.out, ignore_errors=True)

    def test_events_on_stdout(self):
        p = run_cli(["--max-steps", "3"], self.out)
        out, err = p.communicate(timeout=120)
        self.assertEqual(p.returncode, 0, err[-2000:])
        events = [json.loads(line) for line in out.splitlines()]
        kinds = [e["event"] for e in events]
        self.assertEqual(kinds[0], "start")
        self.assertEqual(kinds[-1], "done")
        self.assertIn("eval", kinds)
        self.assertIn("checkpoint", kinds)
        start = events[0]
        self.assertEqual((start["device"], start["world"]), ("cpu", 1))
        self.assertGreater(start["parameters"], 0)
        step = [e for e in events if e["event"] == "step"][-1]
        for key in ("step", "steps", "loss", "mse", "tT", "nll", "lr", "tokensPerSec", "elapsed", "eta"):
            self.assertIn(key, step)
        self.assertEqual(step["steps"], 3)
        ev = [e for e in events if e["event"] == "eval"][-1]
        self.assertIn("validLoss", ev)
        self.assertIn("validBleu", ev)
        self.assertTrue(os.path.exists(events[-1]["checkpoint"]))

    def test_sigterm_checkpoints_and_exits_130(self):
        p = run_cli(["--max-steps", "100000"], self.out)
        # wait for the first step event, then terminate
        line = ""
        deadline = time.time() + 120
        while time.time() < deadline:
            line = p.stdout.readline()
            if '"step"' in line:
                break
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=120)
        self.assertEqual(p.returncode, 130, err[-2000:])
        events = [json.loads(x) for x in out.splitlines() if x.strip()]
        self.assertEqual(events[-1]["event"], "checkpoint")
        self.assertTrue(os.path.exists(events[-1]["path"]))


if __name__ == "__main__":
    unittest.main()
