# Two entry points: `make study` runs the pipeline, `make test` runs the tests.
# Both create the virtual environment on first use (pinned by constraints.txt).
VENV      ?= .venv
PYTHON    := $(VENV)/bin/python
STAMP     := $(VENV)/.installed
# Offline machines: `make study MIRROR=../shared/datasets` reads the datasets from a local
# mirror. Where the bytes come from is transport, not a param: it reaches the download
# stage as $OPTSTUDY_MIRROR and changes no result (MNIST there is byte-identical).
MIRROR    ?=

export PATH := $(abspath $(VENV))/bin:$(PATH)
ifneq ($(strip $(MIRROR)),)
export OPTSTUDY_MIRROR := $(abspath $(MIRROR))
endif

.PHONY: help check-mirror study exp test bench compare lint lock clean-venv

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

# A mirror that is neither a folder nor a URL stops here, before DVC removes any output.
check-mirror:
	@case "$(MIRROR)" in ""|http://*|https://*) ;; *) test -d "$(MIRROR)" || { \
	  echo "error: MIRROR=$(MIRROR): no such folder (expected one folder per dataset with SHA256SUMS)" >&2; \
	  exit 2; } ;; esac

study: $(STAMP) check-mirror  ## run the pipeline (dvc repro); MIRROR=<folder> for offline data
	@stale="$$($(PYTHON) -m optstudy.core.data check-source)" || exit 2; \
	for stage in $$stale; do echo "source changed: forcing $$stage"; dvc repro -f -s $$stage || exit 1; done
	dvc repro

# `dvc exp run -S` writes the new values into params.yaml before the pipeline's first stage
# checks them, and leaves them there when they are refused; this puts the file back.
exp: $(STAMP) check-mirror  ## dvc exp run -S for each of S="key=value ..."; a refused run restores params.yaml
	@test -n "$(S)" || { echo "error: give the values to set, e.g. make exp S='mnist_lr.epochs=2'" >&2; exit 2; }
	@before="$$(mktemp)"; cp params.yaml "$$before"; \
	if dvc exp run $(foreach s,$(S),-S '$(s)'); then rm -f "$$before"; else status=$$?; \
	  cp "$$before" params.yaml; rm -f "$$before"; \
	  echo "error: the experiment failed; params.yaml restored as it was" >&2; exit $$status; fi

# On every core (pytest-xdist); worksteal: a worker that runs out takes over queued tests.
# More pytest options: make test PYTEST_ARGS='--durations=10 -k contract'.
test: $(STAMP)  ## the test suite (offline, generated fixture data), in parallel on every core
	$(PYTHON) -m pytest -q -n auto --dist worksteal $(PYTEST_ARGS)

bench: $(STAMP) check-mirror  ## speed vs the seed-style loop, % of matmul peak, study FLOPs (MIRROR=<folder> ok)
	$(PYTHON) bench/bench.py mnist
	$(PYTHON) bench/bench.py mlp

compare: $(STAMP)  ## experiments side by side: changed params, headline metrics
	$(PYTHON) -m optstudy.compare

lint: $(STAMP)  ## ruff check and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Re-resolve the pinned versions (needs the package index).
lock: $(STAMP)
	$(PYTHON) -m pip freeze --exclude-editable | grep -v '^-e' > constraints.txt

clean-venv:
	rm -rf $(VENV)
