"""Command line: ``python -m dashboard demo|check|bench-build``. Errors are one line, never a traceback."""

from __future__ import annotations

import argparse
import logging
import sys

from dashboard.errors import UserFacingError
from dashboard.settings import Settings


class _OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse would print the whole usage first
        command = " ".join(["python -m dashboard", *self.prog.split()[1:], "--help"])
        self.exit(2, f"error: {message} (see `{command}`)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="dashboard", description="医联体绩效分析看板 — command line")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_OneLineParser)

    demo = sub.add_parser("demo", help="build the demo warehouse (a believable city, 3 years of data)")
    demo.add_argument("--scale", default="M", help="S (~20k residents, tests), M (~250k, default), L (~1.5M)")
    demo.add_argument("--seed", type=int, default=None, help="random seed; same seed, same warehouse")
    demo.add_argument(
        "--last-month", default=None, help="last month of the data, YYYY-MM (default: last full)"
    )
    demo.add_argument("--database-url", default=None, help="target; default DASHBOARD_DATABASE_URL or data/")

    check = sub.add_parser("check", help="check that the warehouse opens and is complete; print row counts")
    check.add_argument("--database-url", default=None)

    bench = sub.add_parser("bench-build", help="measure demo build time and peak memory per scale")
    bench.add_argument("--scales", nargs="+", default=["S", "M", "L"])
    bench.add_argument("--repeat", type=int, default=1, help="builds per scale (the median is reported)")
    bench.add_argument("--database-url", default=None, help="target (default: a scratch DuckDB file)")
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = _parser().parse_args(argv)
    try:
        if args.command == "demo":
            return _demo(args)
        if args.command == "check":
            return _check(args)
        if args.command == "bench-build":
            from dashboard.bench_build import run_build_benchmark

            return run_build_benchmark(args.scales, args.repeat, args.database_url)
    except UserFacingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: the warehouse was left as it was", file=sys.stderr)
        return 130
    return 1


def _demo(args) -> int:
    from dashboard.demo.build import DEFAULT_SEED, build_demo, parse_month, parse_scale, terminal_progress

    scale = parse_scale(args.scale)
    last_month = parse_month(args.last_month) if args.last_month else None
    settings = Settings.from_env(database_url=args.database_url)
    counts = build_demo(
        settings.database_url,
        scale=scale,
        seed=DEFAULT_SEED if args.seed is None else args.seed,
        last_month=last_month,
        progress=terminal_progress(),
    )
    print(f"demo warehouse ready: {sum(counts.values()):,} rows in {len(counts)} tables")
    return 0


def _check(args) -> int:
    from queries.warehouse import warehouse_summary

    settings = Settings.from_env(database_url=args.database_url)
    summary = warehouse_summary(settings.database_url)
    print(f"warehouse {summary.location}: data {summary.period_start} to {summary.period_end}")
    for table, count in summary.row_counts.items():
        print(f"  {table:<24}{count:>14,}")
    return 0
