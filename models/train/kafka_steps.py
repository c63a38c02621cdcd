"""Measures the Python/Keras alternative to `npm run pipeline -- train`: Keras (TensorFlow CPU) training steps fed by
confluent-kafka from the pipeline's training topic (wire-format uint8 frames, `ddnn-label` header). Only what the
comparison needs: the same spec (spec.py), the same Adam and loss weights, the same batch size; no checkpoints.

  .cache/pipeline-tf-venv/bin/python models/train/kafka_steps.py --brokers 127.0.0.1:9092 --steps 200

Prints one JSON line: steps, seconds, steps/s (after a warm-up step), records/s.
"""
from __future__ import annotations

import argparse
import json
import os
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def decode_frame(value: bytes):
    """A uint8 [32, 32, 3] frame of contracts/wire/tensor.ts (magic DDNT, version 1, dtype 1)."""
    import numpy as np

    if value[:4] != b"DDNT" or value[4] != 1 or value[5] != 1:
        raise ValueError("not a wire-format v1 uint8 frame")
    rank = value[6]
    dims = struct.unpack_from("<%dI" % rank, value, 8)
    return np.frombuffer(value, dtype=np.uint8, offset=8 + 4 * rank).reshape(dims)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--brokers", required=True)
    p.add_argument("--topic", default="ddnn.dataset.train")
    p.add_argument("--arch", default="compact-branchynet")
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)

    import numpy as np
    import tensorflow as tf
    from confluent_kafka import Consumer, TopicPartition

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    import keras

    sys.path.insert(0, HERE)
    import spec as specs

    spec = specs.load_spec(args.arch)
    model = specs.build(spec)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=["sparse_categorical_crossentropy"] * len(spec["exits"]),
                  loss_weights=[float(e.get("lossWeight", 1.0)) for e in spec["exits"]])
    scale = float(spec["input"]["scale"])

    consumer = Consumer({"bootstrap.servers": args.brokers, "group.id": "ddnn-kafka-steps-%d" % os.getpid(),
                         "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    meta = consumer.list_topics(args.topic, timeout=10)
    parts = sorted(meta.topics[args.topic].partitions)
    consumer.assign([TopicPartition(args.topic, p, 0) for p in parts])

    def batches():
        xs, ys = [], []
        while True:
            for m in consumer.consume(num_messages=500, timeout=1.0):
                if m.error():
                    raise RuntimeError(str(m.error()))
                label = dict(m.headers() or [])[("ddnn-label")]
                xs.append(decode_frame(m.value()))
                ys.append(int(label))
                if len(xs) == args.batch_size:
                    yield np.stack(xs).astype("float32") * scale, np.array(ys)
                    xs, ys = [], []

    it = batches()
    x, y = next(it)
    model.train_on_batch(x, [y] * len(spec["exits"]))  # warm-up: graph tracing
    t0 = time.time()
    for _ in range(args.steps):
        x, y = next(it)
        model.train_on_batch(x, [y] * len(spec["exits"]))
    secs = time.time() - t0
    consumer.close()
    print(json.dumps({"trainer": "keras", "tensorflow": tf.__version__, "arch": spec["name"], "steps": args.steps,
                      "batchSize": args.batch_size, "seconds": round(secs, 2), "stepsPerSecond": round(args.steps / secs, 3),
                      "recordsPerSecond": round(args.steps * args.batch_size / secs, 1), "loadavg": os.getloadavg()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
