"""AWS: at start-up the model from S3 (checksummed, cached) and the Gemini key from Secrets
Manager; later, team alerts to an SNS topic.

The model location ``MODEL_S3_URI`` is a prefix, ``s3://bucket/path/``, holding the
model files (``potato_leaf.tflite``, ``head.npz``, ``metadata.json``, optionally
``README.md``) and a ``SHA256SUMS`` object in ``sha256sum`` format that lists every
file to fetch. Each version (named by the hash of its ``SHA256SUMS``) is cached in its
own folder under ``MODEL_CACHE_DIR``; a start-up whose cached files still match the
listed hashes downloads nothing but ``SHA256SUMS``. With ``MODEL_SHA256SUMS_SHA256`` set,
``SHA256SUMS`` itself must have that hash, so the environment's configuration, not the
bucket, decides which model is served. Any failure (network, permissions,
a missing object, a hash mismatch, files this code cannot load) is logged once and the
model baked into the image is served instead. No Streamlit here: ``resources.py``
calls the start-up helpers once per process.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from potato_disease.config import Settings
from potato_disease.model_files import (
    HEAD_ARRAYS,
    METADATA,
    SERVING_MODEL,
    ModelFilesError,
    load_model_files,
)
from potato_disease.monitoring import record_model_fallback

LOGGER = logging.getLogger(__name__)

# What a call to AWS raises when it fails: an error answer, no answer, or one that is not
# AWS's (a proxy's page, an empty body; botocore's parser error is none of the others).
AWS_CALL_FAILURES = (ClientError, BotoCoreError, ResponseParserError)
CHECKSUMS = "SHA256SUMS"
REQUIRED_FILES = (SERVING_MODEL, HEAD_ARRAYS, METADATA)
GEMINI_KEY_FIELD = "GEMINI_API_KEY"
# Start-up must not hang on a slow endpoint: short connects, a few standard retries.
CLIENT_CONFIG = Config(
    connect_timeout=5, read_timeout=60, retries={"max_attempts": 3, "mode": "standard"}
)
# A page waits on an alert while it saves: give up within seconds, not minutes.
ALERT_CLIENT_CONFIG = Config(
    connect_timeout=3, read_timeout=5, retries={"max_attempts": 2, "mode": "standard"}
)
CHUNK_BYTES = 1024 * 1024
_CHECKSUM_LINE = re.compile(r"^(?P<digest>[0-9a-fA-F]{64}) [ *](?P<name>.+)$")


class ModelDownloadError(RuntimeError):
    """The model in S3 could not be fetched, or its checksum list is unusable."""


class ChecksumMismatchError(ModelDownloadError):
    """A downloaded file's SHA-256 differs from the one listed in ``SHA256SUMS``."""


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """Bucket and key prefix (empty or ending in ``/``) of an ``s3://bucket/prefix/`` URI."""
    match = re.fullmatch(r"s3://(?P<bucket>[^/]+)/?(?P<prefix>.*)", uri.strip())
    if not match:
        raise ValueError(f"MODEL_S3_URI must look like s3://bucket/prefix/, not {uri!r}")
    prefix = match["prefix"]
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return match["bucket"], prefix


def parse_checksums(text: str) -> dict[str, str]:
    """File name to lower-case SHA-256 from ``sha256sum`` output; the model files must be there."""
    checksums: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _CHECKSUM_LINE.match(line.strip())
        if not match:
            raise ModelDownloadError(f"{CHECKSUMS} line {number} is not '<sha256>  <file name>'")
        name = match["name"]
        if "/" in name or "\\" in name or name in {".", ".."}:
            raise ModelDownloadError(f"{CHECKSUMS} line {number} names a path, not a file name")
        checksums[name] = match["digest"].lower()
    missing = [name for name in REQUIRED_FILES if name not in checksums]
    if missing:
        raise ModelDownloadError(f"{CHECKSUMS} does not list {', '.join(missing)}")
    return checksums


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def describe_error(error: BaseException) -> str:
    """A short, secret-free description of an AWS or local error."""
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return f"{details.get('Code', 'ClientError')}: {details.get('Message', '')}".rstrip(": ")
    return f"{type(error).__name__}: {error}"


def aws_client(service: str, settings: Settings, config: Config = CLIENT_CONFIG) -> Any:
    """A boto3 client for ``service`` honouring the configured region and endpoint."""
    # A session per client: boto3's default session is not thread-safe.
    session = boto3.session.Session()
    return session.client(
        service,
        region_name=settings.aws_region,
        endpoint_url=settings.aws_endpoint_url,
        config=config,
    )


def cached_copy_matches(directory: Path, checksums: dict[str, str]) -> bool:
    """Whether ``directory`` holds every listed file with its listed SHA-256."""
    return directory.is_dir() and all(
        (directory / name).is_file() and sha256_file(directory / name) == digest
        for name, digest in checksums.items()
    )


def check_listing_anchor(listing_digest: str, anchor: str | None, location: str) -> None:
    """Refuse a ``SHA256SUMS`` whose SHA-256 is not the configured anchor (if one is set)."""
    if anchor is None:
        return
    if not re.fullmatch(r"[0-9a-fA-F]{64}", anchor.strip()):
        raise ModelDownloadError("MODEL_SHA256SUMS_SHA256 is not a SHA-256 (64 hex digits)")
    if listing_digest != anchor.strip().lower():
        raise ChecksumMismatchError(
            f"{location} has SHA-256 {listing_digest}, "
            f"but MODEL_SHA256SUMS_SHA256 is {anchor.strip().lower()}"
        )


def download_object(s3: Any, bucket: str, key: str, destination: Path) -> str:
    """Stream one S3 object to ``destination``; return its SHA-256."""
    digest = hashlib.sha256()
    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    with destination.open("wb") as stream:
        for chunk in body.iter_chunks(CHUNK_BYTES):
            digest.update(chunk)
            stream.write(chunk)
    return digest.hexdigest()


def fetch_model(settings: Settings) -> Path:
    """Download and verify the model at ``settings.model_s3_uri``; return its cached folder."""
    if not settings.model_s3_uri:
        raise ValueError("MODEL_S3_URI is not set")
    bucket, prefix = parse_s3_uri(settings.model_s3_uri)
    s3 = aws_client("s3", settings)
    listing = s3.get_object(Bucket=bucket, Key=prefix + CHECKSUMS)["Body"].read()
    listing_digest = hashlib.sha256(listing).hexdigest()
    check_listing_anchor(
        listing_digest, settings.model_checksums_sha256, f"s3://{bucket}/{prefix}{CHECKSUMS}"
    )
    checksums = parse_checksums(listing.decode("utf-8"))
    version = listing_digest[:16]
    target = settings.model_cache_dir / version
    if cached_copy_matches(target, checksums):
        LOGGER.info("Model %s already cached in %s", settings.model_s3_uri, target)
        return target
    settings.model_cache_dir.mkdir(parents=True, exist_ok=True)
    # Download beside the cache, verify, then rename: a failure never touches a cached copy.
    staging = Path(tempfile.mkdtemp(prefix=".download-", dir=settings.model_cache_dir))
    try:
        for name, expected in checksums.items():
            actual = download_object(s3, bucket, prefix + name, staging / name)
            if actual != expected:
                raise ChecksumMismatchError(
                    f"s3://{bucket}/{prefix}{name} has SHA-256 {actual}, "
                    f"but {CHECKSUMS} lists {expected}"
                )
        if target.exists():  # an incomplete or altered copy of this same version
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    LOGGER.info("Model %s downloaded and verified into %s", settings.model_s3_uri, target)
    return target


def resolve_model_dir(settings: Settings) -> Path:
    """The model folder to serve: the verified S3 model if configured, else the baked-in one."""
    if not settings.model_s3_uri:
        return settings.model_dir
    try:
        model_dir = fetch_model(settings)
        load_model_files(model_dir)  # files this code cannot load are no better than none
    except (
        ModelDownloadError,
        ModelFilesError,
        *AWS_CALL_FAILURES,
        OSError,
        ValueError,
    ) as error:
        LOGGER.warning(
            "Could not use the model at %s (%s); serving the baked-in model in %s instead",
            settings.model_s3_uri,
            describe_error(error),
            settings.model_dir,
        )
        record_model_fallback(settings.metrics_namespace)
        return settings.model_dir
    return model_dir


def gemini_key_from_secret(secret_string: str | None, secret_id: str) -> str | None:
    """The key in a SecretString: the raw key, or JSON with a ``GEMINI_API_KEY`` field."""
    text = (secret_string or "").strip()
    if not text:
        LOGGER.warning("Secret %s has no SecretString; the assistant stays offline", secret_id)
        return None
    if text[0] not in "{[":  # Gemini keys are plain tokens; brackets mean JSON
        return text
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        LOGGER.warning("Secret %s looks like JSON but does not parse", secret_id)
        return None
    value = document.get(GEMINI_KEY_FIELD) if isinstance(document, dict) else None
    if not isinstance(value, str) or not value.strip():
        LOGGER.warning("Secret %s has no %s field", secret_id, GEMINI_KEY_FIELD)
        return None
    return value.strip()


def read_gemini_key(settings: Settings) -> str | None:
    """The Gemini API key: from the settings, else from Secrets Manager, else ``None``."""
    if settings.gemini_api_key:
        return settings.gemini_api_key
    if not settings.gemini_secret_id:
        return None
    try:
        client = aws_client("secretsmanager", settings)
        response = client.get_secret_value(SecretId=settings.gemini_secret_id)
    except AWS_CALL_FAILURES as error:
        LOGGER.warning(
            "Could not read secret %s from Secrets Manager (%s); the assistant stays offline",
            settings.gemini_secret_id,
            describe_error(error),
        )
        return None
    return gemini_key_from_secret(response.get("SecretString"), settings.gemini_secret_id)


def publish_alert(settings: Settings, subject: str, message: str) -> str:
    """Publish a message to the team's SNS topic (``ALERT_TOPIC_ARN``); its message id.
    Raises one of :data:`AWS_CALL_FAILURES` when it cannot."""
    if not settings.alert_topic_arn:
        raise ValueError("No alert topic is configured (ALERT_TOPIC_ARN)")
    sns = aws_client("sns", settings, ALERT_CLIENT_CONFIG)
    response = sns.publish(TopicArn=settings.alert_topic_arn, Subject=subject, Message=message)
    return str(response["MessageId"])
