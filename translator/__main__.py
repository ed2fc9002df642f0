"""``python -m translator download [keys...]``: fetch registry models for offline use."""

from __future__ import annotations

import argparse
import sys

from .errors import TranslatorError
from .loading import fetch
from .registry import get_registry


def _download(keys: list[str]) -> int:
    registry = get_registry()
    specs = [registry.get(key) for key in keys] if keys else [s for s in registry if not s.path]
    failed = 0
    for spec in specs:
        if spec.path:
            print(f"{spec.key}: local files at {spec.path}, nothing to download")
            continue
        try:
            folder = fetch(spec, local_files_only=False)
        except TranslatorError as exc:
            failed += 1
            print(f"{spec.key}: {exc}", file=sys.stderr)
            continue
        print(f"{spec.key}: {folder}")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m translator", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    download = commands.add_parser("download", help="fetch registry models (safetensors and configs only)")
    download.add_argument("keys", nargs="*", help="registry keys; none means every hub model in the registry")
    args = parser.parse_args(argv)
    try:
        if args.command == "download":
            return _download(args.keys)
    except TranslatorError as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
