# Limelight: the two commands a fresh machine needs are `make demo` and `make test`.
PYTHON ?= python3.11
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: venv demo test lint typecheck bench bench-serving clean

# torch==2.13.0 first: it is the CPU build on disk; anything that depends on torch installed
# before it would pull a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e ".[embeddings,neural,postgres,dev]"
	touch $@

venv: $(VENV)/.installed

demo: venv
	$(VENV)/bin/limelight demo --host 127.0.0.1 --port 8000

# Two pytest workers (pytest-xdist): most end-to-end tests wait on servers they started, so two
# workers overlap that waiting even on 2 cores. TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 2

test: venv
	$(VENV)/bin/ruff check limelight tests benchmarks
	$(VENV)/bin/mypy
	$(PY) -m pytest -n $(TEST_WORKERS) --durations=15

lint: venv
	$(VENV)/bin/ruff check limelight tests benchmarks
	$(VENV)/bin/ruff format --check limelight tests benchmarks

typecheck: venv
	$(VENV)/bin/mypy

bench: venv
	$(PY) benchmarks/text_classification.py
	$(PY) benchmarks/tabular.py

# Serving benchmark (not a test): Limelight vs FastAPI, LitServe, BentoML, MLServer, Ray Serve.
# Needs wrk (apt-get install wrk). First run installs one virtualenv per alternative (~10 min).
bench-serving: venv
	$(PIP) install --quiet matplotlib==3.11.2
	benchmarks/serving/setup_envs.sh
	$(PY) benchmarks/serving/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
