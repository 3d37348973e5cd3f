"""Raw little-endian arrays: the storage of embeddings.bin and of the parity/ fixture (docs/model-format.md).
numpy only, so that the parity reader (check_parity.py) needs no torch.
"""

import numpy as np


def write_raw(path, array, dtype):
    np.ascontiguousarray(array, dtype=np.dtype(dtype).newbyteorder("<")).tofile(path)


def read_raw(path, dtype, shape=None):
    """What write_raw wrote: a flat array, or of `shape` when given."""
    a = np.fromfile(path, dtype=np.dtype(dtype).newbyteorder("<"))
    return a if shape is None else a.reshape(shape)
