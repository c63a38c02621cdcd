"""Builds a Keras model from a declarative architecture spec (models/architectures/<name>.json).

The same spec is read by the TypeScript side (models/architecture.ts); layer names are taken from the spec so
weights map 1:1 between Keras and tfjs ("<layer>/<weight>").
"""
from __future__ import annotations

import json
import os

ARCH_DIR = os.path.join(os.path.dirname(__file__), "..", "architectures")


def load_spec(name_or_path: str) -> dict:
    path = name_or_path if name_or_path.endswith(".json") else os.path.join(ARCH_DIR, f"{name_or_path}.json")
    with open(path) as f:
        spec = json.load(f)
    blocks = [b["name"] for b in spec["blocks"]]
    for e in spec["exits"]:
        if e["after"] not in blocks:
            raise ValueError(f"exit {e['name']}: after '{e['after']}' is not a block ({', '.join(blocks)})")
    if spec["exits"][-1]["after"] != blocks[-1]:
        raise ValueError("the last exit must come after the last block")
    return spec


def make_layer(s: dict):
    from keras import layers  # imported here so that load_spec needs no Keras (the PyTorch trainer uses it)

    t, name = s["type"], s["name"]
    if t == "conv2d":
        return layers.Conv2D(s["filters"], s["kernelSize"], strides=s.get("strides", 1), padding=s.get("padding", "valid"),
                             activation=s.get("activation"), use_bias=s.get("useBias", True), name=name)
    if t == "batchNormalization":
        return layers.BatchNormalization(momentum=s.get("momentum", 0.99), epsilon=s.get("epsilon", 1e-3), name=name)
    if t == "activation":
        return layers.Activation(s["activation"], name=name)
    if t == "maxPooling2d":
        return layers.MaxPooling2D(s["poolSize"], strides=s.get("strides"), name=name)
    if t == "globalAveragePooling2d":
        return layers.GlobalAveragePooling2D(name=name)
    if t == "flatten":
        return layers.Flatten(name=name)
    if t == "dense":
        return layers.Dense(s["units"], activation=s.get("activation"), use_bias=s.get("useBias", True), name=name)
    if t == "dropout":
        return layers.Dropout(s["rate"], name=name)
    raise ValueError(f"layer {name}: unsupported type {t}")


def build(spec: dict):
    """The full multi-exit model (a keras.Model): scaled float input -> one softmax output per exit, in spec order."""
    import keras

    inp = keras.Input(shape=tuple(spec["input"]["shape"]), name="input")
    x = inp
    after = {}
    for b in spec["blocks"]:
        for s in b["layers"]:
            x = make_layer(s)(x)
        after[b["name"]] = x
    outputs = []
    for e in spec["exits"]:
        h = after[e["after"]]
        for s in e["head"]:
            h = make_layer(s)(h)
        outputs.append(h)
    return keras.Model(inp, outputs, name=spec["name"].replace("-", "_"))
