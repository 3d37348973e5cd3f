"""Where a run computes: the CPU (its threads, and what this process mapped: BLAS and malloc change CPU speed
several-fold) or a CUDA device (TF32 matmuls), as one process or as one of torchrun's DDP ranks, with the two
collective operations the loop needs.
"""

import os

import torch
import torch.distributed as dist

from .entry import log


class Place:
    """The device of this process and its rank among `world` (torchrun's RANK / WORLD_SIZE; 0 of 1 alone)."""

    def __init__(self, device=None, threads=0):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.ddp = self.world > 1
        if self.ddp:
            local = int(os.environ.get("LOCAL_RANK", "0"))
            dist.init_process_group(backend="nccl" if torch.cuda.is_available() else "gloo")
            if torch.cuda.is_available():
                torch.cuda.set_device(local)
                device = device or f"cuda:{local}"
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        if self.device.type == "cpu":
            torch.set_num_threads(threads or os.cpu_count() or 1)
            if reference_blas_loaded():
                log(
                    "note: torch runs on Debian's reference BLAS (~2 GFLOP/s): `apt-get install "
                    "libopenblas0-pthread` makes CPU training 10-20x faster (src/trainer/python/README.md)"
                )
        else:
            torch.backends.cuda.matmul.allow_tf32 = True
            torch.backends.cudnn.allow_tf32 = True

    def name(self):
        """The device as a checkpoint records it."""
        if self.device.type == "cuda":
            return f"cuda ({torch.cuda.get_device_name(self.device)}) x{self.world}"
        return "cpu"

    def wrap(self, module):
        """The module the loop calls: under DDP, wrapped to average its gradients over the ranks."""
        if not self.ddp:
            return module
        from torch.nn.parallel import DistributedDataParallel as DDP

        return DDP(module, device_ids=[self.device.index] if self.device.type == "cuda" else None)

    def agree(self, flag):
        """Under DDP every rank must stop at the same step: any rank's flag stops all."""
        if not self.ddp:
            return flag
        v = torch.tensor([1.0 if flag else 0.0], device=self.device)
        dist.all_reduce(v, op=dist.ReduceOp.MAX)
        return bool(v.item() > 0)

    def gather(self, *tensors):
        """Each tensor concatenated over all ranks (rank order), or as it is in a single process."""
        if not self.ddp:
            return tensors
        out = []
        for x in tensors:
            parts = [torch.zeros_like(x) for _ in range(self.world)]
            dist.all_gather(parts, x)
            out.append(torch.cat(parts))
        return tuple(out)

    def barrier(self):
        if self.ddp:
            dist.barrier()

    def close(self):
        if self.ddp and dist.is_initialized():
            dist.destroy_process_group()


def reference_blas_loaded():
    """Debian's torch links libblas.so.3, which the alternatives system points at the reference BLAS
    (.../blas/libblas.so.3) unless OpenBLAS is installed; look at what this process actually mapped."""
    try:
        with open("/proc/self/maps") as f:
            return "/blas/libblas.so" in f.read()
    except OSError:
        return False


def allocator_in_use():
    """Which malloc this process runs on (the runner preloads tcmalloc where installed: glibc's malloc
    returns every step's activations to the OS and faults them back in, ~25 % of a CPU step here)."""
    try:
        with open("/proc/self/maps") as f:
            maps = f.read()
    except OSError:
        return "unknown"
    if "tcmalloc" in maps:
        return "tcmalloc"
    if "jemalloc" in maps:
        return "jemalloc"
    return "glibc" + (" (tuned)" if "glibc.malloc" in os.environ.get("GLIBC_TUNABLES", "") else "")
