"""PyTorch trainer for a multi-exit (BranchyNet) spec: the GPU path beside the Keras trainer (train.py).

Same spec, same layer names, same exits (models/train/torch_model.py). Joint training of all exits with the spec's
loss weights; SGD Nesterov with a one-cycle schedule (linear warm-up, linear decay to 0); random crop (reflect
padding) + flip + cutout on the GPU; label smoothing; distillation from the last exit into the earlier ones
(Hinton KD at temperature T, teacher detached); bf16 autocast and channels_last on CUDA; the whole data set lives
on the device. The schedule runs over --epochs, or over a wall-clock --budget-s of the training loop (whichever ends first), so a
fixed-length lease of a GPU machine always ends with an annealed model.

Every epoch: per-exit accuracy on the test images given (and the edge exit's share answered at --threshold), a
resumable checkpoint in --work-dir, and (at most every --save-every-s) the weights as float16 in the Keras/tfjs
layout to <out>/<name>.npz (split into .partN files above --split-mb), with the history and the predictions on
the reference images inside. models/train/torch_export.py turns that into weights.json + weights.bin.

    python models/train/torch_train.py --arch compact-branchynet --data .devpack/cifar10 --out /tmp/o --budget-s 300
"""
from __future__ import annotations

import argparse
import copy
import io
import json
import math
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--arch", default="compact-branchynet")
    p.add_argument("--data", default=os.path.join(REPO, "..", "shared", "data", "cifar10"),
                   help="CIFAR-10 binary dir, or a pack made by cifar_pack.py")
    p.add_argument("--out", required=True, help="where <name>.npz (float16 weights, Keras layout) goes")
    p.add_argument("--name", default=None, help="file stem of the export (default: arch)")
    p.add_argument("--work-dir", default=None, help="resumable checkpoint (default <out>/work-<name>)")
    p.add_argument("--resume", action="store_true")
    p.add_argument("--epochs", type=int, default=100, help="schedule length in epochs (upper bound with --budget-s)")
    p.add_argument("--budget-s", type=float, default=None, help="wall-clock training budget: the schedule ends then")
    p.add_argument("--batch-size", type=int, default=512)
    p.add_argument("--lr", type=float, default=0.2)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--weight-decay", type=float, default=5e-4, help="on kernels only (not BN, not biases)")
    p.add_argument("--warmup", type=float, default=0.05, help="share of the schedule warming up linearly")
    p.add_argument("--label-smoothing", type=float, default=0.1)
    p.add_argument("--early-label-smoothing", type=float, default=None,
                   help="label smoothing of the earlier exits (default: --label-smoothing)")
    p.add_argument("--distill", type=float, default=0.5, help="weight of the KD term in the earlier exits' loss")
    p.add_argument("--temperature", type=float, default=3.0)
    p.add_argument("--cutout", type=int, default=12, help="side of the cutout square (0 = none)")
    p.add_argument("--crop-pad", type=int, default=4)
    p.add_argument("--clip", type=float, default=0.0, help="gradient max-norm (0 = none)")
    p.add_argument("--bn-momentum", type=float, default=0.1, help="PyTorch convention (Keras 0.99 = 0.01)")
    p.add_argument("--device", default="cuda" if _cuda() else "cpu")
    p.add_argument("--amp", choices=["bf16", "none"], default="bf16")
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--train-limit", type=int, default=None)
    p.add_argument("--test-limit", type=int, default=None)
    p.add_argument("--threshold", type=float, default=0.8)
    p.add_argument("--save-every-s", type=float, default=30.0, help="export the weights at most this often (and at the end)")
    p.add_argument("--checkpoint-every-s", type=float, default=0.0, help="resumable checkpoint at most this often (0 = every epoch)")
    p.add_argument("--split-mb", type=float, default=15.0)
    p.add_argument("--log-every", type=int, default=0, help="log every N steps (0 = per epoch only)")
    return p.parse_args(argv)


def _cuda() -> bool:
    try:
        import torch

        return torch.cuda.is_available()
    except Exception:
        return False


def log(msg: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {msg}", flush=True)


def load_data(directory: str, split: str, limit):
    import cifar_pack

    if cifar_pack.is_packed(directory):
        return cifar_pack.load_packed(directory, split, limit)
    import cifar10

    return cifar10.load(directory, split, limit)


def load_reference(directory: str):
    import cifar_pack

    if cifar_pack.is_packed(directory):
        return cifar_pack.load_reference(directory)
    import cifar10

    f = os.path.join(directory, "lossless", "test_batch_first1000.bin")
    return cifar10.read_batch(f, 32) if os.path.exists(f) else None


def augment(xb, scale: float, pad: int, cutout: int, channels_last: bool):
    """uint8 NHWC batch on the device -> augmented float NCHW: reflect-pad random crop, flip, cutout."""
    import torch
    import torch.nn.functional as F

    n = xb.shape[0]
    dev = xb.device
    x = xb.permute(0, 3, 1, 2).float().mul_(scale)
    if pad:
        xp = F.pad(x, (pad, pad, pad, pad), mode="reflect")
        i = torch.randint(0, 2 * pad + 1, (n, 1), device=dev)
        j = torch.randint(0, 2 * pad + 1, (n, 1), device=dev)
        ar = torch.arange(32, device=dev)[None]
        rows = (i + ar)[:, None, :, None]
        cols = (j + ar)[:, None, None, :]
        x = xp[torch.arange(n, device=dev)[:, None, None, None], torch.arange(3, device=dev)[None, :, None, None], rows, cols]
    flip = torch.rand(n, device=dev) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    if cutout:
        ar = torch.arange(32, device=dev)
        y0 = torch.randint(0, 32, (n, 1, 1), device=dev) - cutout // 2
        x0 = torch.randint(0, 32, (n, 1, 1), device=dev) - cutout // 2
        m = ((ar[None, :, None] >= y0) & (ar[None, :, None] < y0 + cutout)
             & (ar[None, None, :] >= x0) & (ar[None, None, :] < x0 + cutout))
        x = x.masked_fill(m[:, None], 0.5)
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x.contiguous()


def exit_stats(probs: list, y: np.ndarray, threshold: float):
    """Per exit accuracy; the edge (first) exit alone at max-softmax >= threshold: share answered, accuracy there,
    and the last exit's accuracy on the same images (the paper's 2-tier figure)."""
    acc = [float((p.argmax(1) == y).mean()) for p in probs]
    take = probs[0].max(1) >= threshold
    edge = {"answered": float(take.mean()),
            "accuracy": float((probs[0].argmax(1)[take] == y[take]).mean()) if take.any() else None,
            "lastExitOnSame": float((probs[-1].argmax(1)[take] == y[take]).mean()) if take.any() else None}
    return acc, edge


def save_export(model, spec, args, state, out_dir: str, name: str, reference) -> list:
    """float16 Keras-layout weights + metadata as one .npz (split into parts above --split-mb); atomic renames."""
    import torch

    tensors = dict(model.keras_weights())
    meta = {"architecture": spec["name"], "trainer": "models/train/torch_train.py", "torch": torch.__version__,
            "device": _device_name(args.device), "args": vars(args), "state": state}
    arrays = {k: v.astype("<f2") for k, v in tensors.items()}
    if reference is not None:
        # predictions of the weights as stored (float16 -> float32), float32 math, on the lossless reference images
        import torch_model

        twin = torch_model.BranchyNet(spec)
        twin.load_keras({k: v.astype(np.float32) for k, v in arrays.items()})
        pr = twin.probabilities(reference[0])
        meta["reference"] = {"labels": reference[1].tolist(),
                             "exits": {e: p.tolist() for e, p in zip(twin.exit_names, pr)}}
    buf = io.BytesIO()
    np.savez(buf, __meta__=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8), **arrays)
    data = buf.getvalue()
    limit = int(args.split_mb * 1024 * 1024)
    parts = [data] if len(data) <= limit else [data[i:i + limit] for i in range(0, len(data), limit)]
    names = [f"{name}.npz"] if len(parts) == 1 else [f"{name}.npz.part{i}" for i in range(len(parts))]
    os.makedirs(out_dir, exist_ok=True)
    for n_, part in zip(names, parts):
        with open(os.path.join(out_dir, n_ + ".tmp"), "wb") as f:
            f.write(part)
    for n_ in names:
        os.replace(os.path.join(out_dir, n_ + ".tmp"), os.path.join(out_dir, n_))
    return names


def _device_name(device: str) -> str:
    import torch

    if device.startswith("cuda") and torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    return "cpu"


def main(argv=None) -> int:
    args = parse_args(argv)
    import torch
    import torch.nn.functional as F

    import torch_model

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.set_num_threads(args.threads)
    dev = torch.device(args.device)
    cuda = dev.type == "cuda"
    if cuda:
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    name = args.name or args.arch
    work = args.work_dir or os.path.join(args.out, f"work-{name}")
    os.makedirs(work, exist_ok=True)

    spec = torch_model.load_spec(args.arch)
    model = torch_model.BranchyNet(spec)
    model.init_weights()
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.momentum = args.bn_momentum
    model.to(dev)
    channels_last = cuda
    if channels_last:
        model.to(memory_format=torch.channels_last)
    n_params = sum(p.numel() for p in model.parameters())
    exits = model.exit_names
    scale = float(spec["input"]["scale"])

    t0 = time.time()
    x_train, y_train = load_data(args.data, "train", args.train_limit)
    x_test, y_test = load_data(args.data, "test", args.test_limit)
    reference = load_reference(args.data)
    xg = torch.from_numpy(x_train).to(dev)
    yg = torch.from_numpy(y_train.astype(np.int64)).to(dev)
    xt = torch.from_numpy(x_test).to(dev)
    log(f"{name}: {spec['name']} {n_params} parameters, exits {exits}; {len(x_train)} train / {len(x_test)} test "
        f"images from {args.data} in {time.time() - t0:.1f}s on {_device_name(args.device)}")

    decay, no_decay = [], []
    for layer in model.spec_layers():
        if layer.op is None:
            continue
        for pn, p in layer.op.named_parameters():
            (decay if pn == "weight" and layer.kind in ("conv2d", "dense") else no_decay).append(p)
    opt_kw = {"fused": True} if cuda else {}
    opt = torch.optim.SGD([{"params": decay, "weight_decay": args.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
                          lr=0.0, momentum=args.momentum, nesterov=True, **opt_kw)

    steps_per_epoch = len(x_train) // args.batch_size
    total_steps = steps_per_epoch * args.epochs
    state = {"epoch": 0, "step": 0, "trainSeconds": 0.0, "history": [], "lrScale": 1.0, "restarts": 0}
    ckpt = os.path.join(work, "checkpoint.pt")
    if args.resume and os.path.exists(ckpt):
        c = torch.load(ckpt, map_location=dev, weights_only=False)
        model.load_state_dict(c["model"])
        opt.load_state_dict(c["opt"])
        state = c["state"]
        log(f"{name}: resumed after epoch {state['epoch']} ({state['trainSeconds']:.0f}s trained)")

    def progress() -> float:
        p = state["step"] / total_steps
        if args.budget_s:
            p = max(p, state["trainSeconds"] / args.budget_s)
        return min(p, 1.0)

    def lr_at(p: float) -> float:
        w = args.warmup
        base = args.lr * state["lrScale"]
        return base * p / w if p < w else base * max(0.0, (1 - p) / (1 - w))

    amp = torch.autocast(device_type=dev.type, dtype=torch.bfloat16, enabled=args.amp == "bf16" and cuda)
    weights = model.loss_weights
    last = len(exits) - 1

    def evaluate():
        model.eval()
        outs = [[] for _ in exits]
        with torch.no_grad(), amp:
            for i in range(0, len(xt), 1000):
                x = xt[i:i + 1000].permute(0, 3, 1, 2).float().mul_(scale)
                if channels_last:
                    x = x.contiguous(memory_format=torch.channels_last)
                for k, z in enumerate(model(x)):
                    outs[k].append(F.softmax(z.float(), -1).cpu().numpy())
        model.train()
        return exit_stats([np.concatenate(o) for o in outs], y_test, args.threshold)

    good = None
    last_save = last_ckpt = time.time()
    saved_epoch = -1
    t_loop = time.time()
    base = state["trainSeconds"]

    def elapsed() -> float:
        return base + time.time() - t_loop

    def export(final: bool = False) -> None:
        nonlocal last_save, saved_epoch
        files = save_export(model, spec, args, state, args.out, name, reference)
        last_save, saved_epoch = time.time(), state["epoch"]
        log(f"{name}: {'final export' if final else 'saved'} {', '.join(files)} after epoch {state['epoch']}")

    log(f"{name}: {steps_per_epoch} steps/epoch, batch {args.batch_size}, peak lr {args.lr}, "
        f"{'budget %.0fs, ' % args.budget_s if args.budget_s else ''}at most {args.epochs} epochs")
    while progress() < 1.0:
        model.train()
        perm = torch.randperm(len(xg), device=dev)
        loss_sum = torch.zeros((), device=dev)
        correct = torch.zeros(len(exits), device=dev)
        seen = 0
        nan = False
        for s in range(steps_per_epoch):
            if s % 10 == 0:
                state["trainSeconds"] = elapsed()
            p = progress()
            if p >= 1.0:
                break
            lr = lr_at(p)
            for g in opt.param_groups:
                g["lr"] = lr
            idx = perm[s * args.batch_size:(s + 1) * args.batch_size]
            x = augment(xg[idx], scale, args.crop_pad, args.cutout, channels_last)
            y = yg[idx]
            with amp:
                logits = model(x)
            logits = [z.float() for z in logits]
            teacher = logits[last].detach()
            loss = 0.0
            for k, z in enumerate(logits):
                ls = args.label_smoothing if k == last or args.early_label_smoothing is None else args.early_label_smoothing
                ce = F.cross_entropy(z, y, label_smoothing=ls)
                if k != last and args.distill > 0:
                    kd = F.kl_div(F.log_softmax(z / args.temperature, -1), F.softmax(teacher / args.temperature, -1),
                                  reduction="batchmean") * args.temperature ** 2
                    ce = (1 - args.distill) * ce + args.distill * kd
                loss = loss + weights[k] * ce
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if args.clip > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            opt.step()
            with torch.no_grad():
                loss_sum += loss.detach()
                for k, z in enumerate(logits):
                    correct[k] += (z.argmax(1) == y).sum()
            seen += len(y)
            state["step"] += 1
            if args.log_every and state["step"] % args.log_every == 0:
                log(f"{name}: step {state['step']} loss {loss.item():.4f} lr {lr:.4f}")
            if (s + 1) % 50 == 0 and not math.isfinite(float(loss_sum)):
                nan = True
                break
        state["trainSeconds"] = elapsed()
        if seen == 0:
            break
        if nan or not math.isfinite(float(loss_sum)):
            state["restarts"] += 1
            state["lrScale"] *= 0.5
            if good is None or state["restarts"] > 4:
                log(f"{name}: loss is not finite in epoch {state['epoch'] + 1}; giving up")
                break
            model.load_state_dict(good[0])
            opt.load_state_dict(good[1])
            state["step"] = good[2]
            log(f"{name}: loss is not finite in epoch {state['epoch'] + 1}: back to epoch {state['epoch']}, lr x{state['lrScale']}")
            continue
        state["epoch"] += 1
        acc, edge = evaluate()
        entry = {"epoch": state["epoch"], "loss": round(float(loss_sum) / max(1, seen // args.batch_size), 4),
                 "lr": round(lr, 5), "trainAccuracy": {e: round(float(c) / seen, 4) for e, c in zip(exits, correct)},
                 "testAccuracy": {e: round(a, 4) for e, a in zip(exits, acc)}, "testImages": int(len(y_test)),
                 "edgeAtThreshold": {k: (round(v, 4) if v is not None else None) for k, v in edge.items()},
                 "trainSeconds": round(elapsed(), 1)}
        state["history"].append(entry)
        log(f"{name}: epoch {state['epoch']} ({progress() * 100:.0f} %, {elapsed():.0f}s) loss {entry['loss']:.4f} "
            f"test {' '.join(f'{e}={a:.4f}' for e, a in zip(exits, acc))} | edge@{args.threshold}: answered "
            f"{edge['answered']:.4f} acc {edge['accuracy'] if edge['accuracy'] is None else round(edge['accuracy'], 4)}")
        good = (copy.deepcopy(model.state_dict()), copy.deepcopy(opt.state_dict()), state["step"])
        state["trainSeconds"] = elapsed()
        if progress() >= 1.0 or time.time() - last_ckpt >= args.checkpoint_every_s:
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "state": state}, ckpt + ".tmp")
            os.replace(ckpt + ".tmp", ckpt)
            last_ckpt = time.time()
        if progress() < 1.0 and time.time() - last_save >= args.save_every_s:
            export()
    if state["epoch"] > 0 and saved_epoch != state["epoch"]:
        export(final=True)
    log(f"{name}: done: {state['epoch']} epochs, {state['step']} steps, {state['trainSeconds']:.0f}s")
    return 0 if state["epoch"] > 0 else 3


if __name__ == "__main__":
    sys.exit(main())
