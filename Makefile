# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test lint bench clean browser

$(STAMP): pyproject.toml package.json package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,heic]'
	# The console's front-end packages (pinned in package-lock.json), served by the app itself.
	npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $(STAMP)

install: $(STAMP)

# `portfolio serve`: without LINE credentials (in the environment or .env) a demo school on the
# local LINE platform; with them, checks the settings, migrates, checks Redis, then starts every
# Procfile process it needs, stopping with one line at the first failure.
run: install
	@exec $(BIN)/portfolio serve

# The console's browser tests drive Debian's chromium (Playwright comes with the test extra).
browser:
	@command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || \
		(apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || \
		echo "could not install chromium: the console's browser tests will skip (fail under CI)"
	@# The screenshots (tests/artifacts/) are for people to look at: they need a Chinese font.
	@fc-list :lang=zh-tw 2>/dev/null | grep -q . || \
		(apt-get update -qq && apt-get install -y -qq fonts-noto-cjk >/dev/null 2>&1) || \
		echo "could not install fonts-noto-cjk: screenshots will show boxes for Chinese text"

test: install browser
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
	$(BIN)/python bench/console.py

clean:
	rm -rf $(VENV) instance .pytest_cache
