# The two commands a newcomer needs: `make demo` renders the default session,
# `make test` runs the whole test suite. Both create .venv and install everything.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint sounds bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/audio-builder render scripts/deep-psoas-release.yaml

test: lint
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check audio_builder tests bench
	$(BIN)/mypy audio_builder

sounds: $(STAMP)
	$(BIN)/python -m audio_builder.sound.chimes sounds
	$(BIN)/python -m audio_builder.sound.beds sounds

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf out build *.egg-info
