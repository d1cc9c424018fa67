"""The deployable stack, checked without Docker (which cannot run on the development machines).

What can go wrong unseen: the compose file naming a file or volume that does not exist, the
image installing a second, drifting list of dependencies, a secret baked into the image, the
pool the DAG needs not being created, or a service missing its data volumes.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.system_packages import unavailable

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
STANDALONE = REPO / "scripts" / "airflow-standalone.sh"
AIRFLOW_SERVICES = {
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-triggerer": "triggerer",
}


def dag_pool_name() -> str:
    """The pool name the DAG file declares (read as text: importing it needs a configured Airflow)."""
    match = re.search(r'^WAREHOUSE_POOL = "([^"]+)"', (REPO / "dags" / "aidwatch_daily.py").read_text(), re.M)
    assert match, "dags/aidwatch_daily.py declares no WAREHOUSE_POOL"
    return match.group(1)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def test_compose_has_the_services_of_an_airflow_3_deployment(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"postgres", "airflow-init", *AIRFLOW_SERVICES} <= set(services)
    for name, command in AIRFLOW_SERVICES.items():
        assert services[name]["command"] == command
        assert services[name]["depends_on"]["airflow-init"] == {"condition": "service_completed_successfully"}
    database = services["airflow-scheduler"]["environment"]["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    assert database.startswith("postgresql+psycopg2://") and "@postgres:5432/" in database


def test_compose_names_only_files_and_volumes_that_exist(compose: dict[str, Any]) -> None:
    declared_volumes = set(compose["volumes"])
    for name, service in compose["services"].items():
        build = service.get("build")
        if build:
            context = (REPO / build["context"]).resolve()
            assert context == REPO
            assert (context / build["dockerfile"]).is_file(), name
        for env_file in service.get("env_file", []):
            assert (REPO / env_file).is_file(), f"{name}: env_file {env_file}"
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("${"):
                # a host folder the operator sets; the compose file insists on it with ":?"
                assert re.match(r"\$\{AIDWATCH_[A-Z_]+_DIR:\?", volume), f"{name}: host folder {volume}"
            elif source.startswith((".", "/")):
                assert (REPO / source).exists(), f"{name}: bind mount {source}"
            else:
                assert source in declared_volumes, f"{name}: volume {source} is not declared"


HOST_FOLDERS = {
    "AIDWATCH_DROP_DIR": "/data/inbox",
    "AIDWATCH_EXPORTS_DIR": "/data/exports",
    "AIDWATCH_ANALYST_DIR": "/data/analyst-out",
    "AIDWATCH_BACKUP_DIR": "/backup",
}


def test_deliveries_exports_analyst_file_and_backups_use_host_folders(compose: dict[str, Any]) -> None:
    scheduler = compose["services"]["airflow-scheduler"]
    for variable, target in HOST_FOLDERS.items():
        [mount] = [v for v in scheduler["volumes"] if v.startswith("${" + variable + ":?")]
        assert mount.split("}:", 1)[1].split(":")[0] == target, mount
    env = scheduler["environment"]
    assert env["AIDWATCH_ANALYST_DIR"] == HOST_FOLDERS["AIDWATCH_ANALYST_DIR"]
    assert env["TZ"] == "Asia/Shanghai" and env["AIRFLOW__CORE__DEFAULT_TIMEZONE"] == "Asia/Shanghai"


def _compose_command() -> list[str] | None:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker") and subprocess.run(
        ["docker", "compose", "version"], capture_output=True
    ).returncode == 0:
        return ["docker", "compose"]
    return None


def test_docker_compose_validates_the_stack_with_its_host_folders(tmp_path: Path) -> None:
    """`docker compose config` (CI installs Debian's docker-compose) accepts the file as deployed."""
    command = _compose_command()
    if command is None:
        unavailable("docker-compose is not installed (.ci/run installs it from Debian)")
    env = {**os.environ, "POSTGRES_PASSWORD": "p", "AIRFLOW_JWT_SECRET": "j", "AIRFLOW_ADMIN_PASSWORD": "a",
           "AIDWATCH_PSEUDONYM_KEY": "k", "WORKSPACE_DB_PASSWORD": "w", "AIDWATCH_WORKSPACE_SECRET": "s"}
    for variable in HOST_FOLDERS:
        (tmp_path / variable).mkdir()
        env[variable] = str(tmp_path / variable)
    done = subprocess.run([*command, "-f", str(COMPOSE), "config"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    for variable in HOST_FOLDERS:
        assert str(tmp_path / variable) in done.stdout
    missing = {k: v for k, v in env.items() if k != "AIDWATCH_DROP_DIR"}
    refused = subprocess.run(
        [*command, "-f", str(COMPOSE), "config"], env=missing, capture_output=True, text=True
    )
    assert refused.returncode != 0 and "AIDWATCH_DROP_DIR" in refused.stderr


def test_init_job_migrates_creates_the_pool_and_the_admin_password(compose: dict[str, Any]) -> None:
    init = compose["services"]["airflow-init"]
    script = "\n".join(init["command"])
    assert "airflow db migrate" in script
    assert f"airflow pools set {dag_pool_name()} 1 " in script
    assert "AIRFLOW_ADMIN_PASSWORD" in script
    assert init["environment"]["AIRFLOW_ADMIN_PASSWORD"].startswith("${AIRFLOW_ADMIN_PASSWORD:?")
    api = compose["services"]["airflow-apiserver"]
    passwords = api["environment"]["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]
    assert any(v.split(":")[1] == str(Path(passwords).parent) for v in api["volumes"])


def test_the_task_runner_has_the_data_volumes_and_the_only_copy_of_the_key(compose: dict[str, Any]) -> None:
    services = compose["services"]
    scheduler = services["airflow-scheduler"]
    mounts = {
        v.split(":")[-2] if v.endswith((":ro", ":rw")) else v.split(":")[-1]: v for v in scheduler["volumes"]
    }
    assert {"/data", "/data/inbox", "/data/raw", "/data/exports"} <= set(mounts)
    assert mounts["/data/inbox"].endswith(":ro")  # ingestion never writes the inbox
    assert scheduler["environment"]["AIDWATCH_HOME"] == "/data"
    assert scheduler["environment"]["AIDWATCH_PSEUDONYM_KEY"].startswith("${AIDWATCH_PSEUDONYM_KEY:?")
    for name, service in services.items():
        if name != "airflow-scheduler":
            assert "AIDWATCH_PSEUDONYM_KEY" not in (service.get("environment") or {}), name


def test_no_secret_is_written_into_the_compose_file(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if re.search(r"(PASSWORD|SECRET|_KEY)$", key):
                assert str(value).startswith("${") and str(value).endswith("}"), f"{name}: {key}"


def test_image_installs_the_lock_file_like_make_setup(compose: dict[str, Any]) -> None:
    """One locked environment: the image installs requirements.lock, as `make setup` does, in a layer
    that only the lock invalidates, then the project itself with --no-deps."""
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert "LOCK   := requirements.lock" in makefile and "--require-hashes -r $(LOCK)" in makefile
    instructions = dockerfile_instructions()
    base = [args for op, args in instructions if op == "FROM"]
    assert base == ["python:3.11-slim-bookworm"]
    assert "<3.12" in pyproject["project"]["requires-python"]
    steps = [(op, args) for op, args in instructions if op in {"COPY", "RUN"}]
    copies = [shlex.split(args) for op, args in steps if op == "COPY"]
    assert copies[0][-2:] == ["requirements.lock", "/opt/aidwatch/requirements.lock"]
    assert copies[-1][-2] == "."  # the whole filtered context comes after the dependencies
    lock_step = next(i for i, (op, args) in enumerate(steps) if "-r requirements.lock" in args)
    code_step = next(i for i, (op, args) in enumerate(steps) if op == "COPY" and shlex.split(args)[-2] == ".")
    assert lock_step < code_step
    assert "--require-hashes" in steps[lock_step][1]
    assert "--no-deps -e ." in steps[-1][1] or any("--no-deps -e ." in a for _, a in steps[code_step:])


def test_image_bakes_in_no_secret_and_no_local_state() -> None:
    for op, args in dockerfile_instructions():
        if op in {"ENV", "ARG"}:
            assert not re.search(r"PASSWORD|SECRET|PSEUDONYM_KEY|FERNET", args), args
    ignored = set(DOCKERIGNORE.read_text(encoding="utf-8").split())
    assert {".venv", "data", "*.duckdb", "**/secrets", ".env", ".git"} <= ignored


def test_standalone_script_is_valid_bash_and_creates_the_dag_pool() -> None:
    subprocess.run(["bash", "-n", str(STANDALONE)], check=True)
    text = STANDALONE.read_text(encoding="utf-8")
    assert f"airflow pools set {dag_pool_name()} 1 " in text
    assert 'export AIRFLOW_HOME="$home/airflow"' in text
    assert "aidwatch simulate --out" in text
    assert "simple_auth_manager_passwords.json.generated" in text
    assert "exec airflow standalone" in text
