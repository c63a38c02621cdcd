"""Produces records with librdkafka (confluent-kafka), the way an ordinary Python device or service would.

Reads one JSON document on stdin: {"bootstrap": "...", "groups": [{"topic": ..., "config": {librdkafka settings},
"records": [{"key": b64|null, "value": b64|null, "headers": [[name, b64|null], ...]}]}]}. Each group gets its own
Producer with its settings (compression, batching), is flushed, and every delivery report is printed as one JSON
line: {"group": i, "error": null|str}. Exit 0 when every record was delivered.
"""
import base64
import json
import sys

from confluent_kafka import Producer


def b(v):
    return None if v is None else base64.b64decode(v)


def main():
    spec = json.load(sys.stdin)
    failed = 0
    for i, group in enumerate(spec["groups"]):
        producer = Producer({"bootstrap.servers": spec["bootstrap"], "acks": "all", **group.get("config", {})})
        reports = []
        for r in group["records"]:
            headers = [(name, b(value)) for name, value in r.get("headers", [])]
            producer.produce(group["topic"], key=b(r.get("key")), value=b(r.get("value")), headers=headers,
                             on_delivery=lambda err, msg: reports.append(None if err is None else str(err)))
            producer.poll(0)
        producer.flush(60)
        errors = [e for e in reports if e is not None]
        failed += len(errors) + (len(group["records"]) - len(reports))
        print(json.dumps({"group": i, "delivered": len(reports) - len(errors), "errors": errors[:5]}), flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
