# Developer entry points; the README names `make run` and `make test`.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv engine engine-clean run test lint typecheck bench vectors system-deps kubectl-matrix

venv: $(STAMP)

# Reinstall only when pyproject.toml is newer than the last install.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -e '.[dev]'
	touch $(STAMP)

# The engine compiled to C by mypyc (tools/compile_engine.py), beside its sources; again whenever
# one of them changed. routing/engine/native.py runs plain Python wherever the compile is missing
# or older than a source, so a forgotten `make engine` costs speed, never correctness.
ENGINE_MANIFEST := routing/engine/compiled.json
ENGINE_SOURCES := $(wildcard routing/engine/*.py)

engine: $(ENGINE_MANIFEST)

$(ENGINE_MANIFEST): $(STAMP) $(ENGINE_SOURCES) tools/compile_engine.py
	$(BIN)/python tools/compile_engine.py

engine-clean: venv
	$(BIN)/python tools/compile_engine.py --clean

# The embedded default: SQLite, in-memory channel layer, the simulated demo cluster watched
# through the real Kubernetes client (or TRAFFICLENS_KUBECONFIG's cluster), jobs in-process.
# On 127.0.0.1:8000, or the port of `make run PORT=8080` or of TRAFFICLENS_PORT in the
# environment (which manage.py serve reads). PORT counts only on make's command line: a PORT
# that some other tool left in the environment must not move the dashboard.
run: venv
	@$(MAKE) --no-print-directory engine || echo "make run: the engine was not compiled (see above); it runs as plain Python"
	DEBUG=true $(BIN)/python manage.py serve $(if $(filter command line,$(origin PORT)),127.0.0.1:$(PORT))

test: venv engine system-deps kubectl-matrix
	$(BIN)/python -m pytest -q

# Older kubectl releases for tests/kube/test_kubectl_matrix.py, each in .venv/kubectl-versions/
# (the venv's own kubectl is the newest). Offline it says what it could not install and goes
# on: the matrix tests of that release then fail in CI and are skipped elsewhere.
kubectl-matrix: venv
	$(BIN)/python tests/kube/kubectl_binaries.py

# What the tests need from the system: Debian's chromium (browser tests, driven by Playwright;
# Playwright's own browser download is not used), nginx (compose's proxy, run natively) and
# wrk (the API benchmark's load; tests/test_bench_smoke.py runs it small),
# prometheus (scrapes the simulated cluster's /metrics: tests/volumes, the demo's measured
# traffic; and TrafficLens's own: tests/deploy, with the package's promtool for the alert rules).
# Its package's service is not used: routing/volumes/local_prometheus.py runs the binary on a
# free loopback port with its own config and storage.
system-deps:
	@test -x /usr/bin/chromium || { echo "installing chromium"; \
		apt-get install -y chromium >/dev/null || { apt-get update >/dev/null && apt-get install -y chromium >/dev/null; }; }
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || { echo "installing nginx-light"; \
		apt-get install -y nginx-light >/dev/null || { apt-get update >/dev/null && apt-get install -y nginx-light >/dev/null; }; }
	@{ command -v promtool >/dev/null || test -x /usr/bin/promtool; } && { command -v prometheus >/dev/null || test -x /usr/bin/prometheus; } || { echo "installing prometheus"; \
		apt-get install -y --no-install-recommends prometheus >/dev/null || { apt-get update >/dev/null && apt-get install -y --no-install-recommends prometheus >/dev/null; }; }
	@command -v wrk >/dev/null || { echo "installing wrk"; \
		apt-get install -y wrk >/dev/null || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }; }

# Ruff's rules and format, the Dockerfile's best practices (hadolint), and no model change
# without its migration.
lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint Dockerfile
	DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run

# mypy: the engine strictly, the Django side with its bodies checked (pyproject.toml). The
# django-stubs plugin imports dashboard.settings, which wants DEBUG=true outside production.
typecheck: venv
	DEBUG=true $(BIN)/mypy routing dashboard manage.py

# analyze against a bare parse on the clusters issue 16 states its targets for (docs/benchmarks.md)
bench: venv engine
	$(BIN)/python benchmarks/bench_analyze.py --row limits --row no-pods

vectors: venv
	$(BIN)/python ../shared/tools/check_vectors.py ../shared/vectors
