# Everything a fresh machine needs, from Python 3 and make alone.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit bench generate clean redis-server

$(STAMP): pyproject.toml .ci/constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c .ci/constraints.txt -e '.[dev]' || { \
	  echo "The pinned set (.ci/constraints.txt, resolved on Python 3.11) does not fit this Python;" \
	       "installing the newest compatible versions instead."; \
	  $(BIN)/python -m pip install --quiet -e '.[dev]'; }
	touch $(STAMP)

## The main job: a tour of the client on the embedded emulator (never the internet).
demo: $(STAMP)
	$(BIN)/heygen-async demo

## The whole suite: lint, strict typing, tests.
test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check heygen_async tests benchmarks examples tools
	$(BIN)/ruff format --check heygen_async tests benchmarks examples tools

typecheck: $(STAMP)
	$(BIN)/mypy heygen_async tests examples benchmarks tools

unit: $(STAMP) redis-server
	$(BIN)/pytest -q

## Debian's redis-server, if missing: the Redis tests start and stop their own on 127.0.0.1.
redis-server:
	./.ci/ensure-redis

## Rebuild heygen_async/_resources/ from the endpoint table (tests/client/test_codegen.py checks it is current).
generate: $(STAMP)
	$(BIN)/python -m tools.codegen
	$(BIN)/python -m tools.v3gen

## Speed and memory, measured as ratios against baselines in the same run (see benchmarks/RESULTS.md).
bench: $(STAMP) redis-server
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV)
