"""Score the digest engine on five folds of the dev corpus, one line per fold.

Usage: .venv/bin/python bench/eval_folds.py [CORPUS_DIR] [--cmd "veille digest --json"]

Fold k holds the articles whose index, in name order, is k-1 modulo 5. A rule engine is not
re-tuned per fold, so this is no automatic cross-validation: it is how an engineer keeps a
fold out of reach while tuning (score it before and after, never read its errors) and sees
how much the figure varies from fold to fold. The closing notes say which fold was held out.
Skips cleanly (exit 0) when the corpus or the scorer is absent.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
FOLDS = 5


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=SHARED / "corpus" / "dev")
    parser.add_argument("--cmd", default=f"{ROOT / '.venv' / 'bin' / 'veille'} digest --json")
    args = parser.parse_args()
    scorer = SHARED / "tools" / "score_roles.py"
    golds = sorted(args.corpus.glob("*.gold2.json")) if args.corpus.is_dir() else []
    if not golds or not scorer.exists():
        print(f"eval_folds skipped: no gold v2 corpus at {args.corpus} or no {scorer}")
        return 0
    for fold in range(FOLDS):
        members = [g.name.removesuffix(".gold2.json") for i, g in enumerate(golds) if i % FOLDS == fold]
        with tempfile.TemporaryDirectory() as tmp:
            for name in members:
                for path in args.corpus.glob(f"{name}.*"):
                    (Path(tmp) / path.name).symlink_to(path.resolve())
            result = subprocess.run(
                [sys.executable, str(scorer), tmp, "--quiet", "--cmd", args.cmd],
                capture_output=True, text=True, check=False,
            )
        lines = result.stdout.strip().splitlines()
        print(f"fold {fold + 1}: {lines[-1] if lines else result.stderr.strip()[:200]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
