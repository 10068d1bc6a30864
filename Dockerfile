# Potato leaf diagnosis: the Streamlit app with its LiteRT model baked in.
# Build:  docker build -t potato-disease .
# Run:    docker run -p 8501:8501 -e APP_PASSWORD=... potato-disease
# Only the runtime dependencies (requirements.txt) are installed: no TensorFlow, no
# training or test tools. The Keras model is left out (.dockerignore); serving reads
# the LiteRT model, the head arrays and the metadata.
# The Docker official image as Amazon ECR Public mirrors it: instances build from it on
# each deploy and scale-out, and Docker Hub limits anonymous pulls (shared behind NAT).
ARG BASE_IMAGE=public.ecr.aws/docker/library/python:3.11-slim

# --- build stage: the virtualenv, made smaller ------------------------------------------
FROM ${BASE_IMAGE} AS build

# Optional pip settings for builds behind a mirror or a TLS-inspecting proxy; unset by
# default, so a plain build uses PyPI with pip's own certificates. Build stage only.
ARG PIP_INDEX_URL
ARG PIP_EXTRA_INDEX_URL
ARG PIP_CERT
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# binutils for `strip`, in this stage only; its version follows the base image.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends binutils \
    && rm -rf /var/lib/apt/lists/*

# A virtualenv works on the official image and on a plain Debian python3 (PEP 668).
# Then about 80 MB less: pyarrow's debug symbols (its libraries carry their own
# RUNPATH; libraries patched by auditwheel, e.g. numpy.libs, break when stripped, so
# nothing else is), test suites, pyarrow's C++ headers and Cython sources, JavaScript
# source maps, and pip/setuptools, which nothing needs at run time.
COPY requirements.txt /tmp/requirements.txt
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir -r /tmp/requirements.txt \
    && find /opt/venv -type d -name tests -prune -exec rm -rf {} + \
    && find /opt/venv -path '*/site-packages/pyarrow/*' -type f \
        \( -name '*.so' -o -name '*.so.*' \) -exec strip --strip-unneeded {} + \
    && find /opt/venv -path '*/pyarrow/include' -type d -prune -exec rm -rf {} + \
    && find /opt/venv -path '*/pyarrow/*' -type f \
        \( -name '*.pyx' -o -name '*.pxd' -o -name '*.pxi' -o -name '*.h' -o -name '*.cc' \) -delete \
    && find /opt/venv -type f -name '*.js.map' -delete \
    && /opt/venv/bin/python -m pip uninstall --yes --quiet pip setuptools

# --- the image ---------------------------------------------------------------------------
FROM ${BASE_IMAGE}

ENV PYTHONUNBUFFERED=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

WORKDIR /app
COPY --from=build /opt/venv /opt/venv

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --create-home --home-dir /home/app \
        --shell /usr/sbin/nologin app \
    && mkdir -p /var/app-data /var/log/potato-disease \
    && chown app:app /var/app-data /var/log/potato-disease

COPY .streamlit/ ./.streamlit/
COPY model/ ./model/
COPY potato_disease/ ./potato_disease/
COPY pages/ ./pages/
COPY app.py ./

# Non-secret defaults; secrets (APP_PASSWORD, GEMINI_API_KEY,
# STREAMLIT_SERVER_COOKIE_SECRET) come from the environment at run time only.
ENV MODEL_DIR=/app/model \
    APP_DATA_DIR=/var/app-data \
    MODEL_CACHE_DIR=/var/app-data/model-cache \
    MAX_UPLOAD_MB=20 \
    STREAMLIT_SERVER_HEADLESS=true \
    STREAMLIT_SERVER_ADDRESS=0.0.0.0 \
    STREAMLIT_SERVER_PORT=8501 \
    STREAMLIT_SERVER_FILE_WATCHER_TYPE=none \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false

USER 10001:10001
EXPOSE 8501

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; r = urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4); sys.exit(r.status != 200)"]

CMD ["streamlit", "run", "app.py", "--server.address=0.0.0.0", "--server.port=8501"]
