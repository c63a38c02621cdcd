"""Turns the PyTorch trainer's export (<name>.npz or its .partN files: float16 weights already in the Keras/tfjs
layout, plus history) into the project's trained-weights format, as train.py writes it:

- weights.bin + weights.json (a tfjs weights manifest, float16, modelVersion = content hash, training history,
  evaluation of the weights as stored on the CIFAR-10 test files);
- reference-predictions.json: the PyTorch model's softmax outputs (float32 math, weights as stored) on the first
  lossless test images, which the TypeScript tests must reproduce (test/models/partition.test.ts).

    python models/train/torch_export.py --arch vgg16-branchynet --npz .cache/gpu/vgg16-branchynet.npz \\
        --out models/trained/vgg16-branchynet [--data ../shared/data/cifar10] [--only-if-better]
"""
from __future__ import annotations

import argparse
import glob
import hashlib
import io
import json
import os
import re
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)


def read_npz(path: str):
    """<name>.npz, or <name>.npz.part0.. joined in order."""
    if os.path.isfile(path) and not re.search(r"\.part\d+$", path):
        data = open(path, "rb").read()
    else:
        base = re.sub(r"\.part\d+$", "", path)
        parts = sorted(glob.glob(base + ".part*"), key=lambda p: int(p.rsplit("part", 1)[1]))
        if not parts:
            raise FileNotFoundError(f"neither {path} nor {base}.part* exist")
        data = b"".join(open(p, "rb").read() for p in parts)
    z = np.load(io.BytesIO(data))
    meta = json.loads(bytes(z["__meta__"]).decode())
    return {k: z[k] for k in z.files if k != "__meta__"}, meta


def evaluate(probs, y, exits, threshold):
    import train  # exit_stats only (numpy)

    acc = {e: float(np.mean(np.argmax(p, 1) == y)) for e, p in zip(exits, probs)}
    cascade, overall = train.exit_stats(probs, y, threshold)
    two, two_overall = train.exit_stats([probs[0], probs[-1]], y, threshold)
    return {"testImages": int(len(y)), "accuracy": acc, "threshold": threshold,
            "cascade": {exits[i]: v for i, v in cascade.items()}, "cascadeOverallAccuracy": overall,
            "edgeCloud": {"answeredAtEdge": two[0]["answered"], "edgeAccuracy": two[0]["accuracyAnswered"],
                          "cloudAccuracyOnSame": two[0]["finalExitAccuracyOnSame"], "overallAccuracy": two_overall}}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--arch", required=True)
    p.add_argument("--npz", required=True, help="the trainer's <name>.npz (or one of its .partN files)")
    p.add_argument("--out", default=None, help="default models/trained/<arch>")
    p.add_argument("--data", default=os.path.join(REPO, "..", "shared", "data", "cifar10"))
    p.add_argument("--threshold", type=float, default=0.8)
    p.add_argument("--test-limit", type=int, default=None)
    p.add_argument("--reference-images", type=int, default=32)
    p.add_argument("--only-if-better", action="store_true",
                   help="write nothing unless the last exit beats the weights already in --out (as stored)")
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args(argv)

    import torch

    import cifar10
    import torch_model

    torch.set_num_threads(a.threads)
    spec = torch_model.load_spec(a.arch)
    out = a.out or os.path.join(REPO, "models", "trained", spec["name"])
    tensors, meta = read_npz(a.npz)
    if meta["architecture"] != spec["name"]:
        raise SystemExit(f"{a.npz} holds {meta['architecture']}, not {spec['name']}")
    model = torch_model.BranchyNet(spec)
    model.load_keras({k: v.astype(np.float32) for k, v in tensors.items()})  # fails naming a missing/mis-shaped weight
    order = model.keras_weights()
    missing = [k for k, _ in order if k not in tensors]
    if missing:
        raise SystemExit(f"{a.npz} lacks {', '.join(missing[:5])}")
    entries, chunks = [], []
    for k, _ in order:
        v = np.asarray(tensors[k])
        if v.dtype != np.float16:
            v = v.astype("<f2")
        if not np.isfinite(v).all():
            raise SystemExit(f"{k}: not finite in float16")
        entries.append({"name": k, "shape": list(v.shape), "dtype": "float32", "quantization": {"dtype": "float16"}})
        chunks.append(v.astype("<f2").tobytes())
    data = b"".join(chunks)
    version = hashlib.sha256(data).hexdigest()[:16]

    x_test, y_test = cifar10.load(a.data, "test", a.test_limit)
    probs = model.probabilities(x_test)
    ev = evaluate(probs, y_test, model.exit_names, a.threshold)
    print(f"{spec['name']} {version}: test accuracy (as stored, {len(y_test)} images) "
          + ", ".join(f"{e} {v * 100:.2f} %" for e, v in ev["accuracy"].items())
          + f"; edge at {a.threshold}: answered {ev['edgeCloud']['answeredAtEdge'] * 100:.2f} % with "
          f"{(ev['edgeCloud']['edgeAccuracy'] or 0) * 100:.2f} % (last exit {(ev['edgeCloud']['cloudAccuracyOnSame'] or 0) * 100:.2f} % on them)")

    old = os.path.join(out, "weights.json")
    if a.only_if_better and os.path.exists(old):
        prev = json.load(open(old))["evaluation"]["accuracy"][model.exit_names[-1]]
        if ev["accuracy"][model.exit_names[-1]] <= prev:
            print(f"not written: last exit {ev['accuracy'][model.exit_names[-1]]:.4f} does not beat {prev:.4f} in {old}")
            return 1

    args = meta["args"]
    state = meta["state"]
    training = {
        "trainer": f"models/train/torch_train.py (PyTorch {meta.get('torch')}, {meta.get('device')})",
        "epochsDone": state["epoch"], "epochsPlanned": args["epochs"], "budgetSeconds": args.get("budget_s"),
        "trainSeconds": round(state["trainSeconds"], 1), "steps": state["step"], "batchSize": args["batch_size"],
        "peakLearningRate": args["lr"], "warmup": args["warmup"], "schedule": "one-cycle: linear warm-up, linear decay to 0",
        "optimizer": f"SGD momentum {args['momentum']} Nesterov", "weightDecay": args["weight_decay"],
        "labelSmoothing": args["label_smoothing"],
        "distillation": {"from": model.exit_names[-1], "weight": args["distill"], "temperature": args["temperature"]},
        "augmentation": {"cropPad": args["crop_pad"], "flip": True, "cutout": args["cutout"]},
        "gradientClip": args["clip"], "amp": args["amp"], "seed": args["seed"],
        "trainImages": args.get("train_limit") or 50000,
        "trainData": "CIFAR-10 train batches packed as JPEG mosaics (models/train/cifar_pack.py) when a pack was given",
        "restarts": state.get("restarts", 0), "history": state["history"],
    }
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "weights.bin"), "wb") as f:
        f.write(data)
    doc = {"formatVersion": 1, "architecture": spec["name"], "modelVersion": version, "storage": "float16",
           "weightsManifest": [{"paths": ["weights.bin"], "weights": entries}], "training": training,
           "evaluation": ev,
           "evaluationNote": "weights as stored (float16), float32 math in PyTorch on the CIFAR-10 test files; "
                             "history figures are the trainer's own (bf16, test images as packed)"}
    with open(os.path.join(out, "weights.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")

    ref_file = os.path.join(a.data, "lossless", "test_batch_first1000.bin")
    if os.path.exists(ref_file):
        xr, yr = cifar10.read_batch(ref_file, a.reference_images)
        pr = model.probabilities(xr)
        if "reference" in meta and len(meta["reference"]["labels"]) == len(yr):
            diff = max(float(np.abs(np.asarray(meta["reference"]["exits"][e]) - p_).max()) for e, p_ in zip(model.exit_names, pr))
            print(f"reference images: PyTorch here vs the training machine: max abs diff {diff:.2e}")
        ref = {"source": "lossless/test_batch_first1000.bin", "count": int(len(xr)), "labels": yr.tolist(),
               "modelVersion": version, "producer": "PyTorch (models/train/torch_export.py)",
               "exits": {e: [[round(float(v), 7) for v in row] for row in p_] for e, p_ in zip(model.exit_names, pr)}}
        with open(os.path.join(out, "reference-predictions.json"), "w") as f:
            json.dump(ref, f)
            f.write("\n")
    print(f"wrote {out}/weights.json + weights.bin ({len(data)} bytes, float16), modelVersion {version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
