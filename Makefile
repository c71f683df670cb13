# Two commands on a fresh machine: `make serve` and `make test`. Each bootstraps .venv itself.
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: serve test check bench venv clean browser fonts

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

venv: $(STAMP)

serve: $(STAMP) fonts
	$(VENV)/bin/xiezuo serve $(if $(CONFIG),--config $(CONFIG)) $(if $(PORT),--port $(PORT)) $(if $(HOST),--host $(HOST))

# A CJK font for the report's charts (Debian's fonts-wqy-microhei): installed when missing and
# installable (root with apt-get); otherwise reports carry their figures without the chart.
fonts:
	@fc-list :lang=zh 2>/dev/null | grep -q . || \
		{ [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && apt-get install -y -q fonts-wqy-microhei; } || \
		echo "no CJK font and none installable: /report answers without its chart"

# The emulator's browser test drives Debian's chromium (never a downloaded browser); CJK fonts for screenshots.
browser:
	@test -x /usr/bin/chromium && fc-list :lang=zh | grep -q . || \
		(apt-get update && apt-get install -y chromium fonts-wqy-microhei)

# The code's own rules, before any test: ruff (style, unused names, import order), mypy (every
# hint checked, tests and benches too) and import-linter (one direction of imports, pyproject.toml).
check: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache

test: $(STAMP) browser check
	$(PY) -m pytest -q $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) bench/router_bench.py
	$(PY) bench/cards_bench.py
	$(PY) bench/dingtalk_stream_bench.py
	$(PY) bench/planner_bench.py
	$(PY) bench/dispatcher_bench.py
	$(PY) bench/serve_memory.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .mypy_cache .ruff_cache xiezuo.db xiezuo.db-wal xiezuo.db-shm xiezuo-demo.db xiezuo-demo.db-wal xiezuo-demo.db-shm
