# CPU image for Sluice workers: `docker build -t sluice .`
# The GPU image is the same with --build-arg BASE=nvidia/cuda:12.4.1-runtime-ubuntu22.04
# and EXTRAS=gpu (cupy-cuda12x).
ARG BASE=python:3.11-slim
FROM ${BASE}
ARG EXTRAS=""
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PREFECT_SERVER_ANALYTICS_ENABLED=false
WORKDIR /opt/sluice
COPY pyproject.toml constraints.txt README.md ./
COPY sluice ./sluice
COPY flows ./flows
COPY tasks ./tasks
COPY blocks ./blocks
COPY migrations ./migrations
COPY deployments ./deployments
RUN pip install --no-cache-dir -c constraints.txt ".${EXTRAS:+[$EXTRAS]}" \
    && SLUICE_CACHE_DIR=/opt/sluice/cache python -m sluice.caches
ENV SLUICE_CACHE_DIR=/opt/sluice/cache
COPY prefect.yaml sluice.yaml ./
CMD ["prefect", "worker", "start", "--pool", "sluice-cpu"]
