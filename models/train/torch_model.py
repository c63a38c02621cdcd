"""Builds a PyTorch model from a declarative architecture spec (models/architectures/<name>.json), and moves its
weights to and from the Keras/tfjs layout under the shared names `<layer>/<weight>`.

The PyTorch model computes exactly what the Keras model (models/train/spec.py) and the tfjs model
(models/build.ts) compute at inference:
- conv2d 'same' (stride 1, odd kernel) = symmetric zero padding k // 2; kernels are OIHW here, HWIO in Keras/tfjs;
- batchNormalization uses the spec's epsilon (Keras' default 1e-3, not PyTorch's 1e-5); gamma/beta/moving_mean/
  moving_variance = weight/bias/running_mean/running_var;
- flatten runs in NHWC order (Keras' channels_last), so dense kernels are the transposed nn.Linear weights ([in, out]);
- maxPooling2d is 'valid' with strides = poolSize unless given, as in Keras;
- an exit's final dense softmax layer returns logits here (softmax is applied by `probabilities`).
"""
from __future__ import annotations

import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from spec import load_spec  # noqa: E402  (no Keras needed)

__all__ = ["BranchyNet", "load_spec", "build"]


class SpecLayer(nn.Module):
    """One spec layer: the torch op plus its activation; `keras_weights` names its tensors as Keras does."""

    def __init__(self, s: dict, in_shape: tuple, final_softmax: bool):
        super().__init__()
        self.spec = s
        self.kind = s["type"]
        self.name = s["name"]
        self.activation = s.get("activation", "linear") if self.kind in ("conv2d", "dense", "activation") else "linear"
        # an exit's last layer returns logits; the softmax is applied outside (loss, probabilities)
        self.logits = final_softmax
        t = self.kind
        if t == "conv2d":
            c, h, w = in_shape
            k, st = s["kernelSize"], s.get("strides", 1)
            pad = s.get("padding", "valid")
            if pad == "same" and (st != 1 or k % 2 == 0):
                raise ValueError(f"layer {self.name}: 'same' padding is supported for stride 1 and odd kernels only")
            self.op = nn.Conv2d(c, s["filters"], k, stride=st, padding=k // 2 if pad == "same" else 0,
                                bias=s.get("useBias", True))
            out = (lambda n: n) if pad == "same" else (lambda n: (n - k) // st + 1)
            self.out_shape = (s["filters"], out(h), out(w))
        elif t == "batchNormalization":
            self.op = nn.BatchNorm2d(in_shape[0], eps=s.get("epsilon", 1e-3), momentum=0.1)
            self.out_shape = in_shape
        elif t == "activation":
            self.op = None
            self.out_shape = in_shape
        elif t == "maxPooling2d":
            p, st = s["poolSize"], s.get("strides", s["poolSize"])
            self.op = nn.MaxPool2d(p, st)
            c, h, w = in_shape
            self.out_shape = (c, (h - p) // st + 1, (w - p) // st + 1)
        elif t == "globalAveragePooling2d":
            self.op = None
            self.out_shape = (in_shape[0],)
        elif t == "flatten":
            self.op = None
            self.out_shape = (int(np.prod(in_shape)),)
        elif t == "dense":
            if len(in_shape) != 1:
                raise ValueError(f"layer {self.name}: dense needs a flat input, got {in_shape} (add a flatten layer)")
            self.op = nn.Linear(in_shape[0], s["units"], bias=s.get("useBias", True))
            self.out_shape = (s["units"],)
        elif t == "dropout":
            self.op = nn.Dropout(s["rate"])
            self.out_shape = in_shape
        else:
            raise ValueError(f"layer {self.name}: unsupported type {t}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = self.kind
        if t == "flatten":
            # Keras flattens NHWC: (h, w, c) order
            x = x.permute(0, 2, 3, 1).reshape(x.shape[0], -1) if x.dim() == 4 else x.reshape(x.shape[0], -1)
        elif t == "globalAveragePooling2d":
            x = x.mean(dim=(2, 3))
        elif self.op is not None:
            x = self.op(x)
        a = self.activation
        if a == "relu":
            x = F.relu(x)
        elif a == "softmax" and not self.logits:
            x = F.softmax(x, dim=-1)
        return x

    # --- Keras/tfjs layout -------------------------------------------------------------------------------------
    def keras_weights(self) -> list[tuple[str, np.ndarray]]:
        """This layer's tensors in Keras order and layout, float32."""
        f = lambda t: t.detach().float().cpu().numpy()  # noqa: E731
        n, t = self.name, self.kind
        if t == "conv2d":
            out = [(f"{n}/kernel", f(self.op.weight).transpose(2, 3, 1, 0))]  # OIHW -> HWIO
            if self.op.bias is not None:
                out.append((f"{n}/bias", f(self.op.bias)))
            return out
        if t == "batchNormalization":
            return [(f"{n}/gamma", f(self.op.weight)), (f"{n}/beta", f(self.op.bias)),
                    (f"{n}/moving_mean", f(self.op.running_mean)), (f"{n}/moving_variance", f(self.op.running_var))]
        if t == "dense":
            out = [(f"{n}/kernel", f(self.op.weight).T)]  # [out, in] -> [in, out]
            if self.op.bias is not None:
                out.append((f"{n}/bias", f(self.op.bias)))
            return out
        return []

    @torch.no_grad()
    def load_keras(self, tensors: dict) -> None:
        n, t = self.name, self.kind

        def take(key: str, target: torch.Tensor, transform) -> None:
            if key not in tensors:
                raise KeyError(f"no weight '{key}' for layer '{n}'")
            v = torch.from_numpy(transform(np.asarray(tensors[key], dtype=np.float32)).copy())
            if tuple(v.shape) != tuple(target.shape):
                raise ValueError(f"weight '{key}' has shape {tuple(v.shape)} in torch layout, layer needs {tuple(target.shape)}")
            target.copy_(v)

        ident = lambda a: a  # noqa: E731
        if t == "conv2d":
            take(f"{n}/kernel", self.op.weight, lambda a: a.transpose(3, 2, 0, 1))  # HWIO -> OIHW
            if self.op.bias is not None:
                take(f"{n}/bias", self.op.bias, ident)
        elif t == "batchNormalization":
            take(f"{n}/gamma", self.op.weight, ident)
            take(f"{n}/beta", self.op.bias, ident)
            take(f"{n}/moving_mean", self.op.running_mean, ident)
            take(f"{n}/moving_variance", self.op.running_var, ident)
        elif t == "dense":
            take(f"{n}/kernel", self.op.weight, lambda a: a.T)
            if self.op.bias is not None:
                take(f"{n}/bias", self.op.bias, ident)


class BranchyNet(nn.Module):
    """input (N, 3, H, W) scaled floats -> list of logits, one per exit, in spec order."""

    def __init__(self, spec: dict):
        super().__init__()
        self.spec = spec
        h, w, c = spec["input"]["shape"]
        shape = (c, h, w)
        self.blocks = nn.ModuleList()
        self.block_names = []
        after = {}
        for b in spec["blocks"]:
            layers = []
            for s in b["layers"]:
                layer = SpecLayer(s, shape, False)
                shape = layer.out_shape
                layers.append(layer)
            self.blocks.append(nn.Sequential(*layers))
            self.block_names.append(b["name"])
            after[b["name"]] = shape
        self.heads = nn.ModuleList()
        self.exit_names = []
        self.exit_after = []
        for e in spec["exits"]:
            shape = after[e["after"]]
            layers = []
            for i, s in enumerate(e["head"]):
                layer = SpecLayer(s, shape, i == len(e["head"]) - 1)
                shape = layer.out_shape
                layers.append(layer)
            self.heads.append(nn.Sequential(*layers))
            self.exit_names.append(e["name"])
            self.exit_after.append(self.block_names.index(e["after"]))
        self.loss_weights = [float(e.get("lossWeight", 1.0)) for e in spec["exits"]]

    def spec_layers(self):
        for seq in list(self.blocks) + list(self.heads):
            yield from seq

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        feats = []
        for blk in self.blocks:
            x = blk(x)
            feats.append(x)
        return [head(feats[i]) for head, i in zip(self.heads, self.exit_after)]

    def init_weights(self) -> None:
        """He-normal kernels for ReLU layers (the VGG16 spec has no BatchNorm, so scale matters), zero biases."""
        for layer in self.spec_layers():
            op = layer.op
            if isinstance(op, (nn.Conv2d, nn.Linear)):
                if layer.activation == "relu" or layer.kind == "conv2d":
                    nn.init.kaiming_normal_(op.weight, mode="fan_in", nonlinearity="relu")
                else:  # logits
                    nn.init.normal_(op.weight, std=1.0 / math.sqrt(op.weight.shape[1]))
                if op.bias is not None:
                    nn.init.zeros_(op.bias)

    def keras_weights(self) -> list[tuple[str, np.ndarray]]:
        """Every tensor as Keras names and lays it out, in the Keras model's order (blocks, then exit heads)."""
        return [kv for layer in self.spec_layers() for kv in layer.keras_weights()]

    def load_keras(self, tensors: dict) -> None:
        names = {k for k, _ in self.keras_weights()}
        extra = sorted(set(tensors) - names)
        if extra:
            raise KeyError(f"weights not in {self.spec['name']}: {', '.join(extra[:5])}")
        for layer in self.spec_layers():
            layer.load_keras(tensors)

    @torch.no_grad()
    def probabilities(self, images_nhwc_uint8: np.ndarray, batch: int = 500, device: str = "cpu") -> list[np.ndarray]:
        """Softmax outputs per exit for raw uint8 NHWC images, float32 math (what tfjs computes)."""
        was = self.training
        self.eval()
        scale = float(self.spec["input"]["scale"])
        outs = [[] for _ in self.exit_names]
        for i in range(0, len(images_nhwc_uint8), batch):
            x = torch.from_numpy(images_nhwc_uint8[i:i + batch]).to(device).permute(0, 3, 1, 2).float() * scale
            for k, z in enumerate(self(x)):
                outs[k].append(F.softmax(z.float(), dim=-1).cpu().numpy())
        self.train(was)
        return [np.concatenate(o) for o in outs]


def build(arch: str) -> BranchyNet:
    return BranchyNet(load_spec(arch))
