"""Trains a multi-exit (BranchyNet) model from its declarative spec on CIFAR-10, jointly on all exits.

Progress goes to stdout and <work-dir>/train.log; a checkpoint is written after every epoch and `--resume`
continues from it (same data order, same LR schedule). At the end (or with --export-only) it evaluates every exit
on the test set and exports the weights as a tfjs weights manifest (weights.json + weights.bin) plus reference
predictions that the TypeScript side must reproduce.

Usage (from the repo root): bash models/train/train.sh --arch compact-branchynet --epochs 30
"""
from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--arch", default="compact-branchynet", help="architecture spec name (models/architectures/)")
    p.add_argument("--data", default=os.path.join(REPO, "..", "shared", "data", "cifar10"), help="CIFAR-10 binary dir")
    p.add_argument("--work-dir", default=None, help="checkpoints and log (default .cache/train/<arch>)")
    p.add_argument("--out", default=None, help="export dir (default models/trained/<arch>)")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.1, help="peak learning rate of the one-cycle schedule (SGD, Nesterov)")
    p.add_argument("--warmup", type=float, default=0.15, help="share of steps spent warming up linearly")
    p.add_argument("--weight-decay", type=float, default=5e-4)
    p.add_argument("--train-limit", type=int, default=None, help="use only the first N training images")
    p.add_argument("--test-limit", type=int, default=None, help="evaluate on the first N test images")
    p.add_argument("--monitor-limit", type=int, default=2000, help="test images evaluated after each epoch (progress only)")
    p.add_argument("--threads", type=int, default=2, help="TensorFlow intra-op threads")
    p.add_argument("--log-every", type=int, default=50, help="log every N steps")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--jit", action="store_true", help="XLA-compile the train step")
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint in --work-dir")
    p.add_argument("--export-only", action="store_true", help="evaluate and export the checkpoint, no training")
    p.add_argument("--export-dtype", choices=["float16", "float32"], default="float16")
    p.add_argument("--threshold", type=float, default=0.8, help="max-softmax threshold reported in the evaluation")
    p.add_argument("--reference-images", type=int, default=32)
    return p.parse_args(argv)


def setup_logging(work_dir: str) -> logging.Logger:
    os.makedirs(work_dir, exist_ok=True)
    log = logging.getLogger("train")
    log.setLevel(logging.INFO)
    fmt = logging.Formatter("%(asctime)s %(message)s", "%Y-%m-%dT%H:%M:%S")
    for h in (logging.StreamHandler(sys.stdout), logging.FileHandler(os.path.join(work_dir, "train.log"))):
        h.setFormatter(fmt)
        log.addHandler(h)
    return log


def main(argv=None) -> int:
    args = parse_args(argv)
    work_dir = args.work_dir or os.path.join(REPO, ".cache", "train", args.arch)
    out_dir = args.out or os.path.join(REPO, "models", "trained", args.arch)
    log = setup_logging(work_dir)

    import numpy as np
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(max(1, args.threads // 2))
    import keras

    sys.path.insert(0, HERE)
    import cifar10
    import spec as specs

    keras.utils.set_random_seed(args.seed)
    spec = specs.load_spec(args.arch)
    exits = [e["name"] for e in spec["exits"]]
    scale = float(spec["input"]["scale"])

    x_test, y_test = cifar10.load(args.data, "test", args.test_limit)
    ckpt = os.path.join(work_dir, "checkpoint.keras")
    state_path = os.path.join(work_dir, "state.json")
    state = {"epoch": 0, "history": [], "args": vars(args)}

    if args.resume or args.export_only:
        if not os.path.exists(ckpt):
            log.error("no checkpoint at %s", ckpt)
            return 2
        model = keras.models.load_model(ckpt)
        with open(state_path) as f:
            state = json.load(f)
        log.info("resumed from %s after epoch %d", ckpt, state["epoch"])
        if not args.export_only and state.get("epochsPlanned", state["args"]["epochs"]) != args.epochs:
            # the LR schedule follows the current --epochs from the optimizer's step count: record the change
            state.setdefault("scheduleChanges", []).append({"afterEpoch": state["epoch"], "epochs": args.epochs})
        if not args.export_only:
            state["epochsPlanned"] = args.epochs
    else:
        model = specs.build(spec)
        opt = keras.optimizers.SGD(learning_rate=0.0, momentum=0.9, nesterov=True, weight_decay=args.weight_decay)
        opt.exclude_from_weight_decay(var_names=["gamma", "beta", "bias"])
        model.compile(
            optimizer=opt,
            loss=["sparse_categorical_crossentropy"] * len(exits),
            loss_weights=[float(e.get("lossWeight", 1.0)) for e in spec["exits"]],
            metrics=[["accuracy"] for _ in exits],
            jit_compile=args.jit,
        )
    log.info("model %s: %d parameters, exits %s", spec["name"], model.count_params(), exits)

    if not args.export_only and state["epoch"] < args.epochs:
        x_train, y_train = cifar10.load(args.data, "train", args.train_limit)
        train(model, args, state, x_train, y_train, x_test, y_test, scale, exits, ckpt, state_path, log)

    evaluation = evaluate(model, x_test, y_test, scale, exits, args.threshold, log)
    export(model, spec, args, state, evaluation, out_dir, log)
    return 0


def augment_dataset(x, y, n_exits, batch_size, seed, scale):
    import tensorflow as tf

    def aug(img, label):
        img = tf.cast(img, tf.float32) * scale
        img = tf.pad(img, [[4, 4], [4, 4], [0, 0]], mode="REFLECT")
        img = tf.image.random_crop(img, [32, 32, 3], seed=seed)
        img = tf.image.random_flip_left_right(img, seed=seed)
        return img, tuple([label] * n_exits)

    ds = tf.data.Dataset.from_tensor_slices((x, y.astype("int32")))
    ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=False)
    ds = ds.map(aug, num_parallel_calls=1).batch(batch_size, drop_remainder=True).prefetch(2)
    return ds


def train(model, args, state, x_train, y_train, x_test, y_test, scale, exits, ckpt, state_path, log):
    import keras
    import numpy as np

    steps_per_epoch = len(x_train) // args.batch_size
    total = steps_per_epoch * args.epochs
    warm = max(1, int(total * args.warmup))

    def lr_at(step):  # one-cycle: linear warm-up then linear decay to 0
        return args.lr * step / warm if step < warm else args.lr * max(0.0, (total - step) / (total - warm))

    class Progress(keras.callbacks.Callback):
        def __init__(self, epoch):
            super().__init__()
            self.epoch = epoch

        def on_train_batch_begin(self, batch, logs=None):
            self.model.optimizer.learning_rate.assign(lr_at(int(self.model.optimizer.iterations.numpy())))

        def on_epoch_begin(self, epoch, logs=None):
            self.t0 = time.time()

        def on_train_batch_end(self, batch, logs=None):
            if (batch + 1) % args.log_every == 0:
                el = time.time() - self.t0
                rate = (batch + 1) * args.batch_size / el
                left = (steps_per_epoch - batch - 1) * args.batch_size / rate
                accs = " ".join(f"{e}={logs.get(f'{e}_accuracy', float('nan')):.3f}" for e in exits)
                log.info("epoch %d/%d step %d/%d loss %.4f %s lr %.4f %.0f img/s epoch ETA %.0fs",
                         self.epoch + 1, args.epochs, batch + 1, steps_per_epoch, logs["loss"], accs,
                         lr_at(int(self.model.optimizer.iterations.numpy())), rate, left)

    log.info("training %s for %d epochs x %d steps (batch %d), %d train images",
             model.name, args.epochs, steps_per_epoch, args.batch_size, len(x_train))
    while state["epoch"] < args.epochs:
        epoch = state["epoch"]
        t0 = time.time()
        ds = augment_dataset(x_train, y_train, len(exits), args.batch_size, args.seed * 1000 + epoch, scale)
        h = model.fit(ds, epochs=1, verbose=0, callbacks=[Progress(epoch)])
        train_s = time.time() - t0
        xm, ym = x_test[: args.monitor_limit], y_test[: args.monitor_limit]
        probs = model.predict(xm.astype("float32") * scale, batch_size=500, verbose=0)
        acc = {e: float(np.mean(np.argmax(p, 1) == ym)) for e, p in zip(exits, probs)}
        entry = {"epoch": epoch + 1, "loss": float(h.history["loss"][-1]), "testAccuracy": acc, "testImages": len(ym),
                 "trainSeconds": round(train_s, 1)}
        state["epoch"] = epoch + 1
        state["history"].append(entry)
        model.save(ckpt)
        with open(state_path + ".tmp", "w") as f:
            json.dump(state, f, indent=1)
        os.replace(state_path + ".tmp", state_path)
        log.info("epoch %d/%d done in %.0fs: loss %.4f accuracy on %d test images %s; checkpoint %s", epoch + 1,
                 args.epochs, train_s, entry["loss"], len(ym), json.dumps({k: round(v, 4) for k, v in acc.items()}), ckpt)


def exit_stats(probs, y, threshold):
    """Per early exit: share answered at max-softmax >= threshold (cascade) and accuracy there; overall accuracy."""
    import numpy as np

    n = len(y)
    remaining = np.ones(n, bool)
    final = probs[-1]
    out = {}
    pred_all = np.zeros(n, int)
    for i, p in enumerate(probs):
        last = i == len(probs) - 1
        take = remaining & ((p.max(1) >= threshold) | last)
        pred = p.argmax(1)
        pred_all[take] = pred[take]
        out[i] = {
            "answered": float(take.sum() / n),
            "accuracyAnswered": float((pred[take] == y[take]).mean()) if take.any() else None,
            "finalExitAccuracyOnSame": float((final.argmax(1)[take] == y[take]).mean()) if take.any() else None,
        }
        remaining &= ~take
    return out, float((pred_all == y).mean())


def evaluate(model, x_test, y_test, scale, exits, threshold, log):
    import numpy as np

    probs = model.predict(x_test.astype("float32") * scale, batch_size=500, verbose=0)
    acc = {e: float(np.mean(np.argmax(p, 1) == y_test)) for e, p in zip(exits, probs)}
    cascade, overall = exit_stats(probs, y_test, threshold)
    # the paper's 2-tier setting: only the first exit may answer early, the last exit answers the rest
    two_tier, two_overall = exit_stats([probs[0], probs[-1]], y_test, threshold)
    ev = {"testImages": int(len(y_test)), "accuracy": acc, "threshold": threshold,
          "cascade": {exits[i]: v for i, v in cascade.items()}, "cascadeOverallAccuracy": overall,
          "edgeCloud": {"answeredAtEdge": two_tier[0]["answered"], "edgeAccuracy": two_tier[0]["accuracyAnswered"],
                        "cloudAccuracyOnSame": two_tier[0]["finalExitAccuracyOnSame"], "overallAccuracy": two_overall}}
    log.info("evaluation: %s", json.dumps(ev))
    return ev


def export(model, spec, args, state, evaluation, out_dir, log):
    """Writes weights.json (a tfjs weights manifest + metadata), weights.bin and reference-predictions.json."""
    import numpy as np

    sys.path.insert(0, HERE)
    import cifar10

    os.makedirs(out_dir, exist_ok=True)
    specs_, chunks = [], []
    for v in model.weights:
        name = v.path
        arr = np.asarray(v.numpy(), dtype=np.float32)
        spec_entry = {"name": name, "shape": list(arr.shape), "dtype": "float32"}
        if args.export_dtype == "float16":
            half = arr.astype("<f2")
            v.assign(half.astype(np.float32))  # predictions below use the weights as shipped
            spec_entry["quantization"] = {"dtype": "float16"}
            chunks.append(half.tobytes())
        else:
            chunks.append(arr.astype("<f4").tobytes())
        specs_.append(spec_entry)
    data = b"".join(chunks)
    version = hashlib.sha256(data).hexdigest()[:16]
    with open(os.path.join(out_dir, "weights.bin"), "wb") as f:
        f.write(data)
    # re-evaluate with the stored precision so the reported numbers are those of the shipped weights
    x_test, y_test = cifar10.load(args.data, "test", args.test_limit)
    exits = [e["name"] for e in spec["exits"]]
    stored_eval = evaluate(model, x_test, y_test, float(spec["input"]["scale"]), exits, args.threshold, log)
    meta = {
        "formatVersion": 1,
        "architecture": spec["name"],
        "modelVersion": version,
        "storage": args.export_dtype,
        "weightsManifest": [{"paths": ["weights.bin"], "weights": specs_}],
        "training": {"epochsDone": state["epoch"], "epochsPlanned": args.epochs, "batchSize": args.batch_size,
                     "peakLearningRate": args.lr, "weightDecay": args.weight_decay, "seed": args.seed,
                     "trainImages": args.train_limit or 50000, "history": state["history"],
                     "scheduleChanges": state.get("scheduleChanges", [])},
        "evaluationFloat32": evaluation,
        "evaluation": stored_eval,
    }
    with open(os.path.join(out_dir, "weights.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    ref_file = os.path.join(REPO, "..", "shared", "data", "cifar10", "lossless", "test_batch_first1000.bin")
    if os.path.exists(ref_file):
        xr, yr = cifar10.read_batch(ref_file, args.reference_images)
        pr = model.predict(xr.astype("float32") * float(spec["input"]["scale"]), verbose=0)
        ref = {"source": "lossless/test_batch_first1000.bin", "count": int(len(xr)), "labels": yr.tolist(),
               "modelVersion": version,
               "exits": {e: [[round(float(v), 7) for v in row] for row in p] for e, p in zip(exits, pr)}}
        with open(os.path.join(out_dir, "reference-predictions.json"), "w") as f:
            json.dump(ref, f)
            f.write("\n")
    log.info("exported %d tensors (%d bytes, %s) to %s, modelVersion %s", len(specs_), len(data), args.export_dtype,
             out_dir, version)


if __name__ == "__main__":
    sys.exit(main())
