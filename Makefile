# Two commands on a fresh machine:  make demo   and   make test
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat setup.py | cksum | cut -d' ' -f1)

.PHONY: demo test install check-java jvm clean bench

check-java:
	@sh scripts/check_java.sh

$(STAMP): setup.py
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "Python 3.10+ is needed"' || { echo "regulake needs Python 3.10 or newer"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

jvm:
	@sh scripts/fetch_jvm.sh

install: check-java $(STAMP) jvm
	@sh scripts/install_fonts.sh
	@sh scripts/install_web_assets.sh

demo: install
	$(BIN)/regulake demo

test: install
	$(BIN)/python -m pytest

bench: install
	$(BIN)/regulake bench --scale 0.1

clean:
	rm -rf $(VENV) .jvm warehouse landing answer_key runs quality reports mlruns .cache *.egg-info
