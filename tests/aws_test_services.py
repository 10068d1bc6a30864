"""A local moto server for the AWS tests, and an SNS topic whose messages can be read
back (through an SQS queue subscribed to it), as a subscriber would get them."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

REGION = "eu-west-1"


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto server on a free local port; its endpoint URL."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@dataclass
class SubscribedTopic:
    """An SNS topic with an SQS queue subscribed to it."""

    arn: str
    queue_url: str
    sqs: Any

    def messages(self) -> list[dict[str, str]]:
        """Subject and Message of every message published since the last call."""
        received = []
        while batch := self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
        ).get("Messages", []):
            for message in batch:
                envelope = json.loads(message["Body"])
                received.append(
                    {"Subject": envelope.get("Subject"), "Message": envelope["Message"]}
                )
                self.sqs.delete_message(
                    QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )
        return received


@contextmanager
def subscribed_topic(endpoint: str, name: str) -> Iterator[SubscribedTopic]:
    """A new topic called ``name`` with a queue subscribed; both deleted afterwards."""
    sns = boto3.client("sns", region_name=REGION, endpoint_url=endpoint)
    sqs = boto3.client("sqs", region_name=REGION, endpoint_url=endpoint)
    topic_arn = sns.create_topic(Name=name)["TopicArn"]
    queue_url = sqs.create_queue(QueueName=f"{name}-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    try:
        yield SubscribedTopic(topic_arn, queue_url, sqs)
    finally:
        sns.delete_topic(TopicArn=topic_arn)
        sqs.delete_queue(QueueUrl=queue_url)


class _EmptyAnswer(BaseHTTPRequestHandler):
    """Answers every request 200 with an empty body, as a misconfigured proxy might."""

    def do_GET(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self) -> None:
        self.do_GET()

    def log_message(self, format: str, *args: object) -> None:  # quiet test output
        pass


@contextmanager
def not_aws() -> Iterator[str]:
    """A local endpoint that answers every AWS call with an empty 200; its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EmptyAnswer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
