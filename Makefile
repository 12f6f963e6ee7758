# Two commands set everything up on a fresh machine with only Python 3:
#   make demo   - the main job
#   make test   - the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lab lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@# PyTorch is only a test oracle; its tests skip cleanly where it cannot be installed.
	-$(BIN)/python -m pip install --quiet -e ".[oracle]" || echo "note: torch not installed; oracle tests will skip"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/course demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

# JupyterLab on the release notebooks (ipywidgets and nbgrader extensions come installed).
# As root (containers), Lab refuses to start without --allow-root.
lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root)

lint: $(STAMP)
	$(BIN)/ruff check course autograder tests benchmarks

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
