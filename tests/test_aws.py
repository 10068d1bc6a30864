"""S3 model fetch and Secrets Manager key: real boto3 clients against a local moto server."""

from __future__ import annotations

import hashlib
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import boto3
import numpy as np
import pytest

from potato_disease import aws
from potato_disease.config import Settings
from potato_disease.labels import MODEL_CLASSES
from tests.aws_test_services import REGION, not_aws

BUCKET = "potato-models"
PREFIX = "releases/v2/"
SECRET_KEY_VALUE = "AIza-test-not-a-real-key-5f3c9b"


@pytest.fixture(autouse=True)
def fake_credentials(aws_credentials: None) -> None:
    """Every test here runs with test credentials only (conftest's aws_credentials)."""


@pytest.fixture
def s3(moto_endpoint: str) -> Iterator[object]:
    client = boto3.client("s3", region_name=REGION, endpoint_url=moto_endpoint)
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


@pytest.fixture
def secrets(moto_endpoint: str) -> Iterator[object]:
    client = boto3.client("secretsmanager", region_name=REGION, endpoint_url=moto_endpoint)
    created: list[str] = []

    def create(name: str, value: str) -> str:
        created.append(client.create_secret(Name=name, SecretString=value)["ARN"])
        return created[-1]

    yield create
    for arn in created:
        client.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)


def model_files(marker: str) -> dict[str, bytes]:
    """A loadable (not runnable) model directory's files; ``marker`` tells copies apart."""
    arrays = io.BytesIO()
    np.savez(
        arrays,
        classifier_kernel=np.zeros((4, len(MODEL_CLASSES)), np.float32),
        ood_projection=np.zeros((4, 2), np.float32),
        ood_centres=np.zeros((3, 2), np.float32),
        leaf_score_quantiles=np.linspace(0, 1, 5, dtype=np.float32),
    )
    metadata = {
        "classes": list(MODEL_CLASSES),
        "input_size": 192,
        "marker": marker,
        "calibration": {"temperature": 1.0},
        "rejection": {"ood_threshold": 1.0},
    }
    return {
        "potato_leaf.tflite": f"TFL3 stand-in {marker}".encode(),
        "head.npz": arrays.getvalue(),
        "metadata.json": json.dumps(metadata).encode(),
        "README.md": f"# Model {marker}\n".encode(),
    }


def checksum_listing(files: dict[str, bytes]) -> bytes:
    lines = [f"{hashlib.sha256(data).hexdigest()}  {name}" for name, data in files.items()]
    return ("\n".join(lines) + "\n").encode()


def upload(s3: object, files: dict[str, bytes], listing: bytes | None = None) -> None:
    for name, data in files.items():
        s3.put_object(Bucket=BUCKET, Key=PREFIX + name, Body=data)
    s3.put_object(Bucket=BUCKET, Key=PREFIX + "SHA256SUMS", Body=listing or checksum_listing(files))


@pytest.fixture
def baked_model(tmp_path: Path) -> Path:
    folder = tmp_path / "baked-model"
    folder.mkdir()
    for name, data in model_files("baked").items():
        (folder / name).write_bytes(data)
    return folder


def settings_for(endpoint: str, tmp_path: Path, baked_model: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "model_dir": baked_model,
        "model_s3_uri": f"s3://{BUCKET}/{PREFIX}",
        "model_cache_dir": tmp_path / "model-cache",
        "aws_region": REGION,
        "aws_endpoint_url": endpoint,
    }
    values.update(overrides)
    return Settings(**values)


def marker_of(model_dir: Path) -> str:
    return json.loads((model_dir / "metadata.json").read_text())["marker"]


def test_without_s3_uri_the_baked_in_model_is_served(tmp_path, baked_model):
    settings = Settings(model_dir=baked_model, model_cache_dir=tmp_path / "cache")
    assert aws.resolve_model_dir(settings) == baked_model
    assert not (tmp_path / "cache").exists()


def test_model_is_fetched_and_verified(s3, moto_endpoint, tmp_path, baked_model):
    files = model_files("s3-v2")
    upload(s3, files)
    model_dir = aws.resolve_model_dir(settings_for(moto_endpoint, tmp_path, baked_model))
    assert model_dir.parent == tmp_path / "model-cache"
    assert marker_of(model_dir) == "s3-v2"
    for name, data in files.items():
        assert (model_dir / name).read_bytes() == data
    assert [p.name for p in (tmp_path / "model-cache").iterdir()] == [model_dir.name]


def test_second_start_uses_the_cache_without_downloading(s3, moto_endpoint, tmp_path, baked_model):
    files = model_files("s3-v2")
    upload(s3, files)
    settings = settings_for(moto_endpoint, tmp_path, baked_model)
    first = aws.resolve_model_dir(settings)
    # Only SHA256SUMS is left in S3: the second start can succeed only from the cache.
    for name in files:
        s3.delete_object(Bucket=BUCKET, Key=PREFIX + name)
    assert aws.resolve_model_dir(settings) == first
    assert marker_of(first) == "s3-v2"


def test_altered_cached_copy_is_downloaded_again(s3, moto_endpoint, tmp_path, baked_model):
    upload(s3, model_files("s3-v2"))
    settings = settings_for(moto_endpoint, tmp_path, baked_model)
    first = aws.resolve_model_dir(settings)
    (first / "potato_leaf.tflite").write_bytes(b"bit rot")
    again = aws.resolve_model_dir(settings)
    assert again == first
    assert (again / "potato_leaf.tflite").read_bytes() == b"TFL3 stand-in s3-v2"


def test_checksum_mismatch_raises_and_keeps_the_old_cached_copy(
    s3, moto_endpoint, tmp_path, baked_model, caplog
):
    settings = settings_for(moto_endpoint, tmp_path, baked_model)
    upload(s3, model_files("s3-v1"))
    old = aws.resolve_model_dir(settings)
    # A new release whose model file does not match the hash listed for it.
    new_files = model_files("s3-v2")
    listing = checksum_listing(new_files)
    new_files["potato_leaf.tflite"] = b"truncated upload"
    upload(s3, new_files, listing)

    with pytest.raises(aws.ChecksumMismatchError, match=r"potato_leaf\.tflite has SHA-256"):
        aws.fetch_model(settings)
    with caplog.at_level(logging.WARNING, logger="potato_disease.aws"):
        assert aws.resolve_model_dir(settings) == baked_model
    assert "SHA-256" in caplog.text and "baked-in model" in caplog.text
    assert marker_of(old) == "s3-v1"
    assert sorted(p.name for p in (tmp_path / "model-cache").iterdir()) == [old.name]


def test_anchored_listing_serves_the_release_it_names(s3, moto_endpoint, tmp_path, baked_model):
    files = model_files("s3-v2")
    upload(s3, files)
    anchor = hashlib.sha256(checksum_listing(files)).hexdigest().upper()  # any case works
    settings = settings_for(moto_endpoint, tmp_path, baked_model, model_checksums_sha256=anchor)
    assert marker_of(aws.resolve_model_dir(settings)) == "s3-v2"


def test_a_release_swapped_in_the_bucket_is_refused_when_anchored(
    s3, moto_endpoint, tmp_path, baked_model, caplog
):
    approved = model_files("s3-v2")
    anchor = hashlib.sha256(checksum_listing(approved)).hexdigest()
    # Someone with write access uploads other files with a consistent SHA256SUMS.
    upload(s3, model_files("swapped"))
    settings = settings_for(moto_endpoint, tmp_path, baked_model, model_checksums_sha256=anchor)
    with pytest.raises(aws.ChecksumMismatchError, match="MODEL_SHA256SUMS_SHA256 is " + anchor):
        aws.fetch_model(settings)
    with caplog.at_level(logging.WARNING, logger="potato_disease.aws"):
        assert aws.resolve_model_dir(settings) == baked_model
    assert "MODEL_SHA256SUMS_SHA256" in caplog.text and "baked-in model" in caplog.text
    assert not (tmp_path / "model-cache").exists()  # refused before any download


def test_a_malformed_anchor_falls_back_with_its_reason(
    s3, moto_endpoint, tmp_path, baked_model, caplog
):
    upload(s3, model_files("s3-v2"))
    settings = settings_for(moto_endpoint, tmp_path, baked_model, model_checksums_sha256="abc")
    with caplog.at_level(logging.WARNING, logger="potato_disease.aws"):
        assert aws.resolve_model_dir(settings) == baked_model
    assert "not a SHA-256" in caplog.text


def test_missing_object_falls_back_to_the_baked_in_model(
    s3, moto_endpoint, tmp_path, baked_model, caplog
):
    settings = settings_for(moto_endpoint, tmp_path, baked_model)
    with caplog.at_level(logging.WARNING, logger="potato_disease.aws"):
        assert aws.resolve_model_dir(settings) == baked_model
    assert "NoSuchKey" in caplog.text and f"s3://{BUCKET}/{PREFIX}" in caplog.text


def test_listed_file_missing_falls_back(s3, moto_endpoint, tmp_path, baked_model, caplog):
    files = model_files("s3-v2")
    upload(s3, files)
    s3.delete_object(Bucket=BUCKET, Key=PREFIX + "head.npz")
    settings = settings_for(moto_endpoint, tmp_path, baked_model)
    with caplog.at_level(logging.WARNING, logger="potato_disease.aws"):
        assert aws.resolve_model_dir(settings) == baked_model
    assert "NoSuchKey" in caplog.text
    assert not any((tmp_path / "model-cache").iterdir())


def test_unloadable_model_falls_back(s3, moto_endpoint, tmp_path, baked_model, caplog):
    files = model_files("s3-v2")
    files["metadata.json"] = json.dumps({"classes": ["cat", "dog"]}).encode()
    upload(s3, files)
    settings = settings_for(moto_endpoint, tmp_path, baked_model)
    with caplog.at_level(logging.WARNING, logger="potato_disease.aws"):
        assert aws.resolve_model_dir(settings) == baked_model
    assert "ModelFilesError" in caplog.text


def test_unreachable_endpoint_falls_back(tmp_path, baked_model, caplog):
    settings = settings_for("http://127.0.0.1:9", tmp_path, baked_model)
    with caplog.at_level(logging.WARNING, logger="potato_disease.aws"):
        assert aws.resolve_model_dir(settings) == baked_model
    assert "baked-in model" in caplog.text


def test_a_fallback_is_counted_for_its_alarm(tmp_path, baked_model, capsys):
    settings = settings_for(
        "http://127.0.0.1:9", tmp_path, baked_model, metrics_namespace="PotatoDisease"
    )
    assert aws.resolve_model_dir(settings) == baked_model
    (line,) = [line for line in capsys.readouterr().out.splitlines() if "ModelFallback" in line]
    assert json.loads(line)["ModelFallback"] == 1
    assert aws.resolve_model_dir(settings_for("http://127.0.0.1:9", tmp_path, baked_model))
    assert "ModelFallback" not in capsys.readouterr().out  # no namespace: no metric


def test_an_endpoint_that_is_not_aws_falls_back_and_stays_offline(tmp_path, baked_model, caplog):
    """An empty answer fails botocore's parser, whose error is not a BotoCoreError."""
    with not_aws() as endpoint, caplog.at_level(logging.WARNING, logger="potato_disease"):
        assert aws.resolve_model_dir(settings_for(endpoint, tmp_path, baked_model)) == baked_model
        assert aws.read_gemini_key(secret_settings(endpoint, "potato/gemini")) is None
        alert_settings = Settings(
            aws_region=REGION, aws_endpoint_url=endpoint, alert_topic_arn="arn:aws:sns:x"
        )
        with pytest.raises(aws.AWS_CALL_FAILURES):
            aws.publish_alert(alert_settings, "Subject", "Message")
    assert "baked-in model" in caplog.text and "offline" in caplog.text


@pytest.mark.parametrize("uri", ["https://bucket/model/", "s3://", "bucket/prefix"])
def test_malformed_uri_falls_back(tmp_path, baked_model, caplog, uri):
    settings = settings_for("http://127.0.0.1:9", tmp_path, baked_model, model_s3_uri=uri)
    with caplog.at_level(logging.WARNING, logger="potato_disease.aws"):
        assert aws.resolve_model_dir(settings) == baked_model
    assert "MODEL_S3_URI must look like" in caplog.text


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("s3://b/models/v2/", ("b", "models/v2/")),
        ("s3://b/models/v2", ("b", "models/v2/")),
        ("s3://b", ("b", "")),
        ("s3://b/", ("b", "")),
    ],
)
def test_parse_s3_uri(uri, expected):
    assert aws.parse_s3_uri(uri) == expected


@pytest.mark.parametrize(
    ("listing", "message"),
    [
        ("not a checksum line\n", "line 1"),
        (f"{'a' * 64}  ../etc/passwd\n", "names a path"),
        (f"{'a' * 64}  potato_leaf.tflite\n", "does not list head.npz, metadata.json"),
    ],
)
def test_bad_checksum_listings_are_refused(listing, message):
    with pytest.raises(aws.ModelDownloadError, match=message):
        aws.parse_checksums(listing)


def test_checksum_listing_accepts_sha256sum_binary_mode():
    digest = "A" * 64
    text = "".join(f"{digest} *{name}\n" for name in aws.REQUIRED_FILES)
    assert aws.parse_checksums(text) == {name: "a" * 64 for name in aws.REQUIRED_FILES}


def secret_settings(endpoint: str, secret_id: str | None, key: str | None = None) -> Settings:
    return Settings(
        gemini_api_key=key, gemini_secret_id=secret_id, aws_region=REGION, aws_endpoint_url=endpoint
    )


@pytest.mark.parametrize(
    "secret_string",
    [
        SECRET_KEY_VALUE,
        f"  {SECRET_KEY_VALUE}\n",
        json.dumps({"GEMINI_API_KEY": SECRET_KEY_VALUE, "OTHER": "x"}),
    ],
    ids=["raw", "raw-with-whitespace", "json"],
)
def test_gemini_key_is_read_from_secrets_manager(secrets, moto_endpoint, caplog, secret_string):
    arn = secrets("potato/gemini", secret_string)
    with caplog.at_level(logging.DEBUG, logger="potato_disease"):
        assert aws.read_gemini_key(secret_settings(moto_endpoint, arn)) == SECRET_KEY_VALUE
    assert SECRET_KEY_VALUE not in caplog.text


def test_key_in_settings_wins_without_calling_aws(caplog):
    settings = secret_settings("http://127.0.0.1:9", "unused", key="from-environment")
    assert aws.read_gemini_key(settings) == "from-environment"


def test_no_key_and_no_secret_id_means_offline():
    assert aws.read_gemini_key(Settings()) is None


def test_missing_secret_gives_none_with_a_warning(secrets, moto_endpoint, caplog):
    with caplog.at_level(logging.DEBUG, logger="potato_disease"):
        assert aws.read_gemini_key(secret_settings(moto_endpoint, "potato/absent")) is None
    assert "ResourceNotFoundException" in caplog.text
    assert "potato/absent" in caplog.text and "offline" in caplog.text


@pytest.mark.parametrize(
    ("secret_string", "warning"),
    [
        (json.dumps({"api_key": SECRET_KEY_VALUE}), "has no GEMINI_API_KEY field"),
        ("{" + SECRET_KEY_VALUE, "does not parse"),
        (json.dumps([SECRET_KEY_VALUE]), "has no GEMINI_API_KEY field"),
    ],
)
def test_unusable_secret_gives_none_without_leaking_it(
    secrets, moto_endpoint, caplog, secret_string, warning
):
    arn = secrets("potato/odd", secret_string)
    with caplog.at_level(logging.DEBUG, logger="potato_disease"):
        assert aws.read_gemini_key(secret_settings(moto_endpoint, arn)) is None
    assert warning in caplog.text
    assert SECRET_KEY_VALUE not in caplog.text


def test_unreachable_secrets_manager_gives_none(caplog):
    with caplog.at_level(logging.WARNING, logger="potato_disease"):
        assert aws.read_gemini_key(secret_settings("http://127.0.0.1:9", "potato/gemini")) is None
    assert "offline" in caplog.text
