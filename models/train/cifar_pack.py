"""Packs CIFAR-10 into a few JPEG mosaics small enough to travel to a training machine, and reads them back.

The raw binaries are 180 MB; a training machine reached through a size-limited copy (e.g. a lent GPU machine)
gets them as mosaics of 100 x 100 tiles of 32 x 32 pixels, one JPEG per 10,000 images, 4:4:4 (no chroma
subsampling). A 32-pixel tile spans whole 8 x 8 JPEG blocks, so no block mixes two images: each image is coded
on its own. At quality 95 the 60,000 images take about 40 MB with an RMS error near 1.2 grey levels (the images of
shared/ are themselves JPEG-derived). Labels travel as .npy. Lossy: train on it, but measure accuracy on the
original files.

    python models/train/cifar_pack.py --data ../shared/data/cifar10 --out .devpack/cifar10 [--quality 95]
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
TILES = 100  # tiles per mosaic side: 10,000 images per file


def to_mosaic(images: np.ndarray) -> np.ndarray:
    n = len(images)
    rows = -(-n // TILES)
    pad = np.zeros((rows * TILES - n, 32, 32, 3), np.uint8)
    x = np.concatenate([images, pad]).reshape(rows, TILES, 32, 32, 3)
    return x.transpose(0, 2, 1, 3, 4).reshape(rows * 32, TILES * 32, 3)


def from_mosaic(mosaic: np.ndarray, n: int) -> np.ndarray:
    rows = mosaic.shape[0] // 32
    x = mosaic.reshape(rows, 32, TILES, 32, 3).transpose(0, 2, 1, 3, 4).reshape(rows * TILES, 32, 32, 3)
    return np.ascontiguousarray(x[:n])


def pack(data_dir: str, out_dir: str, quality: int = 95, test_quality: int | None = None, reference: int = 32) -> dict:
    from PIL import Image

    sys.path.insert(0, HERE)
    import cifar10

    os.makedirs(out_dir, exist_ok=True)
    meta = {"tiles": TILES, "quality": quality, "splits": {}}
    for split, q in (("train", quality), ("test", test_quality or quality)):
        x, y = cifar10.load(data_dir, split)
        files = []
        for i in range(0, len(x), TILES * TILES):
            name = f"{split}_{i // (TILES * TILES)}.jpg"
            Image.fromarray(to_mosaic(x[i:i + TILES * TILES])).save(
                os.path.join(out_dir, name), "JPEG", quality=q, subsampling=0)
            files.append({"file": name, "count": int(min(TILES * TILES, len(x) - i))})
        np.save(os.path.join(out_dir, f"{split}_labels.npy"), y.astype(np.uint8))
        meta["splits"][split] = {"files": files, "count": int(len(x)), "quality": q}
    lossless = os.path.join(data_dir, "lossless", "test_batch_first1000.bin")
    if reference and os.path.exists(lossless):
        xr, yr = cifar10.read_batch(lossless, reference)
        np.savez(os.path.join(out_dir, "reference.npz"), images=xr, labels=yr)
        meta["reference"] = {"file": "reference.npz", "source": "lossless/test_batch_first1000.bin", "count": int(len(xr))}
    with open(os.path.join(out_dir, "pack.json"), "w") as f:
        json.dump(meta, f, indent=1)
    return meta


def is_packed(directory: str) -> bool:
    return os.path.exists(os.path.join(directory, "pack.json"))


def load_packed(directory: str, split: str, limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    from PIL import Image

    with open(os.path.join(directory, "pack.json")) as f:
        meta = json.load(f)
    xs = []
    for part in meta["splits"][split]["files"]:
        mosaic = np.asarray(Image.open(os.path.join(directory, part["file"])).convert("RGB"))
        xs.append(from_mosaic(mosaic, part["count"]))
        if limit is not None and sum(len(x) for x in xs) >= limit:
            break
    x = np.concatenate(xs)
    y = np.load(os.path.join(directory, f"{split}_labels.npy"))[: len(x)]
    if limit is not None:
        x, y = x[:limit], y[:limit]
    return x, y


def load_reference(directory: str) -> tuple[np.ndarray, np.ndarray] | None:
    path = os.path.join(directory, "reference.npz")
    if not os.path.exists(path):
        return None
    z = np.load(path)
    return z["images"], z["labels"]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=os.path.join(HERE, "..", "..", "..", "shared", "data", "cifar10"))
    p.add_argument("--out", required=True)
    p.add_argument("--quality", type=int, default=95)
    p.add_argument("--test-quality", type=int, default=None, help="JPEG quality of the test mosaic (default --quality)")
    p.add_argument("--check", action="store_true", help="read the pack back and print the RMS error per split")
    a = p.parse_args(argv)
    meta = pack(a.data, a.out, a.quality, a.test_quality)
    size = sum(os.path.getsize(f) for f in glob.glob(os.path.join(a.out, "*")))
    print(f"packed {a.data} into {a.out}: {size / 1e6:.1f} MB, {json.dumps(meta['splits'])}")
    if a.check:
        sys.path.insert(0, HERE)
        import cifar10

        for split in ("train", "test"):
            x0, y0 = cifar10.load(a.data, split)
            x1, y1 = load_packed(a.out, split)
            assert (y0 == y1).all() and x0.shape == x1.shape, split
            rmse = float(np.sqrt(((x0.astype(np.float32) - x1) ** 2).mean()))
            print(f"{split}: {len(x1)} images, labels equal, RMS error {rmse:.2f} grey levels")
    return 0


if __name__ == "__main__":
    sys.exit(main())
