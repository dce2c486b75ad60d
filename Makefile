# One obvious command per chore. Each target sets up .venv itself on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Dependencies install from lock files pinned with hashes (`make lock` refreshes them): a new
# upstream release changes nothing until the locks are refreshed and the suite passes on them.
LOCK := requirements.lock
TEST_LOCK := requirements-test.lock
STAMP := $(VENV)/.installed-test
RUNTIME_STAMP := $(VENV)/.installed-runtime
SHARED ?= ../shared
PIP_COMPILE = $(BIN)/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe \
	--no-emit-index-url --no-emit-find-links

.PHONY: demo test check bench eval run lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The lock holds setuptools too, so the editable install builds with it (no unhashed download).
$(STAMP): $(TEST_LOCK) pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r $(TEST_LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

$(RUNTIME_STAMP): $(LOCK) pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

demo: $(RUNTIME_STAMP)  ## offline demo: sample feeds on 127.0.0.1, console chat, one polling cycle (runtime deps only)
	$(BIN)/veille demo

run: $(RUNTIME_STAMP)  ## run the bot with the settings in .env
	$(BIN)/veille run

lock: | $(BIN)/python  ## refresh requirements.lock and requirements-test.lock to the newest releases allowed by pyproject.toml
	$(BIN)/python -m pip install --quiet pip-tools
	$(PIP_COMPILE) --upgrade -o $(LOCK) pyproject.toml
	$(PIP_COMPILE) --upgrade --extra test -c $(LOCK) -o $(TEST_LOCK) pyproject.toml

test: $(STAMP)  ## the whole suite (loopback only)
	$(BIN)/python -m pytest

check: $(STAMP)  ## lint and type-check
	$(BIN)/ruff check bot adapters digests tests bench
	$(BIN)/mypy bot adapters digests

bench: $(STAMP)  ## benchmarks: print figures, assert nothing about speed
	@for script in bench/*_bench.py bench/soak.py; do \
		[ -f "$$script" ] || continue; \
		echo "== $$script"; $(BIN)/python "$$script" || exit 1; \
	done

eval: $(STAMP)  ## score digests against ../shared/corpus/dev: roles (gold v2), recall, five folds (skipped when absent)
	@if [ -d "$(SHARED)/corpus/dev" ]; then \
		echo "== score_roles (gold v2: precision, roles, party flips)"; \
		$(BIN)/python $(SHARED)/tools/score_roles.py $(SHARED)/corpus/dev --quiet --cmd "$(BIN)/veille digest --json"; \
		echo "== score_digests (recall in the rendered text)"; \
		$(BIN)/python $(SHARED)/tools/score_digests.py $(SHARED)/corpus/dev --cmd "$(BIN)/veille digest --json" | tail -1; \
		echo "== five folds"; \
		$(BIN)/python bench/eval_folds.py $(SHARED)/corpus/dev --cmd "$(BIN)/veille digest --json"; \
	else echo "eval skipped: $(SHARED)/corpus/dev not found"; fi

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
