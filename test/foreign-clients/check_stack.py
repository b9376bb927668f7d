"""Reads the local stack with clients this project did not write.

Prints one JSON object: Kafka brokers (Confluent's client, librdkafka), registry subjects
(Confluent's Schema Registry client), and the archive bucket's listing (boto3). Endpoints come
from the `auditflow stack env` variables. Exits non-zero when any client fails.
"""
import json
import os
import sys

import boto3
from botocore.config import Config
from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry import SchemaRegistryClient


def main() -> int:
    admin = AdminClient({"bootstrap.servers": os.environ["KAFKA_BROKERS"]})
    metadata = admin.list_topics(timeout=15)
    brokers = sorted(f"{b.host}:{b.port}" for b in metadata.brokers.values())

    registry = SchemaRegistryClient({"url": os.environ["SCHEMA_REGISTRY_URL"]})
    subjects = registry.get_subjects()

    s3 = boto3.client(
        "s3",
        endpoint_url=os.environ["S3_ENDPOINT"],
        region_name=os.environ.get("AWS_REGION", "us-east-1"),
        config=Config(s3={"addressing_style": "path"}),
    )
    bucket = os.environ.get("S3_BUCKET", "audit-archive")
    listing = s3.list_objects_v2(Bucket=bucket, MaxKeys=5)
    lock = s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]

    json.dump(
        {
            "brokers": brokers,
            "subjects": subjects,
            "bucket": bucket,
            "objects_listed": listing.get("KeyCount", 0),
            "object_lock": lock.get("ObjectLockEnabled"),
        },
        sys.stdout,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
