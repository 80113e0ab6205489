"""Documentation that cannot drift: the story page and the README's example."""

from __future__ import annotations

import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_story_page_matches_the_data(tmp_path: Path) -> None:
    out = tmp_path / "story.md"
    subprocess.run(
        [sys.executable, str(ROOT / "examples" / "story.py"), "--markdown", str(out)], check=True
    )
    assert (ROOT / "docs" / "story.md").read_text() == out.read_text(), (
        "docs/story.md is stale: run `python examples/story.py --markdown docs/story.md`"
    )


def test_readme_example_runs(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    code = re.search(r"```python\n(.*?)```", readme, re.S)
    assert code is not None
    script = tmp_path / "readme_example.py"
    script.write_text(code.group(1))
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        runpy.run_path(str(script))
    finally:
        os.chdir(cwd)
    assert (tmp_path / "is_2015.geojson").stat().st_size > 1000


def test_readme_test_command_is_what_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text()
    block = re.search(
        r"<!-- test-command -->\n```bash\n(.*?)\n```\n<!-- /test-command -->", readme, re.S
    )
    assert block is not None and "tools/check.sh" in block.group(1)
    assert "test-command" in (ROOT / ".ci" / "run").read_text()
