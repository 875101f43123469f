# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,heic]'
	@touch $(STAMP)

install: $(STAMP)

# `portfolio serve`: without LINE credentials (in the environment or .env) a demo school on the
# local LINE platform; with them, checks the settings, migrates, checks Redis, then starts every
# Procfile process it needs, stopping with one line at the first failure.
run: install
	@exec $(BIN)/portfolio serve

test: install
	$(BIN)/pytest

LINTED := bot handlers flows school storage jobs runtime rules media catalogue dev tests bench scripts

lint: install
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/ruff check $(LINTED)

bench: install
	$(BIN)/python bench/webhook_ack.py
	$(BIN)/python bench/photo_fit.py
	$(BIN)/python bench/upload_memory.py
	$(BIN)/python bench/fanout.py
	$(BIN)/python bench/semester_quota.py
	$(BIN)/python bench/peak_month.py
	$(BIN)/python bench/end_to_end.py

clean:
	rm -rf $(VENV) instance .pytest_cache
