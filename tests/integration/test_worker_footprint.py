"""An indexing worker process imports the face engines, not the application (issue 15: memory)."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

from eventface.runtime import engine_recipe
from eventface.settings import Settings

SPAWNS_ONE_WORKER = """
import concurrent.futures, multiprocessing, os
print("main script ran", flush=True)
from eventface.faces.pool import _main_script_hidden
if __name__ == "__main__":
    with _main_script_hidden():
        pool = concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        child = pool.submit(os.getpid)
    assert child.result() != os.getpid()
    pool.shutdown()
    print("has __file__ again:", __file__ is not None, flush=True)
"""


def test_an_engine_recipe_unpickles_without_importing_the_app() -> None:
    recipe = engine_recipe(Settings(), "fusion")
    check = (
        "import pickle, sys; recipe = pickle.loads(bytes.fromhex(sys.argv[1]));"
        "app = ('eventface.runtime', 'sqlalchemy', 'fastapi');"
        "print(recipe.name, sorted(m for m in app if m in sys.modules))"
    )

    out = subprocess.run(
        [sys.executable, "-c", check, pickle.dumps(recipe).hex()], capture_output=True, text=True, check=True
    )

    assert out.stdout.strip() == "fusion []"


def test_a_spawned_worker_does_not_run_the_main_script_again(tmp_path: Path) -> None:
    script = tmp_path / "eventface_like_command.py"
    script.write_text(SPAWNS_ONE_WORKER)

    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=True, timeout=60
    )

    assert out.stdout.splitlines() == ["main script ran", "has __file__ again: True"]
