"""The kustomize base in deploy/kubernetes: offline schema validation and the daemon's contract.

Schemas come from the kubernetes-validate package (Kubernetes' own OpenAPI turned into
JSON schemas, one set per release, shipped in the wheel): no cluster and no network.
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from notion_syncd.config import load_settings

kubernetes_validate = pytest.importorskip("kubernetes_validate")

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "deploy" / "kubernetes"
OPERATIONS = ROOT / "docs" / "operations.md"
#: The oldest Kubernetes release still commonly run, and the newest the package knows.
VERSIONS = ("1.29.0", kubernetes_validate.utils.latest_version())


def _rendered() -> list[dict[str, Any]]:
    """The base rendered the way kustomize does for a plain list of resources."""
    kustomization = yaml.safe_load((BASE / "kustomization.yaml").read_text(encoding="utf-8"))
    assert set(kustomization) == {"apiVersion", "kind", "resources"}, "no transformers in base"
    documents = []
    for name in kustomization["resources"]:
        text = (BASE / name).read_text(encoding="utf-8")
        documents.extend(doc for doc in yaml.safe_load_all(text) if doc)
    return documents


def _one(kind: str) -> dict[str, Any]:
    (found,) = [doc for doc in _rendered() if doc["kind"] == kind]
    return found


def _container() -> dict[str, Any]:
    (container,) = _one("StatefulSet")["spec"]["template"]["spec"]["containers"]
    return container


def _env() -> dict[str, str]:
    return {item["name"]: item["value"] for item in _container()["env"]}


@pytest.mark.parametrize("version", VERSIONS)
def test_kubernetes_manifests_pass_strict_schema_validation(version: str) -> None:
    """Every resource validates against the Kubernetes schemas, unknown fields refused."""
    documents = _rendered()
    assert {doc["kind"] for doc in documents} == {"ConfigMap", "Secret", "Service", "StatefulSet"}
    for document in documents:
        kubernetes_validate.validate(document, version, strict=True)


def test_kubernetes_validation_catches_a_typo() -> None:
    """The validation is meaningful: a misspelt securityContext field is refused."""
    statefulset = copy.deepcopy(_one("StatefulSet"))
    context = statefulset["spec"]["template"]["spec"]["containers"][0]["securityContext"]
    context["readOnlyRootFileSystem"] = context.pop("readOnlyRootFilesystem")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(statefulset, VERSIONS[-1], strict=True)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (with kustomize) missing")
def test_kubernetes_kustomize_renders_the_same_resources() -> None:
    """`kubectl kustomize` renders exactly the resources this test validates."""
    result = subprocess.run(
        ["kubectl", "kustomize", str(BASE)], capture_output=True, text=True, timeout=60, check=True
    )
    rendered = [doc for doc in yaml.safe_load_all(result.stdout) if doc]

    def key(doc: dict[str, Any]) -> str:
        return f"{doc['kind']}/{doc['metadata']['name']}"

    assert sorted(rendered, key=key) == sorted(_rendered(), key=key)


def test_kubernetes_statefulset_one_replica_with_its_own_volume() -> None:
    """One daemon per mirror: one replica, the mirror on a ReadWriteOnce claim."""
    spec = _one("StatefulSet")["spec"]
    assert spec["replicas"] == 1
    assert spec["serviceName"] == _one("Service")["metadata"]["name"]
    (claim,) = spec["volumeClaimTemplates"]
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    mounts = {mount["name"]: mount["mountPath"] for mount in _container()["volumeMounts"]}
    assert Path(_env()["NOTION_SYNCD_EXPORT__REPO"]).parent == Path(
        mounts[claim["metadata"]["name"]]
    )
    assert _env()["HOME"] == mounts["data"]


def test_kubernetes_pod_runs_non_root_read_only_without_capabilities() -> None:
    """Non-root, read-only root file system, every capability dropped, no escalation."""
    pod = _one("StatefulSet")["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    context = _container()["securityContext"]
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"] == {"drop": ["ALL"]}
    writable = {m["mountPath"] for m in _container()["volumeMounts"] if not m.get("readOnly")}
    assert writable == {"/data", "/tmp"}


def test_kubernetes_config_loads_and_matches_the_pod(tmp_path: Path) -> None:
    """The ConfigMap's config.toml plus the pod's environment load; the port is the probes'."""
    config = tmp_path / "config.toml"
    config.write_text(_one("ConfigMap")["data"]["config.toml"], encoding="utf-8")
    tomllib.loads(config.read_text(encoding="utf-8"))
    environ = {k: v for k, v in _env().items() if k.startswith("NOTION_SYNCD_")}
    settings = load_settings(config, environ=environ)
    assert str(settings.export.repo) == "/data/mirror"
    port = int(settings.server.listen.rpartition(":")[2])
    (container_port,) = _container()["ports"]
    assert container_port["containerPort"] == port
    assert _one("Service")["spec"]["ports"][0]["port"] == port
    args = _container()["args"]
    assert args[args.index("--config") + 1] == "/etc/notion-syncd/config.toml"


def test_kubernetes_token_secret_is_the_daemon_token_file() -> None:
    """The Secret's key is mounted as /run/secrets/notion-token, where the daemon looks."""
    pod = _one("StatefulSet")["spec"]["template"]["spec"]
    (volume,) = [v for v in pod["volumes"] if "secret" in v]
    assert volume["secret"]["secretName"] == _one("Secret")["metadata"]["name"]
    assert volume["secret"]["items"] == [{"key": "notion-token", "path": "notion-token"}]
    (mount,) = [m for m in _container()["volumeMounts"] if m["name"] == volume["name"]]
    assert mount["mountPath"] == "/run/secrets"
    assert "/run/secrets/notion-token" in OPERATIONS.read_text(encoding="utf-8")


def test_kubernetes_probes_use_the_documented_endpoints() -> None:
    """Liveness and start-up on /livez, readiness on /readyz, as docs/operations.md defines."""
    container = _container()
    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert container["startupProbe"]["httpGet"]["path"] == "/livez"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert container[probe]["httpGet"]["port"] == container["ports"][0]["name"]
    health_table = OPERATIONS.read_text(encoding="utf-8")
    assert re.search(r"^\| `/healthz` \(also `/livez`\) \|", health_table, re.MULTILINE)
    assert re.search(r"^\| `/readyz` \|", health_table, re.MULTILINE)
