# The portfolio-graph API. Built by docker-compose.yml, which pairs it with Neo4j 5;
# without NEO4J_URI the same image runs the embedded engine under PORTFOLIO_DATA_DIR.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORTFOLIO_DATA_DIR=/var/lib/portfolio-graph

RUN groupadd --system --gid 10001 portfolio \
    && useradd --system --uid 10001 --gid portfolio --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin portfolio \
    && install -d -o portfolio -g portfolio -m 0700 /var/lib/portfolio-graph

# Install from a build directory that is removed afterwards: the running app
# imports only the installed package, never a writable source tree.
WORKDIR /build
COPY pyproject.toml README.md ./
COPY api/ api/
COPY graph/ graph/
COPY rules/ rules/
RUN pip install . && rm -rf /build

WORKDIR /var/lib/portfolio-graph
USER portfolio:portfolio

EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=3)"]
CMD ["portfolio-graph", "serve", "--host", "0.0.0.0", "--port", "8000"]
