"""DiffuSeq-v2 trainer: PyTorch training and ONNX export of the text-diffusion denoiser.

Run modules with PYTHONPATH=src/trainer/python, e.g. `python3 -m diffuseq_trainer.train --config ...`.
The contracts it implements are docs/model-format.md, docs/data-format.md and docs/CONTRACTS.md.
"""
