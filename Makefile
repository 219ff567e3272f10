# Co-op Stock. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app marketplace
export MARKETPLACE_PORT ?= 5000
export MARKETPLACE_STRIPE_PORT ?= 8420

.DEFAULT_GOAL := help
.PHONY: help demo install install-test seed migrate test lint typecheck pytest fast browser axe nginx exiftool demo-photos lock clean-demo mutants hosts messages pdf-fonts

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The demo extra brings localstripe for the Stripe emulator (stripe_emulator/, run from the
# checkout); a production install (pip install -c constraints.txt .) leaves it out.
$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install --quiet -c constraints.txt -e '.[demo]'
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

install: $(VENV)/.installed ## Create .venv and install the app and its demo tools (pinned by constraints.txt)

install-test: $(VENV)/.installed-test ## Install the app and the test tools

migrate: install ## Bring the database up to date
	$(FLASK) db upgrade

seed: migrate demo-photos ## Add the demo data (keeps what is there)
	$(FLASK) demo seed

demo: seed pdf-fonts ## Install, migrate, seed, then run Redis (from its wheel), web, workers, beat and the Stripe emulator
	@echo
	@echo "  Co-op Stock is starting on http://127.0.0.1:$(MARKETPLACE_PORT)"
	@echo "  (Stripe emulator on http://127.0.0.1:$(MARKETPLACE_STRIPE_PORT); press Ctrl-C to stop everything)"
	@echo
	@$(BIN)/python -m marketplace.demo_runner

demo-photos: ## Install Debian's Lomiri wallpapers, the demo's photographs (CC BY, BY-SA, CC0), when missing
	@test -f /usr/share/backgrounds/Kleiber_by_Lukas_Baubkus.jpg -a -f /usr/share/backgrounds/life_by_Aitzol_Berasategi.jpg || \
	  [ -n "$$MARKETPLACE_DEMO_PHOTO_DIR" ] || { \
	  echo "Installing the demo's photographs (lomiri-wallpapers-16.04 and -20.04)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    lomiri-wallpapers-16.04 lomiri-wallpapers-20.04 >/dev/null; }

pdf-fonts: ## Install Debian's DejaVu fonts, which the PDFs embed (any language's text, "€"), when missing
	@test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf -a -f /usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf || { \
	  echo "Installing fonts-dejavu-core for the PDFs"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core >/dev/null; }

browser: ## Install Debian's Chromium for the browser tests, when missing
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

axe: ## Install axe-core (pinned in tests/e2e/axe/package-lock.json) for the browser tests' accessibility check
	@test -f tests/e2e/axe/node_modules/axe-core/axe.min.js || \
	  npm ci --prefix tests/e2e/axe --no-audit --no-fund --loglevel=error

exiftool: ## Install Debian's ExifTool, the independent reader of delivered files' metadata, when missing
	@command -v exiftool >/dev/null 2>&1 || { \
	  echo "Installing exiftool for the delivery tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libimage-exiftool-perl >/dev/null; }

nginx: ## Install Debian's nginx for the proxy test (deploy/nginx.conf), when missing
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { \
	  echo "Installing nginx for the proxy test"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; \
	  systemctl disable --now nginx >/dev/null 2>&1 || true; }

lint: install-test ## ruff (lint, format check) and the import contracts of pyproject.toml
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install-test ## mypy on marketplace/ and workers/
	$(BIN)/mypy

pytest: install-test browser axe nginx exiftool demo-photos pdf-fonts ## The whole pytest suite: the fast tier beside the services, browser and hosts tiers (tests/tiers.py)
	$(BIN)/python -m tests.tiers

fast: install-test exiftool demo-photos pdf-fonts ## Only the fast tier (SQLite, no servers, no browser)
	$(BIN)/pytest -m "not services and not e2e and not hosts"

hosts: install-test nginx ## Only the multi-host test (tests/hosts; root, network namespaces; about 3 min)
	$(BIN)/pytest tests/hosts -s

test: lint typecheck pytest ## Everything CI runs: ruff, mypy and every test

mutants: install-test ## Mutation testing of the money core ([tool.mutmut]; two processes, not part of make test)
	$(BIN)/mutmut run --max-children 2
	@$(BIN)/python -m tests.mutation.score

messages: install-test ## Write each language's messages.po: the marked text none of its .po files translates yet
	$(BIN)/python -m marketplace.i18n.extraction

lock: $(BIN)/python ## Re-pin constraints.txt to the newest versions that install
	$(BIN)/pip install --quiet --upgrade -e '.[test]'
	$(BIN)/pip freeze --exclude-editable > constraints.txt

clean-demo: ## Delete the demo's data (database, media, queue) after asking
	@read -p "Delete instance/ with all demo data? [y/N] " answer && [ "$$answer" = y ] && rm -rf instance
