# Every target works on a fresh machine: `make setup` bootstraps uv when it is missing.
SHELL := /bin/bash
PORT ?= 8000
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
BIN := .venv/bin
PYTEST_ARGS ?=

.PHONY: setup demo test lint format system-deps clean deploy-check bench-load audit-deps

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet uv

$(BIN)/xinbao: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	@touch $@

setup: $(BIN)/xinbao

# The demo runs the real background path: `xinbao worker` (database task queue: mail to the
# console, group-chat messages) starts beside the server and is stopped when the server exits.
demo: setup
	$(BIN)/xinbao migrate --no-input
	$(BIN)/xinbao demo_data
	$(BIN)/xinbao worker --verbosity 0 & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	  XINBAO_DEBUG=1 $(BIN)/xinbao runserver 127.0.0.1:$(PORT)

# Debian packages the suite needs: Chromium and CJK fonts for the browser journeys, gettext for
# the translation catalog check, LibreOffice Writer and poppler-utils to render issues to PDF
# and their first page to PNG, libmagic1 to type uploads by their content (python-magic).
system-deps:
	@command -v chromium >/dev/null 2>&1 && command -v xgettext >/dev/null 2>&1 && command -v libreoffice >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 && fc-list :lang=zh 2>/dev/null | grep -q . && ldconfig -p | grep -q libmagic.so.1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk gettext libreoffice-writer-nogui poppler-utils libmagic1 >/dev/null; \
	  else \
	    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk gettext libreoffice-writer-nogui poppler-utils libmagic1 >/dev/null; \
	  fi; }

test: setup system-deps
	$(BIN)/pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

# R29: bandit over src and pip-audit over the locked dependencies (see .ci/audit-deps).
audit-deps: setup
	bash .ci/audit-deps

format: setup
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

# Django's deployment checklist with production settings. On a server, run it with the real
# environment file loaded (set -a; . /etc/xinbao/xinbao.env; make deploy-check); on a developer
# machine it fills in a throwaway key and host so the settings themselves are what is checked.
deploy-check: setup
	XINBAO_PRODUCTION=1 \
	XINBAO_SECRET_KEY="$${XINBAO_SECRET_KEY:-deploy-check-$$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=')}" \
	XINBAO_ALLOWED_HOSTS="$${XINBAO_ALLOWED_HOSTS:-xinbao.example.gov.cn}" \
	$(BIN)/xinbao check --deploy --fail-level WARNING

# The load benchmark (bench/bench_load.py): locust (the "load" dependency group) and nginx.
bench-load: setup
	$(UV) sync --frozen --group load
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; }
	$(BIN)/python bench/bench_load.py $(BENCH_ARGS)

clean:
	rm -rf .venv .tools var/static test-artifacts
