"""Every ```python block of README.md and docs/*.md runs.

The blocks of one page run in order in one namespace, in a temporary working directory, with
matplotlib's Agg backend. A block whose first line is ``# not run`` is skipped (for commands
that take minutes or need something a test machine lacks); the page says why.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
SKIP_MARK = "# not run"
_FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$",
    re.MULTILINE | re.DOTALL,
)


def python_blocks(text: str) -> list[tuple[int, str]]:
    """``(line number, code)`` of each fenced block whose info string starts with ``python``.

    Blocks marked ``# not run`` on their first line are left out; indented fences (inside a
    list item) are dedented.

    Examples
    --------
    >>> python_blocks("text\\n```python\\nx = 1\\n```\\n```bash\\nls\\n```\\n")
    [(2, 'x = 1\\n')]
    """
    blocks = []
    for match in _FENCE.finditer(text):
        info = match.group("info").strip().split()
        if not info or info[0].lower() not in ("python", "py", "python3"):
            continue
        indent = match.group("indent")
        lines = match.group("body").splitlines(keepends=True)
        body = "".join(line[len(indent) :] if line.startswith(indent) else line for line in lines)
        first = body.lstrip().splitlines()[0].strip() if body.strip() else ""
        if first.lower().startswith(SKIP_MARK):
            continue
        line = text.count("\n", 0, match.start()) + 1
        blocks.append((line, body))
    return blocks


def test_block_extraction():
    text = (
        "# Page\n\n```python\na = 1\n```\n\n```python\n# not run\nslow()\n```\n\n"
        "- item\n\n    ```python\n    b = a + 1\n    ```\n\n```bash\nls\n```\n"
    )
    blocks = python_blocks(text)
    assert [line for line, _ in blocks] == [3, 14]
    namespace: dict = {}
    for _, code in blocks:
        exec(compile(code, "<page>", "exec"), namespace)
    assert namespace["b"] == 2


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(ROOT).as_posix() for p in PAGES])
def test_page_examples_run(page: Path, tmp_path, monkeypatch):
    blocks = python_blocks(page.read_text())
    if not blocks:
        pytest.skip(f"{page.name} has no python blocks")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    namespace: dict = {"__name__": f"docs_example_{page.stem}"}
    try:
        for line, code in blocks:
            # The file name and line let a traceback point into the Markdown page.
            padded = "\n" * line + code
            exec(compile(padded, str(page), "exec"), namespace)
    finally:
        plt.close("all")


def test_mkdocs_nav_lists_every_page_and_only_existing_ones():
    config = (ROOT / "mkdocs.yml").read_text()
    nav = config[config.index("\nnav:") :]
    nav = nav[: re.search(r"\n\S", nav[1:]).start() + 1]
    listed = re.findall(r"^\s*-\s*(?:[^:\n]+:\s*)?([\w./-]+\.md)\s*$", nav, re.MULTILINE)
    pages = sorted(p.name for p in (ROOT / "docs").glob("*.md"))
    assert sorted(listed) == pages, "mkdocs.yml nav and docs/*.md differ"


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(ROOT).as_posix() for p in PAGES])
def test_local_images_and_links_exist(page: Path):
    text = page.read_text()
    for target in re.findall(r"\]\(([^)\s#]+)(?:#[^)]*)?\)", text):
        if "://" in target or target.startswith("mailto:"):
            continue
        assert (page.parent / target).exists(), f"{page.name} links to missing {target}"
