# stance: `make train` then `make test` on a fresh machine. See README.md.
PYTHON     ?= python3
VENV       ?= .venv
BIN        := $(VENV)/bin
# Installed before anything that pulls torch. GPU users: make TORCH_SPEC="torch==2.13.0" \
#   TORCH_INDEX="--index-url https://download.pytorch.org/whl/cu126" install
TORCH_SPEC ?= torch==2.13.0
TORCH_INDEX ?=
# The lock: exact versions with hashes of everything but torch (TORCH_SPEC installs it),
# for CPython 3.11 on Linux x86_64. requirements/dev.lock = the default install + the dev
# extra (what `make install` installs); requirements/default.lock = the default install;
# requirements/installer.lock = the installer. `make lock` refreshes them from pyproject.toml.
LOCK       ?= requirements/dev.lock
# uv installs the lock fast; INSTALLER=pip installs the same files with pip alone.
INSTALLER  ?= uv
# make lock: torch's dependencies are resolved against the CPU build of LOCK_TORCH, found
# through pip's find-links (the local wheel folder); UPGRADE=1 moves every pin to the newest.
LOCK_TORCH ?= torch==2.13.0+cpu
LOCK_FIND_LINKS ?= $(shell $(PYTHON) -m pip config get global.find-links 2>/dev/null)
UPGRADE    ?=
ARGS       ?=
# Test processes (pytest-xdist): 0 = serial. The suite is CPU-bound in process start-up; on 2
# cores 3 workers were no faster than 2 (646 s against 603-651 s).
TEST_WORKERS ?= 2
PORT       ?= 5000
EXTERNAL   ?= ../shared/external/plover_gsr_stance.jsonl
MODEL      ?= models/latest

.PHONY: install lock lint train test ui evaluate eval-external eval-realdev eval-documents errors documents predict report holder-accuracy check-data learning-curve compare export bench bench-memory sample ingest adapt al-sim clean

install: $(BIN)/.installed

# 1. the lock, exact versions checked against their hashes, no resolver: nothing pulls torch;
# 2. torch, whose dependencies the lock has already installed; 3. stance itself, editable;
# then `pip check`: a dependency added to pyproject.toml but not to the lock fails here.
$(BIN)/.installed: pyproject.toml $(LOCK) $(if $(filter uv,$(INSTALLER)),$(BIN)/uv)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
ifeq ($(INSTALLER),uv)
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps --require-hashes -r $(LOCK)
else
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r $(LOCK)
endif
	$(BIN)/python -m pip install --quiet $(TORCH_SPEC) $(TORCH_INDEX)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check || { echo "error: $(LOCK) does not satisfy pyproject.toml: run make lock"; exit 1; }
	touch $@

$(BIN)/uv: requirements/installer.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r requirements/installer.lock
	touch $@

# Refresh the locks from pyproject.toml, keeping every pin that still fits (UPGRADE=1: newest).
COMPILE = $(BIN)/uv pip compile --quiet --generate-hashes --python $(BIN)/python --custom-compile-command "make lock"
lock: $(BIN)/uv
	echo "$(LOCK_TORCH)" > $(VENV)/lock-torch.txt
	$(COMPILE) pyproject.toml --extra dev --no-emit-package torch -c $(VENV)/lock-torch.txt \
	  $(if $(LOCK_FIND_LINKS),--find-links $(LOCK_FIND_LINKS)) $(if $(UPGRADE),--upgrade) -o requirements/dev.lock
	$(COMPILE) pyproject.toml --no-emit-package torch -c $(VENV)/lock-torch.txt -c requirements/dev.lock \
	  $(if $(LOCK_FIND_LINKS),--find-links $(LOCK_FIND_LINKS)) -o requirements/default.lock
	echo uv | $(COMPILE) - -c requirements/dev.lock -o requirements/installer.lock

# Lint (ruff) and type checks (mypy on src/): CI runs this before the tests.
lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

train: install
	$(BIN)/python scripts/train.py $(ARGS)

test: install
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile $(ARGS)

check-data: install
	$(BIN)/python scripts/check_data.py $(ARGS)

evaluate: install
	$(BIN)/python scripts/evaluate.py model=$(MODEL) $(ARGS)

eval-external: install
	@test -f $(EXTERNAL) || { echo "error: $(EXTERNAL) not found — set EXTERNAL=<path to plover_gsr_stance.jsonl>"; exit 2; }
	$(BIN)/python scripts/evaluate.py model=$(MODEL) data=$(EXTERNAL) run_name=external-plover $(ARGS)

# Real sentences (../shared/realdev): macro-F1, per-label and per-source scores, lenient score,
# ECE and reliability diagram, tracked in MLflow.
eval-realdev: install
	$(BIN)/python scripts/evaluate.py model=$(MODEL) split=null eval_sets=[realdev] $(ARGS)

# The predict path (split + classify) on the document corpus's test documents, scored by offsets.
eval-documents: install
	$(BIN)/python scripts/evaluate.py model=$(MODEL) split=null documents=data/documents/test.jsonl $(ARGS)

# The realdev errors grouped by gold -> predicted and source, with nearest training sentences.
errors: install
	$(BIN)/python scripts/errors.py model=$(MODEL) $(ARGS)

# Rebuild data/documents/{train,validation,test}.jsonl from data/documents/src (stdlib only).
documents:
	$(PYTHON) scripts/build_documents.py $(ARGS)

learning-curve: install
	$(BIN)/python scripts/learning_curve.py $(ARGS)

export: install
	$(BIN)/python scripts/export.py model=$(MODEL) $(ARGS)

bench: install
	$(BIN)/python benchmarks/predict_bench.py --model $(MODEL) $(ARGS)

# Peak RSS of predict on a generated 1 GB dump (about 15 min; 2 GB of disk in benchmarks/work)
bench-memory: install
	$(BIN)/python benchmarks/memory_bench.py --model $(MODEL) $(ARGS)

compare: install
	$(BIN)/python scripts/compare.py $(ARGS)

predict: install
	$(BIN)/python scripts/predict.py model=$(MODEL) $(ARGS)

# Stance holders, timelines, heat map and shifts from a predict output:
#   make report ARGS="input=<predict output> output=<folder>"
report: install
	$(BIN)/python scripts/report.py $(ARGS)

# Holder accuracy of the gazetteer rule against the `actor` field of the corpus.
holder-accuracy: install
	$(BIN)/python scripts/holder_accuracy.py $(ARGS)

# The labelling loop (README "Adapting to your own text"): ARGS="input=... output=..." etc.
sample: install
	$(BIN)/python scripts/sample.py $(ARGS)

ingest: install
	$(BIN)/python scripts/ingest.py $(ARGS)

adapt: install
	$(BIN)/python scripts/adapt.py $(ARGS)

# Active-learning simulation on a held-out register of the document corpus (~25 CPU-minutes)
al-sim: install
	$(BIN)/python benchmarks/al_sim.py $(ARGS)

# The MLflow UI on the project's local store (2 processes, ~0.5 GB).
ui: install
	MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false $(BIN)/mlflow ui \
	  --backend-store-uri sqlite:///$(CURDIR)/mlflow.db --host 127.0.0.1 --port $(PORT) --workers 1

clean:
	rm -rf outputs multirun .pytest_cache
