# Two commands matter (see README): `make pafilt` runs the main job, `make test` runs the tests.
SHELL := /bin/bash
PY    ?= python3
VENV  := .venv
BIN   := $(VENV)/bin
# Data root: the shared offline data beside the checkout when present, else ./data (downloads when online).
ADVFILTER_DATA ?= $(if $(wildcard ../shared/data/cifar10),$(abspath ../shared/data),$(CURDIR)/data)
export ADVFILTER_DATA
# OpenMP's idle-thread spin (GOMP_SPINCOUNT=10000) and the threads per process come from the library itself
# (advfilter.threads: `import advfilter` sets the spin before torch loads; busy runs share the cores), so papermill and
# JupyterLab get them too. `make ... GOMP_SPINCOUNT=0` still overrides the spin (tools/bench_omp.py prints both).
ifdef GOMP_SPINCOUNT
export GOMP_SPINCOUNT
endif
ifeq ($(origin RUN), undefined)
RUN := $(shell date +%Y%m%d-%H%M%S)# once: every line of a recipe names the same run
endif
PROFILE ?= smoke

.PHONY: install pafilt study test lab clean-check
install: $(VENV)/.installed
$(VENV)/.installed: requirements-lock.txt setup.py settings.ini
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-lock.txt
	$(BIN)/pip install -q --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name advfilter --display-name "Python (advfilter)" >/dev/null
	touch $@

## the main job: the PA-Filt study (nbs/04_pafilt.ipynb) at PROFILE (default smoke); results in outputs/04_pafilt/$(RUN)/
pafilt: install
	$(MAKE) --no-print-directory study NB=04_pafilt

## any study notebook: make study NB=02_empirical_study PROFILE=micro (ARGS: more papermill options, e.g. ARGS="-p K 3")
## prints the run folder, then each section of the notebook as it starts and the cells' output (papermill --log-output);
## a run that fails, even before its first cell, leaves status.json 'failed' in its folder
OUT = outputs/$(NB)/$(RUN)
study: install
	@echo "run folder: $(OUT)/  (status.json: running / completed / failed; the executed notebook: $(OUT)/$(NB).ipynb)"
	@mkdir -p $(OUT)
	@set -o pipefail; $(BIN)/papermill -k advfilter --cwd nbs --log-output --no-progress-bar --log-level INFO \
	    nbs/$(NB).ipynb $(OUT)/$(NB).ipynb -p profile $(PROFILE) -p run $(RUN) $(ARGS) 2>&1 \
	  | $(BIN)/python -u -c "import sys; from advfilter.runs import follow_stages; follow_stages('$(OUT)/$(NB).ipynb', sys.stdin)" \
	  || { $(BIN)/python -c "from advfilter.runs import mark_failed; mark_failed('$(OUT)', 'papermill failed: see $(OUT)/$(NB).ipynb')"; \
	       echo "FAILED: $(OUT)/ (status.json, $(NB).ipynb)"; exit 1; }
	@echo "done: $(OUT)/"

## the tests: nbdev_test on every library notebook + each study notebook end to end at the micro profile
test: install
	$(BIN)/python tools/run_tests.py $(ARGS)

lab: install
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS) nbs

# ---- the docs (offline site, browser check, results snapshot) ----
.PHONY: docs check-docs snapshot
SNAPSHOT_OTHERS ?= smoke

## the offline docs site: Sphinx + MyST-NB render nbs/ (study pages from the snapshot docs/snapshot/) into site/
docs: install
	$(BIN)/python tools/build_docs.py $(DOCS_ARGS)

## check site/ in headless Chromium (Debian's `chromium`): pages, tables, figures, images, links; screenshots in site/_check/
check-docs: docs
	$(BIN)/python tools/check_site.py

## refresh the committed results snapshot docs/snapshot/: 04_pafilt at PROFILE (smoke), the other studies at SNAPSHOT_OTHERS
snapshot: install
	SNAPSHOT_COMMAND="make snapshot PROFILE=$(PROFILE) SNAPSHOT_OTHERS=$(SNAPSHOT_OTHERS)$(if $(SNAPSHOT_ARGS), SNAPSHOT_ARGS='$(SNAPSHOT_ARGS)')" $(BIN)/python tools/snapshot.py \
	    --profile $(SNAPSHOT_OTHERS) --profile-for 04_pafilt=$(PROFILE) $(SNAPSHOT_ARGS)
