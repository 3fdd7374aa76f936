"""The layout's rules that imports can check."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Imports every module of the product (migrations run only under alembic), in a fresh
# interpreter started in the project root, where zoom_sandbox could be imported if asked for.
IMPORT_THE_PRODUCT = """
import importlib, pkgutil, sys
import timetics
for module in pkgutil.walk_packages(timetics.__path__, "timetics."):
    if not module.name.startswith("timetics.migrations"):
        importlib.import_module(module.name)
print(" ".join(sorted(name for name in sys.modules if name.split(".")[0] in
                      {"timetics", "zoom_sandbox", "jsonschema"})))
"""


def test_the_product_never_imports_the_zoom_sandbox_or_its_test_only_dependency():
    """The sandbox stands in for zoom.us in tests, `make demo` and bench/; the product runs
    without it and without jsonschema (the test extra)."""
    loaded = subprocess.run(
        [sys.executable, "-c", IMPORT_THE_PRODUCT], cwd=ROOT, capture_output=True, text=True,
        check=True).stdout.split()
    assert "timetics.booking.views" in loaded  # the walk did reach the blueprints
    assert [name for name in loaded if not name.startswith("timetics")] == []
