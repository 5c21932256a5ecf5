"""The deploy files (deploy/) are valid for the engines that run them, probe the processes
they start, hold no secret, and configure only what the settings read.

No Docker daemon or cluster is needed: Compose files are checked against the Compose
Specification's own JSON Schema (vendored, deploy/schemas/README.md), Kubernetes manifests
against Kubernetes 1.30's strict schemas (kubernetes-validate), and the kustomization is
rendered by `kubectl kustomize` where kubectl is installed.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
KUBERNETES_VERSION = "1.30.0"
SETTINGS = ROOT / "src" / "bizportal" / "settings.py"


def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def manifests() -> Iterator[tuple[Path, dict[str, Any]]]:
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if document:
                yield path, document


def by_kind(kind: str) -> list[dict[str, Any]]:
    return [doc for _, doc in manifests() if doc["kind"] == kind]


def pod_spec(document: dict[str, Any]) -> dict[str, Any]:
    if document["kind"] == "CronJob":
        return document["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return document["spec"]["template"]["spec"]


def app_services(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The Compose services that run the Biz Portal image."""
    return {
        name: service
        for name, service in spec["services"].items()
        if "BIZPORTAL_IMAGE" in str(service.get("image", "")) or "build" in service
    }


def settings_variables() -> set[str]:
    """Every environment variable name settings.py reads through env() / env_bool() /
    secret()."""
    return set(re.findall(r'(?:env(?:_bool)?|secret)\(\s*"([A-Z0-9_]+)"', SETTINGS.read_text()))


# --- Compose ---------------------------------------------------------------------


def test_compose_file_is_valid_against_the_compose_specification() -> None:
    schema = json.loads((DEPLOY / "schemas" / "compose-spec.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    errors = list(jsonschema.Draft7Validator(schema).iter_errors(compose()))
    assert errors == [], [f"{list(e.path)}: {e.message}" for e in errors]


def test_the_compose_schema_rejects_a_misspelt_field() -> None:
    """The check above can fail: an unknown service key is an error."""
    schema = json.loads((DEPLOY / "schemas" / "compose-spec.json").read_text())
    spec = compose()
    spec["services"]["web"]["helthcheck"] = spec["services"]["web"].pop("healthcheck")
    assert list(jsonschema.Draft7Validator(schema).iter_errors(spec))


def test_compose_runs_web_replicas_workers_replica_database_cache_and_object_store() -> None:
    services = compose()["services"]
    assert {
        "web",
        "worker",
        "migrate",
        "proxy",
        "db-primary",
        "db-replica",
        "redis",
        "minio",
    } <= set(services)
    assert "WEB_REPLICAS" in str(services["web"]["deploy"]["replicas"])
    assert "WORKER_REPLICAS" in str(services["worker"]["deploy"]["replicas"])
    # The cluster runs tasks on Redis (RQ), exactly the worker `manage.py serve` starts.
    assert services["worker"]["command"] == [
        "python",
        "manage.py",
        "rqworker",
        "default",
        "--job-class",
        "django_tasks_rq.Job",
        "--worker-class",
        "rq.worker.SimpleWorker",
    ]
    assert services["web"]["environment"]["TASKS_BACKEND"] == "django_tasks_rq.RQBackend"
    assert services["web"]["command"][:3] == ["python", "manage.py", "serve"]
    assert "--no-worker" in services["web"]["command"]
    assert services["migrate"]["command"][:3] == ["python", "manage.py", "migrate"]
    # The web waits for the schema; the replica streams from the primary.
    assert services["web"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )
    assert services["db-replica"]["depends_on"]["db-primary"]["condition"] == "service_healthy"
    environment = services["web"]["environment"]
    assert environment["DATABASE_REPLICA_URL"].startswith("postgres://bizportal@db-replica:")
    assert environment["STORAGE_S3_ENDPOINT_URL"] == "http://minio:9000"
    assert environment["REDIS_URL"].startswith("redis://redis:")


def test_every_long_running_compose_service_has_a_healthcheck() -> None:
    spec = compose()
    for name, service in spec["services"].items():
        if service.get("restart") == "no" and name not in app_services(spec):
            continue  # one-shot set-up (the bucket)
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    web_check = " ".join(spec["services"]["web"]["healthcheck"]["test"])
    assert "/healthz" in web_check
    assert "/healthz" in " ".join(spec["services"]["proxy"]["healthcheck"]["test"])
    for name in ("worker", "cron"):
        assert spec["services"][name]["healthcheck"]["test"][-1] == "healthcheck"


def test_every_variable_compose_interpolates_is_documented_in_env_example() -> None:
    text = (DEPLOY / "compose.yaml").read_text()
    used = set(re.findall(r"(?<!\$)\$\{([A-Z0-9_]+)", text))
    used |= {secret["environment"] for secret in compose()["secrets"].values()}
    documented = set(
        re.findall(r"^([A-Z0-9_]+)=", (DEPLOY / ".env.example").read_text(), flags=re.M)
    )
    assert used - documented == set()


# --- Kubernetes ------------------------------------------------------------------


def test_every_manifest_is_valid_for_kubernetes_1_30_in_strict_mode() -> None:
    documents = list(manifests())
    assert len(documents) >= 12
    for path, document in documents:
        try:
            kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{path.name} {document['kind']}: {error.message} at {list(error.path)}")


def test_strict_validation_rejects_a_misspelt_field() -> None:
    deployment = copy.deepcopy(
        next(d for d in by_kind("Deployment") if d["metadata"]["name"] == "bizportal-web")
    )
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGett"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_the_manifests_hold_every_kind_a_scaled_out_deployment_needs() -> None:
    kinds = {document["kind"] for _, document in manifests()}
    assert {
        "Deployment",
        "Service",
        "Ingress",
        "HorizontalPodAutoscaler",
        "ConfigMap",
        "Job",
        "PodDisruptionBudget",
        "CronJob",
    } <= kinds
    assert "Secret" not in kinds  # created out of band; only referenced here


def test_app_containers_are_probed_and_sized() -> None:
    deployments = {d["metadata"]["name"]: d for d in by_kind("Deployment")}
    web = pod_spec(deployments["bizportal-web"])["containers"][0]
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    for probe in ("readinessProbe", "livenessProbe"):
        # The kubelet calls the pod IP; Django only answers allowed hosts.
        assert {"name": "Host", "value": "localhost"} in web[probe]["httpGet"]["httpHeaders"]
    worker = pod_spec(deployments["bizportal-worker"])["containers"][0]
    assert worker["livenessProbe"]["exec"]["command"] == ["python", "manage.py", "healthcheck"]
    allowed_hosts = by_kind("ConfigMap")[0]["data"]["DJANGO_ALLOWED_HOSTS"].split(",")
    assert "localhost" in allowed_hosts
    for document in by_kind("Deployment") + by_kind("Job") + by_kind("CronJob"):
        spec = pod_spec(document)
        assert spec["securityContext"]["runAsNonRoot"] is True
        for container in spec["containers"]:
            assert container["resources"]["requests"] and container["resources"]["limits"]


def test_selectors_and_references_point_at_what_exists() -> None:
    deployments = {d["metadata"]["name"]: d for d in by_kind("Deployment")}
    web_labels = deployments["bizportal-web"]["spec"]["template"]["metadata"]["labels"]
    worker_labels = deployments["bizportal-worker"]["spec"]["template"]["metadata"]["labels"]
    service = by_kind("Service")[0]
    assert service["spec"]["selector"].items() <= web_labels.items()
    backend = by_kind("Ingress")[0]["spec"]["rules"][0]["http"]["paths"][0]["backend"]
    assert backend["service"]["name"] == service["metadata"]["name"]
    hpa = by_kind("HorizontalPodAutoscaler")[0]
    assert hpa["spec"]["scaleTargetRef"]["name"] == "bizportal-web"
    assert hpa["spec"]["minReplicas"] >= 2
    pdbs = {
        p["metadata"]["name"]: p["spec"]["selector"]["matchLabels"]
        for p in by_kind("PodDisruptionBudget")
    }
    assert pdbs["bizportal-web"].items() <= web_labels.items()
    assert pdbs["bizportal-worker"].items() <= worker_labels.items()
    config_name = by_kind("ConfigMap")[0]["metadata"]["name"]
    claims = {c["metadata"]["name"] for c in by_kind("PersistentVolumeClaim")}
    for document in by_kind("Deployment") + by_kind("Job") + by_kind("CronJob"):
        spec = pod_spec(document)
        for container in spec["containers"]:
            assert container["envFrom"][0]["configMapRef"]["name"] == config_name
        for volume in spec["volumes"]:
            if "persistentVolumeClaim" in volume:
                assert volume["persistentVolumeClaim"]["claimName"] in claims


def test_the_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    files = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == files


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kubectl_renders_the_kustomization_into_valid_manifests() -> None:
    rendered = subprocess.run(
        [str(shutil.which("kubectl")), "kustomize", str(K8S)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    documents = [d for d in yaml.safe_load_all(rendered) if d]
    assert len(documents) == len(list(manifests()))
    for document in documents:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
        if document["kind"] != "Namespace":
            assert document["metadata"]["namespace"] == "bizportal"
    images = {
        c["image"]
        for d in documents
        if d["kind"] in {"Deployment", "Job", "CronJob"}
        for c in pod_spec(d)["containers"]
    }
    assert images == {"registry.example.org/bizportal:0.1.0"}


# --- Secrets and settings --------------------------------------------------------

SECRET_NAME = re.compile(r"(PASSWORD|SECRET|TOKEN|_KEY)$", re.I)
CREDENTIALS_IN_URL = re.compile(r"://[^/\s:@]+:[^/\s@]+@")


def secret_literals(tree: Any, where: str = "") -> list[str]:
    """Places where a secret-looking name is given a literal value, or a URL carries
    a password. ``${VAR}`` interpolation and ``*_FILE`` paths are how secrets enter."""
    found: list[str] = []
    if isinstance(tree, dict):
        for key, value in tree.items():
            here = f"{where}.{key}"
            if (
                isinstance(value, str | int)
                and SECRET_NAME.search(str(key))
                and value != ""
                and not re.fullmatch(r"\$\{[A-Z0-9_]+\}", str(value))
            ):
                found.append(here)
            found += secret_literals(value, here)
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            found += secret_literals(value, f"{where}[{index}]")
    elif isinstance(tree, str) and CREDENTIALS_IN_URL.search(tree):
        found.append(where)
    return found


def test_the_secret_check_finds_literals() -> None:
    assert secret_literals({"env": {"POSTGRES_PASSWORD": "hunter2"}}) == [".env.POSTGRES_PASSWORD"]
    assert secret_literals({"url": "postgres://bizportal:hunter2@db/x"}) == [".url"]
    assert secret_literals({"POSTGRES_PASSWORD": "${POSTGRES_PASSWORD}"}) == []
    assert secret_literals({"POSTGRES_PASSWORD_FILE": "/run/secrets/x"}) == []


def test_no_secret_literal_appears_in_any_deploy_file() -> None:
    assert secret_literals(compose()) == []
    for path, document in manifests():
        assert secret_literals(document) == [], path.name
    # .env.example documents secrets but holds none.
    for line in (DEPLOY / ".env.example").read_text().splitlines():
        name, _, value = line.partition("=")
        if not line.startswith("#") and SECRET_NAME.search(name):
            assert value == "", f".env.example gives {name} a value"
    # The embedded sandbox defaults must never reach a deployment.
    sandbox_defaults = re.findall(
        r'"((?:bizportal-demo|sandbox)-[a-z0-9-]+)"', SETTINGS.read_text()
    )
    assert "bizportal-demo-client-secret" in sandbox_defaults
    for path in [*DEPLOY.rglob("*")]:
        if path.is_file() and path.suffix != ".json":
            text = path.read_text(encoding="utf-8")
            for default in sandbox_defaults:
                assert default not in text, f"{path.name} carries {default}"


def app_environment_names() -> dict[str, set[str]]:
    spec = compose()
    names: dict[str, set[str]] = {}
    for name, service in app_services(spec).items():
        names[f"compose:{name}"] = set(service.get("environment", {}))
    for config in by_kind("ConfigMap"):
        names[f"k8s:{config['metadata']['name']}"] = set(config["data"])
    for document in by_kind("Deployment") + by_kind("Job") + by_kind("CronJob"):
        for container in pod_spec(document)["containers"]:
            names[f"k8s:{document['metadata']['name']}"] = {
                e["name"] for e in container.get("env", [])
            }
    return names


def test_every_variable_the_deploy_files_set_is_one_the_settings_read() -> None:
    read = settings_variables()
    assert {"DATABASE_URL", "DATABASE_REPLICA_URL", "STORAGE_S3_BUCKET", "REDIS_URL"} <= read
    for where, names in app_environment_names().items():
        for name in names:
            base = name.removesuffix("_FILE")
            assert base in read, f"{where} sets {name}, which settings.py never reads"


def test_the_secret_files_named_are_ones_the_containers_receive() -> None:
    spec = compose()
    for name, service in app_services(spec).items():
        mounted = {f"/run/secrets/{secret}" for secret in service.get("secrets", [])}
        for variable, value in service.get("environment", {}).items():
            if variable.endswith("_FILE"):
                assert value in mounted, f"{name}: {variable} names {value}, not mounted"


# --- Image and helper scripts ----------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ")
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in (raw.strip() for raw in text.splitlines())
        if line and not line.startswith("#")
    ]


def test_the_image_is_slim_python_runs_as_a_user_and_serves_by_default() -> None:
    instructions = dockerfile_instructions()
    assert instructions[0] == ("FROM", "python:3.11-slim")
    users = [argument for instruction, argument in instructions if instruction == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    runs = " ".join(argument for instruction, argument in instructions if instruction == "RUN")
    assert "pip install ." in runs
    assert "manage.py collectstatic --noinput" in runs
    command = json.loads(next(a for i, a in reversed(instructions) if i == "CMD"))
    assert command[:3] == ["python", "manage.py", "serve"]
    assert "0.0.0.0" in command  # noqa: S104 - inside the container


@pytest.mark.parametrize("script", sorted((DEPLOY / "postgres").glob("*.sh")), ids=lambda p: p.name)
def test_database_scripts_are_valid_shell(script: Path) -> None:
    result = subprocess.run(
        [str(shutil.which("sh")), "-n", str(script)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr


def test_the_replica_script_copies_the_primary_and_runs_as_a_standby() -> None:
    text = (DEPLOY / "postgres" / "replica-start.sh").read_text()
    assert "pg_basebackup" in text and "--write-recovery-conf" in text
    assert "hot_standby=on" in text
    compose_replica = compose()["services"]["db-replica"]
    assert compose_replica["environment"]["PRIMARY_HOST"] == "db-primary"
