# One obvious command per chore. Each target sets up .venv itself on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SHARED ?= ../shared

.PHONY: demo test check bench eval run clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)  ## offline demo: sample feeds on 127.0.0.1, console chat, one polling cycle
	$(BIN)/veille demo

run: $(STAMP)  ## run the bot with the settings in .env
	$(BIN)/veille run

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

eval: $(STAMP)  ## score digests against ../shared/corpus/dev (skipped when absent)
	@if [ -d "$(SHARED)/corpus/dev" ]; then \
		$(BIN)/python $(SHARED)/tools/score_digests.py $(SHARED)/corpus/dev --cmd "$(BIN)/veille digest --json"; \
	else echo "eval skipped: $(SHARED)/corpus/dev not found"; fi

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
