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
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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


APP_IMAGE = "bizportal:latest"


def app_containers(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The containers that run the portal's own image (not the database backup's)."""
    return [c for c in pod_spec(document)["containers"] if c["image"] == APP_IMAGE]


def workloads() -> list[dict[str, Any]]:
    return by_kind("Deployment") + by_kind("Job") + by_kind("CronJob")


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
        "NetworkPolicy",
        "PersistentVolumeClaim",
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
    for document in workloads():
        spec = pod_spec(document)
        for container in app_containers(document):
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
    # The base backup runs the database's own image (pg_basebackup of its version).
    assert images == {
        "registry.example.org/bizportal:0.1.0",
        "ghcr.io/cloudnative-pg/postgresql:16",
    }


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
                and not isinstance(value, bool)  # automountServiceAccountToken: false
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
    for document in workloads():
        for container in app_containers(document):
            names[f"k8s:{document['metadata']['name']}"] = {
                e["name"] for e in container.get("env", [])
            }
    return names


#: Read by the HTTP libraries (requests, botocore), not by settings.py: the egress proxy.
PROXY_VARIABLES = {"HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY"}


def test_every_variable_the_deploy_files_set_is_one_the_settings_read() -> None:
    read = settings_variables()
    assert {"DATABASE_URL", "DATABASE_REPLICA_URL", "STORAGE_S3_BUCKET", "REDIS_URL"} <= read
    for where, names in app_environment_names().items():
        for name in names - PROXY_VARIABLES:
            base = name.removesuffix("_FILE")
            if base.startswith("MEDIA_BACKUP_"):
                # The media backup's destination: deploy/backup_media.py reads it.
                assert base in (DEPLOY / "backup_media.py").read_text(), name
                continue
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


# --- Restricted platform (government cloud, OpenShift's restricted SCC) -----------------


def restricted_profile_problems(document: dict[str, Any]) -> list[str]:
    """What keeps a pod from running on a restricted platform: non-root without a fixed
    UID (the platform assigns one), nothing privileged, a read-only root file system with
    emptyDir for what is written, no API token, requests and limits."""
    problems: list[str] = []

    def need(condition: bool, problem: str) -> None:
        if not condition:
            problems.append(f"{document['metadata']['name']}: {problem}")

    spec = pod_spec(document)
    pod = spec.get("securityContext", {})
    need(pod.get("runAsNonRoot") is True, "runAsNonRoot")
    need(pod.get("seccompProfile") == {"type": "RuntimeDefault"}, "seccomp RuntimeDefault")
    need(spec.get("automountServiceAccountToken") is False, "service account token mounted")
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        need(not spec.get(field), field)
    for fixed in ("runAsUser", "runAsGroup", "fsGroup"):
        need(fixed not in pod, f"fixed {fixed}")
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    need(not any("hostPath" in v for v in volumes.values()), "hostPath volume")
    for volume in volumes.values():
        if "secret" in volume:
            # Group-readable: an arbitrary UID is in group 0, which owns the files when no
            # fsGroup is set; 0400 would leave them readable by root only.
            need(volume["secret"].get("defaultMode") == 0o440, "secret mode not 0440")
    for container in spec.get("initContainers", []) + spec["containers"]:
        context = container.get("securityContext", {})
        for fixed in ("runAsUser", "runAsGroup"):
            need(fixed not in context, f"fixed {fixed} in {container['name']}")
        need(context.get("privileged") is not True, "privileged")
        need(context.get("allowPrivilegeEscalation") is False, "privilege escalation")
        need(context.get("readOnlyRootFilesystem") is True, "writable root file system")
        need(context.get("capabilities") == {"drop": ["ALL"]}, "capabilities not dropped")
        for port in container.get("ports", []):
            need(port["containerPort"] >= 1024, f"privileged port {port['containerPort']}")
        resources = container.get("resources", {})
        for kind in ("requests", "limits"):
            need({"cpu", "memory"} <= set(resources.get(kind, {})), f"no {kind}")
        mounts = {m["mountPath"]: m for m in container.get("volumeMounts", [])}
        scratch = "/tmp"  # noqa: S108 - the container's own, an emptyDir
        need(scratch in mounts and "emptyDir" in volumes[mounts[scratch]["name"]], scratch)
        for mount in mounts.values():
            source = volumes[mount["name"]]
            need(
                "emptyDir" in source
                or "persistentVolumeClaim" in source
                or mount.get("readOnly") is True,
                f"{mount['mountPath']} writable but not a volume of its own",
            )
        if container["image"] == APP_IMAGE and "manage.py" in container["command"]:
            # Django's process kinds write under BIZPORTAL_VAR_DIR.
            need("/app/var" in mounts and "emptyDir" in volumes[mounts["/app/var"]["name"]], "var")
    return problems


def test_every_pod_meets_the_restricted_platform_profile() -> None:
    assert len(workloads()) >= 7
    problems = [p for document in workloads() for p in restricted_profile_problems(document)]
    assert problems == []


def test_the_restricted_profile_check_can_fail() -> None:
    """A fixed UID (what the manifests had before), a root-only secret and a privileged
    port are each found."""
    web = copy.deepcopy(
        next(d for d in by_kind("Deployment") if d["metadata"]["name"] == "bizportal-web")
    )
    spec = pod_spec(web)
    spec["securityContext"] |= {"runAsUser": 10001, "fsGroup": 10001}
    spec["volumes"][0]["secret"]["defaultMode"] = 0o400
    spec["containers"][0]["ports"][0]["containerPort"] = 80
    del spec["containers"][0]["securityContext"]["readOnlyRootFilesystem"]
    problems = " ".join(restricted_profile_problems(web))
    for expected in ("runAsUser", "fsGroup", "0440", "port 80", "writable root"):
        assert expected in problems


def test_the_image_runs_under_any_uid_in_group_zero() -> None:
    """OpenShift runs the image as an arbitrary UID in group 0: what the process writes
    must belong to group 0 and be group-writable, and the user is a number, not root."""
    instructions = dockerfile_instructions()
    user = [argument for instruction, argument in instructions if instruction == "USER"][-1]
    uid, _, gid = user.partition(":")
    assert uid.isdigit() and uid != "0" and gid == "0"
    runs = " ".join(argument for instruction, argument in instructions if instruction == "RUN")
    assert "chown -R 10001:0 /app/var" in runs and "chmod -R g=u /app/var" in runs
    exposed = [int(a) for i, a in instructions if i == "EXPOSE"]
    assert exposed and min(exposed) >= 1024
    copies = [a for i, a in instructions if i == "COPY"]
    assert any("deploy/backup_media.py" in a for a in copies)


# --- Network policies --------------------------------------------------------------------


def policies() -> list[dict[str, Any]]:
    return by_kind("NetworkPolicy")


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """Kubernetes label-selector semantics (matchLabels and In/NotIn/Exists)."""
    assert set(selector) <= {"matchLabels", "matchExpressions"}, selector
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for expression in selector.get("matchExpressions", []):
        value = labels.get(expression["key"])
        operator = expression["operator"]
        if operator == "In" and value not in expression["values"]:
            return False
        if operator == "NotIn" and value in expression["values"]:
            return False
        if operator == "Exists" and value is None:
            return False
    return True


def flows(labels: dict[str, str], direction: str) -> set[tuple[str, str, int]]:
    """(namespace, pod selector, port) pairs the policies open for a pod with these
    labels; direction "egress" or "ingress"."""
    opened: set[tuple[str, str, int]] = set()
    key = "to" if direction == "egress" else "from"
    for policy in policies():
        spec = policy["spec"]
        if direction.capitalize() not in spec["policyTypes"]:
            continue
        if not selects(spec["podSelector"], labels):
            continue
        for rule in spec.get(direction, []):
            # An empty peer list or port list would open everything: never.
            assert rule.get(key) and rule.get("ports"), policy["metadata"]["name"]
            for peer in rule[key]:
                assert "ipBlock" not in peer, policy["metadata"]["name"]
                namespace = peer.get("namespaceSelector", {}).get("matchLabels", {})
                pods = peer.get("podSelector", {}).get("matchLabels", {})
                for port in rule["ports"]:
                    opened.add(
                        (
                            namespace.get("kubernetes.io/metadata.name", "<this>"),
                            ",".join(f"{k}={v}" for k, v in sorted(pods.items())),
                            int(port["port"]),
                        )
                    )
    return opened


def pod_labels(document: dict[str, Any]) -> dict[str, str]:
    if document["kind"] == "CronJob":
        return document["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]
    labels: dict[str, str] = document["spec"]["template"]["metadata"]["labels"]
    return labels


DNS = ("kube-system", "k8s-app=kube-dns", 53)
DATABASE = ("bizportal-data", "cnpg.io/cluster=bizportal-db", 5432)
REDIS = ("bizportal-data", "app.kubernetes.io/name=bizportal-redis", 6379)
OBJECT_STORE = ("bizportal-storage", "v1.min.io/tenant=minio", 9000)
EGRESS_PROXY = ("bizportal-egress", "app.kubernetes.io/name=egress-proxy", 3128)


def test_the_namespace_denies_everything_not_opened() -> None:
    deny = next(p for p in policies() if p["metadata"]["name"] == "default-deny")
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def test_each_workload_gets_exactly_the_flows_the_architecture_needs() -> None:
    expected = {
        "web": {DNS, DATABASE, REDIS, OBJECT_STORE, EGRESS_PROXY},
        "worker": {DNS, DATABASE, REDIS, OBJECT_STORE, EGRESS_PROXY},
        "migrate": {DNS, DATABASE, REDIS, OBJECT_STORE, EGRESS_PROXY},
        "cron": {DNS, DATABASE, REDIS, OBJECT_STORE, EGRESS_PROXY},
        "db-backup": {DNS, DATABASE},
        "media-backup": {DNS, OBJECT_STORE, EGRESS_PROXY},
    }
    seen = set()
    for document in workloads():
        labels = pod_labels(document)
        component = labels["app.kubernetes.io/component"]
        seen.add(component)
        egress = {(ns, pods, port) for ns, pods, port in flows(labels, "egress")}
        assert egress == expected[component], document["metadata"]["name"]
        ingress = flows(labels, "ingress")
        if component == "web":
            assert ingress == {
                ("ingress-nginx", "app.kubernetes.io/name=ingress-nginx", 8000),
                ("monitoring", "", 8000),
            }
        else:
            assert ingress == set(), f"{document['metadata']['name']} takes connections"
    assert seen == set(expected)
    # The web Service's target port is the one the ingress rule opens.
    web = next(d for d in by_kind("Deployment") if d["metadata"]["name"] == "bizportal-web")
    assert pod_spec(web)["containers"][0]["ports"][0]["containerPort"] == 8000


def test_outside_calls_go_through_the_egress_proxy_and_cluster_calls_do_not() -> None:
    data = by_kind("ConfigMap")[0]["data"]
    proxy = urlsplit(data["HTTPS_PROXY"])
    assert proxy.hostname == "egress-proxy.bizportal-egress.svc" and proxy.port == 3128
    assert data["HTTP_PROXY"] == data["HTTPS_PROXY"]
    no_proxy = data["NO_PROXY"].split(",")
    assert ".svc" in no_proxy and ".cluster.local" in no_proxy
    # Every in-cluster service the pods reach by name is covered by NO_PROXY...
    for variable in (
        "DATABASE_URL",
        "DATABASE_REPLICA_URL",
        "REDIS_URL",
        "STORAGE_S3_ENDPOINT_URL",
    ):
        host = urlsplit(data[variable]).hostname or ""
        assert any(host.endswith(suffix) for suffix in no_proxy if suffix.startswith(".")), host
    # ...and lives in the namespace the policies open for it.
    assert urlsplit(data["DATABASE_URL"]).hostname == "bizportal-db-rw.bizportal-data.svc"
    assert urlsplit(data["REDIS_URL"]).hostname == "bizportal-redis.bizportal-data.svc"
    assert "bizportal-storage" in (urlsplit(data["STORAGE_S3_ENDPOINT_URL"]).hostname or "")


def test_the_http_clients_honour_the_proxy_variables() -> None:
    """requests (every outside call) and botocore (object storage) read the variables;
    nothing in the portal turns that off."""
    import requests

    assert requests.Session().trust_env is True
    for path in (ROOT / "src").rglob("*.py"):
        assert "trust_env = False" not in path.read_text(encoding="utf-8"), path
        assert "trust_env=False" not in path.read_text(encoding="utf-8"), path


# --- Secrets from an external store -------------------------------------------------------

COMPONENT = K8S / "components" / "external-secrets"


def external_secrets() -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((COMPONENT / "externalsecret.yaml").read_text()) if d]


def external_secret_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((DEPLOY / "schemas" / "externalsecret-v1.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    return schema


def test_the_external_secrets_validate_against_the_bundled_crd_schema() -> None:
    validator = jsonschema.Draft7Validator(external_secret_schema())
    for document in external_secrets():
        errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(document)]
        assert errors == [], errors
    broken = copy.deepcopy(external_secrets()[0])
    broken["spec"]["target"]["creationPolicy"] = "Owned"
    broken["spec"]["data"][0]["remoteRef"]["kee"] = "x"
    assert len(list(validator.iter_errors(broken))) == 2
    component = yaml.safe_load((COMPONENT / "kustomization.yaml").read_text())
    assert component["kind"] == "Component"
    assert component["resources"] == ["externalsecret.yaml"]


def test_the_external_secrets_provide_every_secret_key_the_pods_read() -> None:
    provided = {
        (d["spec"]["target"]["name"], item["secretKey"])
        for d in external_secrets()
        for item in d["spec"]["data"]
    }
    wanted: set[tuple[str, str]] = set()
    mounted = "/run/secrets/bizportal/"
    for value in by_kind("ConfigMap")[0]["data"].values():
        if value.startswith(mounted):
            wanted.add(("bizportal-secrets", value.removeprefix(mounted)))
    for document in workloads():
        for container in pod_spec(document)["containers"]:
            for variable in container.get("env", []):
                if str(variable.get("value", "")).startswith(mounted):
                    wanted.add(("bizportal-secrets", variable["value"].removeprefix(mounted)))
                reference = variable.get("valueFrom", {}).get("secretKeyRef")
                if reference:
                    wanted.add((reference["name"], reference["key"]))
    assert wanted and wanted <= provided, wanted - provided


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_an_overlay_with_the_component_renders_the_external_secrets(tmp_path: Path) -> None:
    # kustomize wants paths relative to the overlay: build them from the filesystem root.
    depth = len(tmp_path.relative_to(tmp_path.anchor).parts)
    up = "/".join([".."] * depth)
    (tmp_path / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "namespace": "bizportal",
                "resources": [f"{up}/{K8S.relative_to(K8S.anchor)}"],
                "components": [f"{up}/{COMPONENT.relative_to(COMPONENT.anchor)}"],
            }
        )
    )
    rendered = subprocess.run(
        [str(shutil.which("kubectl")), "kustomize", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    documents = [d for d in yaml.safe_load_all(rendered) if d]
    secrets = [d for d in documents if d["kind"] == "ExternalSecret"]
    assert {d["metadata"]["name"] for d in secrets} == {"bizportal-secrets", "bizportal-backup"}
    assert all(d["metadata"]["namespace"] == "bizportal" for d in secrets)
    validator = jsonschema.Draft7Validator(external_secret_schema())
    for document in secrets:
        assert list(validator.iter_errors(document)) == []


# --- Backups -------------------------------------------------------------------------------


def test_the_database_and_the_object_store_are_backed_up_on_a_schedule() -> None:
    cronjobs = {c["metadata"]["name"]: c for c in by_kind("CronJob")}
    base = pod_spec(cronjobs["bizportal-db-base-backup"])["containers"][0]
    script = base["command"][-1]
    assert "pg_basebackup" in script
    for flag in ("--format=tar", "--wal-method=stream", "--checkpoint=fast"):
        assert flag in script
    claims = {c["metadata"]["name"] for c in by_kind("PersistentVolumeClaim")}
    volumes = pod_spec(cronjobs["bizportal-db-base-backup"])["volumes"]
    assert any(v.get("persistentVolumeClaim", {}).get("claimName") in claims for v in volumes)
    media = pod_spec(cronjobs["bizportal-media-backup"])["containers"][0]
    assert media["command"] == ["python", "deploy/backup_media.py"]
    assert (DEPLOY / "backup_media.py").exists()
    for cronjob in (cronjobs["bizportal-db-base-backup"], cronjobs["bizportal-media-backup"]):
        assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"


def test_the_wal_archive_script_never_overwrites_a_different_segment(tmp_path: Path) -> None:
    script = str(DEPLOY / "postgres" / "archive-wal.sh")
    sh = str(shutil.which("sh"))
    segment = tmp_path / "000000010000000000000001"
    segment.write_bytes(b"wal" * 100)
    archive = tmp_path / "archive"
    archive.mkdir()
    first = subprocess.run([sh, script, str(segment), str(archive / segment.name)], check=False)
    assert first.returncode == 0
    assert (archive / segment.name).read_bytes() == segment.read_bytes()
    assert [p.name for p in archive.iterdir()] == [segment.name]  # no partial file left
    again = subprocess.run([sh, script, str(segment), str(archive / segment.name)], check=False)
    assert again.returncode == 0  # the same segment twice (a retry after a crash)
    segment.write_bytes(b"other" * 100)
    refused = subprocess.run(
        [sh, script, str(segment), str(archive / segment.name)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode == 1 and "refusing to overwrite" in refused.stderr


def test_the_media_backup_names_what_it_misses(tmp_path: Path) -> None:
    """Without its buckets the media backup stops with a message, before any call."""
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, str(DEPLOY / "backup_media.py")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "MEDIA_BACKUP_S3_BUCKET" in result.stderr
