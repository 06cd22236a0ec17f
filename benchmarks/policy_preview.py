"""Benchmark: what the guardrails policy pack costs a preview. One run
previews a stack of N new keys (default 500) with the real CLI against the
emulator, without the pack and with it (its defaults, every policy on), and
prints both times, the difference per key and the reports the pack made.

Run on demand (prints figures, asserts nothing; about a minute):

    .venv/bin/python -m benchmarks.policy_preview [--keys 500] [--repeat 2]
"""

from __future__ import annotations

import argparse
import re
import secrets
import statistics
import tempfile
import time
from pathlib import Path

from pulumi_venice.policy import pack_path
from tests.support.cli import ensure_cli
from tests.support.processes import EmulatorProcess
from tests.support.project import PulumiProject

PROGRAM = Path(__file__).resolve().parent / "stack_program"
REPORT = re.compile(r"- \[(mandatory|advisory)\]")


def timed_preview(project: PulumiProject, *args: str) -> tuple[float, str]:
    start = time.perf_counter()
    done = project.pulumi("preview", *args, check=False)
    return time.perf_counter() - start, done.stdout + done.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--keys", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=2, help="previews of each kind (median)")
    args = parser.parse_args()
    cli = ensure_cli()
    admin_key = "VENICE_ADMIN_KEY_bench" + secrets.token_hex(8)
    pack = str(pack_path())
    with EmulatorProcess("--admin-key", admin_key) as emulator:
        project = PulumiProject(
            Path(tempfile.mkdtemp()),
            cli,
            PROGRAM,
            base_url=emulator.base_url,
            admin_key=admin_key,
            stack="bench",
        )
        project.config("bench:count", str(args.keys))
        project.config("bench:usd", "5")
        timed_preview(project)  # warm the language host's and the provider's imports
        plain, guarded, output = [], [], ""
        for _ in range(args.repeat):
            plain.append(timed_preview(project)[0])
            seconds, output = timed_preview(project, "--policy-pack", pack)
            guarded.append(seconds)
    without, with_pack = statistics.median(plain), statistics.median(guarded)
    reports = REPORT.findall(output)
    print(f"preview of {args.keys} new keys (median of {args.repeat}):")
    print(f"  without the pack: {without:.2f} s")
    print(f"  with the pack:    {with_pack:.2f} s")
    print(
        f"  the pack's cost:  {with_pack - without:.2f} s "
        f"({(with_pack - without) / args.keys * 1000:.1f} ms per key)"
    )
    print(
        f"  reports: {reports.count('mandatory')} mandatory, {reports.count('advisory')} advisory"
    )


if __name__ == "__main__":
    main()
