# Two entry points: `make study` runs the pipeline, `make test` runs the tests.
# Both create the virtual environment on first use (pinned by constraints.txt).
VENV      ?= .venv
PYTHON    := $(VENV)/bin/python
STAMP     := $(VENV)/.installed
# Offline machines: `make study MIRROR=../shared/datasets` reads the datasets from a local mirror.
MIRROR    ?=

export PATH := $(abspath $(VENV))/bin:$(PATH)

.PHONY: study test bench lint lock clean-venv

$(STAMP): pyproject.toml constraints.txt
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

study: $(STAMP)
ifeq ($(strip $(MIRROR)),)
	dvc repro
else
	dvc exp run -S 'data.mirror=$(MIRROR)'
endif

test: $(STAMP)
	$(PYTHON) -m pytest -q

bench: $(STAMP)
	$(PYTHON) bench/bench.py mnist
	$(PYTHON) bench/bench.py mlp

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Re-resolve the pinned versions (needs the package index).
lock: $(STAMP)
	$(PYTHON) -m pip freeze --exclude-editable | grep -v '^-e' > constraints.txt

clean-venv:
	rm -rf $(VENV)
