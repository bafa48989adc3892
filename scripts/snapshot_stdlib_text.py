"""Write scripts/data/benign_en_stdlib.txt: English prose and code from the Python standard
library (docstrings and source, PSF License 2.0), as benign training text for the injection
classifier. Run once; the snapshot is committed so training does not depend on the Python
version. One JSON string per line.

    python scripts/snapshot_stdlib_text.py
"""

from __future__ import annotations

import importlib
import inspect
import json
import random
import sys
from pathlib import Path

MODULES = [
    "argparse", "asyncio", "base64", "calendar", "collections", "configparser", "csv",
    "dataclasses", "datetime", "decimal", "difflib", "email.message", "enum", "fractions",
    "functools", "gzip", "hashlib", "heapq", "html", "http.client", "http.server", "imaplib",
    "inspect", "ipaddress", "itertools", "json", "logging", "mailbox", "mimetypes", "pathlib",
    "pickle", "pprint", "queue", "random", "re", "sched", "shutil", "smtplib", "socket",
    "sqlite3", "ssl", "statistics", "string", "subprocess", "tarfile", "tempfile", "textwrap",
    "threading", "timeit", "tokenize", "traceback", "typing", "unittest", "urllib.parse",
    "urllib.request", "uuid", "wave", "xml.etree.ElementTree", "zipfile", "zoneinfo",
]  # fmt: skip
OUT = Path(__file__).resolve().parent / "data" / "benign_en_stdlib.txt"


def main() -> None:
    rng = random.Random(7)
    prose: list[str] = []
    code: list[str] = []
    for name in MODULES:
        module = importlib.import_module(name)
        objects = [module] + [obj for _, obj in sorted(vars(module).items()) if callable(obj)]
        for obj in objects:
            doc = inspect.getdoc(obj) or ""
            for para in doc.split("\n\n"):
                para = " ".join(para.split())
                if 40 <= len(para) <= 500 and not para.startswith((">>>", "..")):
                    prose.append(para)
        try:
            source = inspect.getsource(module).splitlines()
        except (OSError, TypeError):
            continue
        for start in range(0, len(source) - 12, 40):
            block = "\n".join(source[start : start + rng.randint(4, 12)]).strip()
            if len(block) > 60:
                code.append(block)
    prose = sorted(set(prose))
    code = sorted(set(code))
    rng.shuffle(prose)
    rng.shuffle(code)
    items = prose[:1800] + code[:600]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    header = (
        f"# English prose and code from the Python {sys.version_info.major}."
        f"{sys.version_info.minor} standard library (PSF License 2.0): benign training text.\n"
    )
    OUT.write_text(
        header + "\n".join(json.dumps(i, ensure_ascii=False) for i in items) + "\n",
        encoding="utf-8",
    )
    print(f"wrote {OUT}: {len(prose[:1800])} paragraphs, {len(code[:600])} code blocks")


if __name__ == "__main__":
    main()
