"""Print the mutation score of the last ``mutmut run`` (``make mutants`` runs this after it).

Killed counts mutants the tests failed on or that ran into their timeout (a loop the mutation
made endless). The mutants listed in ``equivalent.txt`` beside this file change nothing a caller
can observe; each line there gives the reason. They are counted apart, not as killed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

EQUIVALENT = Path(__file__).with_name("equivalent.txt")
STATS = Path("mutants/mutmut-cicd-stats.json")
TARGET_PERCENT = 90.0


def equivalent_mutants() -> set[str]:
    """The names in equivalent.txt: the first word of each line that is not blank or a comment."""
    lines = EQUIVALENT.read_text().splitlines()
    return {line.split()[0] for line in lines if line.strip() and not line.startswith("#")}


def surviving_mutants() -> set[str]:
    listing = subprocess.run(
        [sys.executable, "-m", "mutmut", "results"], capture_output=True, text=True, check=True
    ).stdout
    return {
        line.split(":")[0].strip()
        for line in listing.splitlines()
        if line.rstrip().endswith(("survived", "no tests"))
    }


def main() -> int:
    subprocess.run([sys.executable, "-m", "mutmut", "export-cicd-stats"], check=True)
    stats = json.loads(STATS.read_text())
    survivors = surviving_mutants()
    equivalent = survivors & equivalent_mutants()
    killed = stats["killed"] + stats["timeout"]
    not_killed = stats["survived"] + stats["no_tests"] + stats["suspicious"] + stats["segfault"]
    counted = killed + not_killed - len(equivalent)
    not_checked = stats["total"] - stats["skipped"] - killed - not_killed
    score = 100 * killed / counted
    print(
        f"{killed} of {counted} mutants killed: {score:.1f} % "
        f"({len(survivors) - len(equivalent)} survived; "
        f"{len(equivalent)} equivalent ones left out, see {EQUIVALENT})"
    )
    if not_checked:
        print(f"{not_checked} mutants not checked yet: the run was stopped before the end")
    for name in sorted(survivors - equivalent):
        print(f"  survived: {name}")
    return 0 if score >= TARGET_PERCENT else 1


if __name__ == "__main__":
    raise SystemExit(main())
