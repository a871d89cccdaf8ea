# syntax=docker/dockerfile:1
#
# The grader in a container: one image definition for clusters and for PrairieLearn.
#
#   docker build -t grader .                                  # the default stage, `grader`: Kubernetes, Slurm
#   docker build --target prairielearn -t grader-prairielearn .   # PrairieLearn's external grader
#
# Both stages hold the same grader, the CPU build of torch (from PyTorch's own index:
# the default one on PyPI brings gigabytes of CUDA libraries a grader never uses) and
# a non-root user, `grader` (uid 10001). The `grader` stage runs as that user, with
# `grade` as its entry point (`grade shard-entry ...` maps the index of a Kubernetes
# Indexed Job or a Slurm array task onto `grade batch --shard I/N`). The
# `prairielearn` stage starts as root, because PrairieLearn mounts the job at /grade
# readable by root only; `grade prairielearn` copies the job and grades it as
# `grader`. See docs/deploy.md.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS base
# e.g. --build-arg TORCH_SPEC=torch==2.5.1 to pin the version the course grades with
ARG TORCH_SPEC=torch
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LANG=C.UTF-8 \
    MPLBACKEND=Agg \
    MPLCONFIGDIR=/tmp/matplotlib \
    PATH=/opt/grader/bin:$PATH
RUN python -m venv /opt/grader \
    && pip install "${TORCH_SPEC}" --index-url https://download.pytorch.org/whl/cpu
WORKDIR /src
COPY pyproject.toml README.md ./
COPY grader ./grader
COPY reference ./reference
COPY exercises ./exercises
RUN pip install . \
    && cd / && rm -rf /src \
    && grade --version
RUN useradd --uid 10001 --user-group --create-home --home-dir /home/grader --shell /usr/sbin/nologin grader \
    && mkdir /work \
    && chown grader:grader /work
WORKDIR /work

FROM base AS prairielearn
USER root
ENTRYPOINT ["grade", "prairielearn"]

FROM base AS grader
# Numeric, so that Kubernetes' runAsNonRoot can check it.
USER 10001:10001
ENTRYPOINT ["grade"]
CMD ["--help"]
