# aidwatch image for the deployed Airflow stack (docker-compose.yml): Airflow 3.3, dbt, DuckDB,
# Great Expectations and the project itself, installed exactly as `make setup` installs them:
# a venv, `pip install -r requirements.lock` (the whole dependency tree, generated from
# pyproject.toml by `make lock`), then the project with --no-deps.
# No secret is baked in: the pseudonym key, database password and JWT secret come from the
# environment at run time (see docs/airflow.md).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DBT_SEND_ANONYMOUS_USAGE_STATS=False \
    DO_NOT_TRACK=1

RUN groupadd --gid 50000 aidwatch \
    && useradd --uid 50000 --gid aidwatch --home-dir /home/aidwatch --create-home aidwatch

WORKDIR /opt/aidwatch
# Dependencies first, from the lock file alone (the same file `make setup` and CI install), so
# a change to the code does not invalidate this layer and every version equals the tested one.
COPY --chown=aidwatch:aidwatch requirements.lock /opt/aidwatch/requirements.lock
RUN python3.11 -m venv /opt/aidwatch/.venv \
    && /opt/aidwatch/.venv/bin/pip install --quiet --no-cache-dir --upgrade "pip==26.3" \
    && /opt/aidwatch/.venv/bin/pip install --quiet --no-cache-dir --require-hashes -r requirements.lock

# The project itself (what .dockerignore leaves: sources, dbt project, DAGs, pyproject), without
# resolving anything again.
COPY --chown=aidwatch:aidwatch . /opt/aidwatch
RUN /opt/aidwatch/.venv/bin/pip install --quiet --no-cache-dir --no-deps -e .

ENV PATH=/opt/aidwatch/.venv/bin:$PATH \
    AIRFLOW_HOME=/opt/airflow \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/aidwatch/dags \
    AIRFLOW__CORE__LOAD_EXAMPLES=False \
    AIDWATCH_HOME=/data \
    AIDWATCH_INBOX=/data/inbox

# Mount points owned by the runtime user, so new named volumes start with the right owner.
RUN mkdir -p /opt/airflow/logs /opt/airflow/auth /data/inbox /data/raw /data/exports \
    && chown -R aidwatch:aidwatch /opt/airflow /data

USER aidwatch
# dbt's parse state shared by every HOME (warehouse/parse_state.py), written by the runtime user
# so builds can read and refresh it (and leave the project-only tests' verdict beside it,
# warehouse/project_tests.py): the first build does not parse the whole project.
RUN /opt/aidwatch/.venv/bin/python -m warehouse.parse_state
ENTRYPOINT ["airflow"]
CMD ["version"]
