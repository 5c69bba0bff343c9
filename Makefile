# The two commands a newcomer needs:
#   make demo   installs into .venv, creates a SQLite database with demo data, and serves on :8000
#   make test   installs into .venv (with test tools) and runs the whole test suite on SQLite
# CI additionally runs the suite on PostgreSQL (make test-pg), see .ci/run.
# While working: make test-fast   the suite without the tests marked slow or browser (no Chromium needed)

PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
PORT   ?= 8000
DEMO_DB ?= sqlite:///./var/demo.db
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
ADMIN_PASSWORD ?= admin-pass-2026

.PHONY: demo test test-fast test-pg install install-test browser-deps lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'

demo: install
	mkdir -p var
	COMPLAINTS_DATABASE__URL=$(DEMO_DB) $(BIN)/complaints init --password $(ADMIN_PASSWORD)
	COMPLAINTS_DATABASE__URL=$(DEMO_DB) $(BIN)/complaints demo
	@echo "登录 http://127.0.0.1:$(PORT)/  管理员 admin / $(ADMIN_PASSWORD)；演示账号如 ats_op、ats_h1、ats_sup / demo-pass-2026"
	COMPLAINTS_DATABASE__URL=$(DEMO_DB) $(BIN)/complaints serve --port $(PORT)

# Browser tests drive Debian's chromium; without fonts-noto-cjk Chinese renders as boxes (and letters
# cannot be set). The annex print check renders 附件1–3 through LibreOffice Calc (soffice); the annex and
# letter tests read the PDFs back with poppler's pdftotext.
BROWSER_PACKAGES = chromium fonts-noto-cjk libreoffice-calc poppler-utils
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "Noto Serif CJK" || \
	    ! command -v soffice >/dev/null || ! command -v pdftotext >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get install -y -qq $(BROWSER_PACKAGES) >/dev/null 2>&1 || \
	     (apt-get update -qq && apt-get install -y -qq $(BROWSER_PACKAGES) >/dev/null)); \
	  else echo "请先安装 $(BROWSER_PACKAGES)（sudo apt-get install $(BROWSER_PACKAGES)）"; exit 1; fi; \
	fi

test: install-test browser-deps
	$(BIN)/python -m pytest -q

test-fast: install-test
	$(BIN)/python -m pytest -q -m "not slow and not browser"

test-pg: install-test browser-deps
	TEST_DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest -q

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy complaints workflows

bench: install-test
	$(BIN)/python bench/bench_deadlines.py
	$(BIN)/python bench/bench_register.py
	$(BIN)/python bench/bench_overdue.py

clean:
	rm -rf $(VENV) var .pytest_cache
