# Every workflow of the project. `make test` and `make book` set up what they need.
#   make test        the whole test suite on every core (what CI runs)
#   make book        execute every notebook with papermill, then build the HTML book
#   make notebooks   re-execute the committed notebooks in place (refreshes their outputs)
#   make results     train every missing reduced-scale run into data/results (python -m critbatch.sweep,
#                    on every core; SCALE=smoke|reduced|paper, ENGINE=ray ADDRESS=... for a cluster),
#                    then `make notebooks`
#   make smoke       execute every notebook at the smoke scale into build/smoke
#   make benchmark   measure every speed ratio on this machine's CPU into data/benchmarks/speed-cpu-<CPU>.json
#                    (about 8 minutes; run it on an otherwise idle machine)
#   make constraints re-pin constraints.txt from the current .venv
#   make clean       remove build outputs (keeps .venv and downloaded data)

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.critbatch-installed
MATHJAX_VERSION := 3.2.2
MATHJAX := book/mathjax_extra/mathjax/tex-mml-chtml.js

# Offline copies of the official dataset archives, if the workplace has them.
ifneq ($(wildcard ../shared/datasets),)
export CRITBATCH_MIRROR ?= $(abspath ../shared/datasets)
endif

.PHONY: setup test book notebooks results smoke benchmark constraints clean

setup: $(STAMP) $(MATHJAX)

$(STAMP): requirements.txt constraints.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --no-compile -r requirements.txt -c constraints.txt
	$(BIN)/python -m pip install --quiet --no-compile --no-deps --no-build-isolation -e .
	@# Byte-compiled on every core (pip compiles on one); a file that does not compile (a template or test
	@# data inside a package) is skipped, as pip skips it.
	$(BIN)/python -m compileall -qq -j 0 $(VENV)/lib || true
	touch $@

$(MATHJAX):
	rm -rf build/mathjax book/mathjax_extra && mkdir -p build/mathjax book/mathjax_extra
	npm install --silent --no-audit --no-fund --prefix build/mathjax mathjax@$(MATHJAX_VERSION)
	cp -r build/mathjax/node_modules/mathjax/es5 book/mathjax_extra/mathjax

# On every core (pytest-xdist); a notebook's cells, and a module's tests that share a fixture, stay
# together on one worker (conftest.py).
test: setup
	@$(BIN)/python -m pytest -n auto --dist loadgroup; status=$$?; \
	if [ $$status -eq 5 ]; then echo "ERROR: pytest collected no tests" >&2; fi; exit $$status

book: setup
	rm -rf book/_notebooks
	CRITBATCH_CACHE_ONLY=1 $(BIN)/python -m critbatch.notebooks --out book/_notebooks
	$(BIN)/jupyter-book build book -W -n --keep-going
	@echo "The book is at book/_build/html/index.html"

notebooks: setup
	CRITBATCH_CACHE_ONLY=1 $(BIN)/python -m critbatch.notebooks --inplace

SCALE ?= reduced
ENGINE ?= local
results: setup
	$(BIN)/python -m critbatch.sweep --scale $(SCALE) --engine $(ENGINE) $(if $(ADDRESS),--address $(ADDRESS))
	$(MAKE) notebooks

smoke: setup
	CRITBATCH_RESULTS=$(abspath build/smoke/results) $(BIN)/python -m critbatch.notebooks \
		--out build/smoke -p scale smoke

benchmark: setup
	$(BIN)/python benchmarks/speed.py --out data/benchmarks/

constraints: setup
	( sed -n '1,2p' constraints.txt; $(BIN)/python -m pip freeze --exclude-editable ) > constraints.new
	mv constraints.new constraints.txt

clean:
	rm -rf book/_build book/_notebooks build
