"""Upload the app to a Hugging Face Space: ``python .huggingface/deploy.py OWNER/SPACE [--dry-run]``.

The Space's settings come from README.md's front matter (sdk, sdk_version, app_file).
Only the files the app needs are sent; ``--dry-run`` lists exactly those and sends nothing.
The token comes from ``HF_TOKEN`` or ``huggingface-cli login``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from huggingface_hub import HfApi
from huggingface_hub.utils import filter_repo_objects

ROOT = Path(__file__).resolve().parent.parent
ALLOW = ["README.md", "app.py", "requirements.txt", "translator/*.py", "ui/*.py"]
IGNORE = ["**/__pycache__/**", "*.pyc"]


def files_to_send(root: Path = ROOT) -> list[str]:
    """The same pattern filter upload_folder applies, over the files on disk."""
    candidates = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    return list(filter_repo_objects(candidates, allow_patterns=ALLOW, ignore_patterns=IGNORE))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("space", help="OWNER/SPACE on the Hugging Face Hub")
    parser.add_argument("--dry-run", action="store_true", help="list the files that would be sent and stop")
    parser.add_argument("--private", action="store_true", help="create the Space as private")
    args = parser.parse_args(argv)
    files = files_to_send()
    if args.dry_run:
        print("\n".join(files))
        return 0
    api = HfApi()
    api.create_repo(args.space, repo_type="space", space_sdk="gradio", private=args.private, exist_ok=True)
    api.upload_folder(
        folder_path=str(ROOT),
        repo_id=args.space,
        repo_type="space",
        allow_patterns=ALLOW,
        ignore_patterns=IGNORE,
        commit_message="Deploy the app",
    )
    print(f"uploaded {len(files)} files to https://huggingface.co/spaces/{args.space}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
