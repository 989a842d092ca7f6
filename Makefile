# leakline — two commands on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
LEAKLINE := $(VENV)/bin/leakline
DEMO_DIR ?= var/demo
DEMO_SUBSCRIBERS ?= 2000
DEMO_DAYS ?= 7
PYTEST_ARGS ?=
BENCH_ARGS ?=

.PHONY: help venv demo test test-fast bench bench-floor app mlflow-ui lint clean

help:
	@echo "make demo       set up .venv, generate demo data, run the whole pipeline, print a summary"
	@echo "make test       run the test suite (what CI runs)"
	@echo "make bench      measure throughput and memory per stage (bench/README.md)"
	@echo "make bench-floor  the 4M bench, kept, then the least-work Spark queries on its lake"
	@echo "make app        open the analyst app on the demo lakehouse"
	@echo "make mlflow-ui  open the MLflow UI on the demo tracking store"
	@echo "make lint       ruff"

$(VENV)/.installed: pyproject.toml
	@command -v java >/dev/null || { echo "Java 17+ is required (apt-get install openjdk-17-jre-headless)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

venv: $(VENV)/.installed

demo: venv
	rm -rf $(DEMO_DIR)
	$(LEAKLINE) generate --out $(DEMO_DIR) --subscribers $(DEMO_SUBSCRIBERS) --days $(DEMO_DAYS) --seed 7
	$(LEAKLINE) pipeline --landing $(DEMO_DIR)/landing --lakehouse $(DEMO_DIR)/lakehouse --truth $(DEMO_DIR)/truth
	@$(LEAKLINE) users add analyst --role analyst --password analyst-demo --replace >/dev/null
	@$(LEAKLINE) users add viewer --role viewer --password viewer-demo --replace >/dev/null
	@$(LEAKLINE) users add admin --role admin --password admin-demo --replace >/dev/null
	@echo "Demo sign-in for the app (make app): analyst / analyst-demo, viewer / viewer-demo, admin / admin-demo"

test: venv
	$(VENV)/bin/pytest $(PYTEST_ARGS)

test-fast: venv
	$(VENV)/bin/pytest -m "not slow and not browser" $(PYTEST_ARGS)

bench: venv
	$(PY) bench/run.py $(BENCH_ARGS)

FLOOR_RECORDS ?= 4000000
bench-floor: venv
	$(PY) bench/run.py --records $(FLOOR_RECORDS) --app-cases 0 --keep --workdir var/bench
	$(PY) bench/floor.py var/bench/bench-$(FLOOR_RECORDS)

app: venv
	LEAKLINE_LAKEHOUSE=$(abspath $(DEMO_DIR))/lakehouse $(VENV)/bin/streamlit run app/streamlit_app.py

mlflow-ui: venv
	$(VENV)/bin/mlflow ui --backend-store-uri sqlite:///$(abspath $(DEMO_DIR))/lakehouse/mlflow/mlflow.db --port 5000

lint: venv
	$(VENV)/bin/ruff check jobs models app tests bench

clean:
	rm -rf var build dist *.egg-info
