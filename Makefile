# Every target works on a fresh machine: `make setup` bootstraps uv when it is missing.
SHELL := /bin/bash
PORT ?= 8000
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
BIN := .venv/bin
PYTEST_ARGS ?=

.PHONY: setup demo test lint format system-deps clean audit-deps

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet uv

$(BIN)/xinbao: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	@touch $@

setup: $(BIN)/xinbao

demo: setup
	$(BIN)/xinbao migrate --no-input
	$(BIN)/xinbao demo_data
	XINBAO_DEBUG=1 $(BIN)/xinbao runserver 127.0.0.1:$(PORT)

# Debian packages the suite needs: Chromium and CJK fonts for the browser journeys, gettext for
# the translation catalog check, LibreOffice Writer and poppler-utils to render issues to PDF
# and their first page to PNG.
system-deps:
	@command -v chromium >/dev/null 2>&1 && command -v xgettext >/dev/null 2>&1 && command -v libreoffice >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 && fc-list :lang=zh 2>/dev/null | grep -q . || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk gettext libreoffice-writer-nogui poppler-utils >/dev/null; \
	  else \
	    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk gettext libreoffice-writer-nogui poppler-utils >/dev/null; \
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

clean:
	rm -rf .venv .tools var/static test-artifacts
