"""Shared fixtures for the trainer tests: a small synthetic prepared-data folder and a tiny config."""

import tempfile

import torch

from diffuseq_trainer import fakedata
from diffuseq_trainer.config import load_config

_DATA = None


def fake_data_dir():
    """One synthetic data folder per test process (diffuseq_trainer.fakedata)."""
    global _DATA
    if _DATA is None:
        _DATA = tempfile.mkdtemp(prefix="dq-fake-")
        fakedata.make(_DATA, n_train=300, n_valid=40, seed=0, max_source=24, max_target=24)
    return _DATA


def tiny_config(**train):
    torch.set_num_threads(1)
    cfg = load_config(
        None,
        {
            "model": {"dim": 8, "width": 32, "layers": 1, "heads": 2, "ffnMult": 2, "dropout": 0.1, "timeDim": 16},
            "diffusion": {"steps": 100},
            "train": dict(
                {
                    "steps": 20,
                    "batchSize": 8,
                    "warmupSteps": 2,
                    "logEvery": 1,
                    "evalEvery": 0,
                    "checkpointEvery": 0,
                    "validBatches": 1,
                    "validBatchSize": 8,
                    "bleuExamples": 4,
                    "bleuSteps": 3,
                    "bucketPool": 4,
                    "threads": 1,
                    "dtype": "fp32",
                },
                **train,
            ),
        },
    )
    return cfg
