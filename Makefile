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

# With LINE credentials: migrate and serve with gunicorn (one process without REDIS_URL, since
# jobs then run on its own thread). Without: a demo school on the local LINE platform.
run: install
	@if [ -n "$$LINE_CHANNEL_SECRET" ]; then \
		$(BIN)/portfolio db upgrade && \
		workers=1; [ -n "$$REDIS_URL" ] && workers=2; \
		exec $(BIN)/gunicorn --bind 0.0.0.0:$${PORT:-8000} --workers $$workers --threads 4 \
			'bot:create_app()'; \
	else \
		exec $(BIN)/portfolio demo; \
	fi

# The console's browser tests drive Debian's chromium (Playwright comes with the test extra).
browser:
	@command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || \
		(apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || \
		echo "could not install chromium: the console's browser tests will skip (fail under CI)"

test: install browser
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check bot handlers flows school runtime rules storage media catalogue jobs dev tests bench

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
