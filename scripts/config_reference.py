"""Write the configuration reference: ``docs/config.md`` and ``docs/config.schema.json``.

Usage (from the project root)::

    python scripts/config_reference.py          # write both files
    python scripts/config_reference.py --check  # exit 1 if the committed files differ

Both are generated from the models that read configuration files (:mod:`sims.toml_tables`),
so they change when a dataclass field, its type, default or docstring changes.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sims.config_reference import config_markdown, schema_text  # noqa: E402

logger = logging.getLogger("config_reference")

FILES = {
    ROOT / "docs" / "config.md": config_markdown,
    ROOT / "docs" / "config.schema.json": schema_text,
}


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check`` compare) the generated files; return the exit code."""
    parser = argparse.ArgumentParser(prog="config_reference", description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    stale = []
    for path, generate in FILES.items():
        text = generate()
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(path)
        else:
            path.write_text(text, encoding="utf-8")
            logger.info("wrote %s", path.relative_to(ROOT))
    for path in stale:
        logger.error("%s differs from the generated text", path.relative_to(ROOT))
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
