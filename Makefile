# The two commands a newcomer needs: `make demo` renders the default session,
# `make test` runs the whole test suite. Both create .venv and install everything.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint sounds bench clean browser

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/audio-builder render scripts/deep-psoas-release.yaml

test: lint browser
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check audio_builder tests bench
	$(BIN)/mypy audio_builder

sounds: $(STAMP)
	$(BIN)/python -m audio_builder.sound sounds

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf out build *.egg-info

# The browser tests drive Debian's chromium with Playwright (Playwright's own browser
# download cannot be reached), and Debian's WebKitGTK WebDriver (the Safari engine
# family) under a virtual display with selenium: installed here when missing, as root;
# otherwise one line says what to install. The tests fail, never skip, without them.
BROWSER_PACKAGES := chromium webkit2gtk-driver xvfb xauth
browser:
	@{ command -v chromium && command -v WebKitWebDriver && command -v Xvfb; } >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing $(BROWSER_PACKAGES) (apt) for the browser tests" >&2; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(BROWSER_PACKAGES) >/dev/null; \
	  else \
	    echo "error: the browser tests need them: run 'sudo apt-get install -y $(BROWSER_PACKAGES)'" >&2; \
	    exit 1; \
	  fi; }
