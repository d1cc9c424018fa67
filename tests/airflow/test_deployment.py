"""The deployable stack, checked without Docker (which cannot run on the development machines).

What can go wrong unseen: the compose file naming a file or volume that does not exist, the
image installing a second, drifting list of dependencies, a secret baked into the image, the
pool the DAG needs not being created, or a service missing its data volumes.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

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
            if source.startswith((".", "/")):
                assert (REPO / source).exists(), f"{name}: bind mount {source}"
            else:
                assert source in declared_volumes, f"{name}: volume {source} is not declared"


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
    mounts = {v.split(":")[1]: v for v in scheduler["volumes"]}
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


def test_image_installs_the_project_like_make_setup(compose: dict[str, Any]) -> None:
    """One dependency list: the image pip-installs this pyproject (plus its own extra), nothing else."""
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert '-e ".[dev]"' in makefile  # what `make setup` runs
    instructions = dockerfile_instructions()
    base = [args for op, args in instructions if op == "FROM"]
    assert base == ["python:3.11-slim-bookworm"]
    assert "<3.12" in pyproject["project"]["requires-python"]
    installs = []
    for op, args in instructions:
        if op == "RUN":
            for command in args.split("&&"):
                words = shlex.split(command)
                if "pip" in " ".join(words[:1]) and "install" in words:
                    installs.append([w for w in words[words.index("install") + 1:] if not w.startswith("--")])
    assert ["pip"] in installs  # pip upgrade, as make setup does
    [project_install] = [i for i in installs if i != ["pip"]]
    assert project_install[0] == "-e"
    extras = re.fullmatch(r"\.\[(.+)\]", project_install[1])
    assert extras and len(project_install) == 2
    assert set(extras.group(1).split(",")) <= set(pyproject["project"]["optional-dependencies"])
    copies = [args for op, args in instructions if op == "COPY"]
    assert copies and all(shlex.split(c)[-2] == "." for c in copies)  # the whole filtered context


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
