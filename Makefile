# chanjiao — make targets for the drafting team and for contributors.
#   make submission   build the example application into build/ (installs what it needs)
#   make test         run the test suite (bootstraps .venv itself)
#   make check        validate and count the example application

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CHANJIAO := $(VENV)/bin/chanjiao
CONTENT ?= content
OUT ?= build
STAMP := $(VENV)/.installed

.PHONY: all submission test check build lint fmt bench doctor pictures system-deps i18n-extract i18n-update i18n-compile clean distclean

all: submission

$(PY):
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq python3-venv python3-pip >/dev/null && $(PYTHON) -m venv $(VENV); \
	  else echo "缺少 python3-venv，请先运行：sudo apt-get install python3-venv  (missing python3-venv)"; exit 3; fi; }

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

# LibreOffice and the CJK fonts, from Debian's packages: as root directly, else through sudo;
# without either, say the exact command and stop.
system-deps:
	@if command -v soffice >/dev/null 2>&1 && fc-list 2>/dev/null | grep -q FandolFang; then :; \
	elif [ "$$(id -u)" = 0 ]; then bash ci/system-packages.sh; \
	elif command -v sudo >/dev/null 2>&1; then sudo bash ci/system-packages.sh; \
	else echo "需要安装 LibreOffice 和中文字体，请以 root 身份运行：bash ci/system-packages.sh"; \
	     echo "(needs root: run  bash ci/system-packages.sh  as root)"; exit 3; fi

submission: $(STAMP) system-deps
	$(CHANJIAO) build $(CONTENT) -o $(OUT)

build: $(STAMP)
	$(CHANJIAO) build $(CONTENT) -o $(OUT)

check: $(STAMP)
	$(CHANJIAO) check $(CONTENT)

test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check generator tests benchmarks
	$(VENV)/bin/mypy

bench: $(STAMP)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

doctor: $(STAMP)
	$(CHANJIAO) doctor

# The README's pictures (covers, summary table), made from the example's PDFs so they stay current.
pictures: submission
	$(PY) docs/pictures.py $(OUT) docs/images

# Message catalogs (Babel): extract Chinese source strings, update the English catalog, compile.
i18n-extract: $(STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg -o generator/locale/messages.pot --no-location --sort-output --project chanjiao generator
i18n-update: i18n-extract
	$(VENV)/bin/pybabel update -i generator/locale/messages.pot -d generator/locale -D messages -l en --no-fuzzy-matching
i18n-compile: $(STAMP)
	$(VENV)/bin/pybabel compile -d generator/locale -D messages

clean:
	rm -rf $(OUT)

distclean: clean
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .nox
