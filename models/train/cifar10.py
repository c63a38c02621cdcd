"""CIFAR-10 "binary version" loader (data_batch_1..5.bin, test_batch.bin) from any directory.

Each record is 1 label byte followed by 3072 pixel bytes (1024 R, 1024 G, 1024 B, row-major 32x32).
Images are returned as uint8 NHWC arrays, labels as uint8.
"""
from __future__ import annotations

import os

import numpy as np

RECORD_BYTES = 1 + 32 * 32 * 3
TRAIN_FILES = [f"data_batch_{i}.bin" for i in range(1, 6)]
TEST_FILE = "test_batch.bin"


class Cifar10FormatError(ValueError):
    pass


def read_batch(path: str, limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    if not os.path.isfile(path):
        raise Cifar10FormatError(f"CIFAR-10 file not found: {path}")
    size = os.path.getsize(path)
    if size == 0 or size % RECORD_BYTES != 0:
        raise Cifar10FormatError(
            f"{path}: size {size} bytes is not a positive multiple of the CIFAR-10 record size {RECORD_BYTES}")
    raw = np.fromfile(path, dtype=np.uint8).reshape(-1, RECORD_BYTES)
    if limit is not None:
        raw = raw[:limit]
    labels = raw[:, 0].copy()
    if labels.max() > 9:
        raise Cifar10FormatError(f"{path}: label {int(labels.max())} out of range 0..9")
    images = raw[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).copy()
    return images, labels


def load(directory: str, split: str, limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    files = TRAIN_FILES if split == "train" else [TEST_FILE]
    xs, ys = [], []
    for name in files:
        x, y = read_batch(os.path.join(directory, name))
        xs.append(x)
        ys.append(y)
    x, y = np.concatenate(xs), np.concatenate(ys)
    if limit is not None:
        x, y = x[:limit], y[:limit]
    return x, y
