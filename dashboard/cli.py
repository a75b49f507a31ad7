"""Command line: ``python -m dashboard demo|check|kpi|load|users|audit|bench|bench-ui|bench-build|bench-load``. Errors are one line (in
English, for the scripts that read them), never a traceback. It may import lazily, to start fast."""

from __future__ import annotations

import argparse
import logging
import sys

from dashboard.core.errors import UserFacingError
from dashboard.core.settings import Settings


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

    kpi = sub.add_parser("kpi", help="print a KPI by a dimension: the same numbers the pages show")
    kpi.add_argument("kpi_id")
    kpi.add_argument("--by", default=None, help="dimension, e.g. district, institution, team, age_band")
    kpi.add_argument("--grain", default=None, choices=["month", "quarter", "year"], help="time breakdown")
    kpi.add_argument("--from", dest="from_month", default=None, help="first month, YYYY-MM")
    kpi.add_argument("--to", dest="to_month", default=None, help="last month, YYYY-MM")
    kpi.add_argument(
        "--period",
        default=None,
        help="this_year (本年累计, the default, as on the pages), last_month, last_quarter, last_12_months, "
        "last_year, all",
    )
    kpi.add_argument(
        "--where", action="append", default=[], metavar="DIM=VALUE[,VALUE]", help="filter, repeatable"
    )
    kpi.add_argument(
        "--adjust",
        default="crude",
        choices=["crude", "standardised"],
        help="standardised: indirectly standardised by age band × sex to the comparator (as the district page); "
        "the adjusted rate is the value, O/E columns at the end",
    )
    kpi.add_argument(
        "--comparator",
        default=None,
        choices=["city", "parent", "peers"],
        help="add the comparator (city, the --where selection, or peers) and each unit's outcome as columns",
    )
    kpi.add_argument(
        "--limits",
        default=None,
        choices=["overdispersed", "plain"],
        help="add each unit's funnel limits and funnel verdict (as the pages' funnels) as columns",
    )
    kpi.add_argument("--format", default="table", choices=["csv", "json", "table"])
    kpi.add_argument("--database-url", default=None)

    load = sub.add_parser("load", help="load a region's extracts (checked, quarantined, pseudonymised)")
    load.add_argument("source_dir", help="folder with one file per table (csv, csv.gz, xlsx, parquet)")
    load.add_argument("--database-url", default=None, help="target; default DASHBOARD_DATABASE_URL or data/")
    load.add_argument("--mapping", default=None, help="TOML mapping of a source layout (data/mappings/)")
    load.add_argument("--mode", default="replace", choices=["replace", "months"])
    load.add_argument("--report-dir", default=None, help="default data/loads/<timestamp>/")
    load.add_argument(
        "--pseudonym-key-file",
        default=None,
        help="HMAC key for identifiers (or DASHBOARD_PSEUDONYM_KEY_FILE)",
    )
    load.add_argument(
        "--ids-are-pseudonyms", action="store_true", help="the extract's patient ids are already pseudonyms"
    )
    load.add_argument(
        "--max-reject-share", type=float, default=0.05, help="refuse above this share per table"
    )

    users = sub.add_parser("users", help="the app's users: add, list, disable, set-password")
    users_sub = users.add_subparsers(dest="users_command", required=True, parser_class=_OneLineParser)
    add = users_sub.add_parser("add", help="add a user with a role and, for some roles, a scope")
    add.add_argument("username")
    add.add_argument("--role", required=True, help="admin, city, district, consortium, insurance, hospital")
    add.add_argument("--scope", default=None, help="district=CODE, consortium=ID or institution=ID")
    add.add_argument("--email", default=None)
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.add_argument("--database-url", default=None, help="the warehouse the scope is checked against")
    users_sub.add_parser("list", help="list the users")
    disable = users_sub.add_parser("disable", help="disable a user (kept for the audit trail)")
    disable.add_argument("username")
    password = users_sub.add_parser("set-password", help="set a user's password")
    password.add_argument("username")
    password.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )

    audit = sub.add_parser("audit", help="print the audit trail (logins, page views, downloads, exports)")
    audit.add_argument("--since", required=True, help="first day, YYYY-MM-DD (times are UTC)")
    audit.add_argument("--user", default=None, help="only this user's events")
    audit.add_argument("--kind", default=None, help="only events of this kind (login, page_view, download …)")
    audit.add_argument("--format", default="csv", choices=["csv"], help="csv (the only format, for now)")

    lbench = sub.add_parser("bench-load", help="time a load of the demo's extracts at M and L")
    lbench.add_argument("--scales", nargs="+", default=["M", "L"])
    lbench.add_argument("--work-dir", default=None, help="scratch folder (default: a temporary one)")

    kbench = sub.add_parser("bench", help="benchmark the KPI layer (uncached, cached, raw SQL, pandas)")
    kbench.add_argument("--database-url", default=None)
    kbench.add_argument("--repeats", type=int, default=3)

    ui = sub.add_parser("bench-ui", help="time the home page in headless Chromium, cold and warm")
    ui.add_argument("--database-url", default=None)

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
        if args.command == "kpi":
            return _kpi(args)
        if args.command == "load":
            return _load(args)
        if args.command == "users":
            return _users(args)
        if args.command == "audit":
            return _audit(args)
        if args.command == "bench-load":
            from dashboard.bench.load import run_load_benchmark

            return run_load_benchmark(args.scales, args.work_dir)
        if args.command == "bench-ui":
            from dashboard.bench.ui import run_ui_benchmark

            return run_ui_benchmark(args.database_url)
        if args.command == "bench":
            from dashboard.bench.kpi import run_kpi_benchmark

            return run_kpi_benchmark(args.database_url, args.repeats)
        if args.command == "bench-build":
            from dashboard.bench.build import run_build_benchmark

            return run_build_benchmark(args.scales, args.repeat, args.database_url)
    except UserFacingError as exc:
        from dashboard.ui.words import tell  # the command line speaks English: scripts parse its errors

        print(f"error: {tell(exc, 'en')}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: the warehouse was left as it was", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: one line for the user, the traceback for us in the log
        logging.getLogger(__name__).debug("unexpected error", exc_info=True)
        print(f"error: unexpected {type(exc).__name__}: {exc} (please report it)", file=sys.stderr)
        return 1
    return 1


def _demo(args) -> int:
    from dashboard.core.months import parse_month
    from dashboard.load.demo.build import DEFAULT_SEED, build_demo, parse_scale, terminal_progress

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


def _load(args) -> int:
    import signal
    from pathlib import Path

    from dashboard.load.extracts.progress import Progress
    from dashboard.load.extracts.run import LoadOptions, load_extracts

    def stop(
        _signum, _frame
    ):  # `kill` stops a load as Ctrl-C does: scratch files removed, warehouse unchanged
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    settings = Settings.from_env(database_url=args.database_url)
    options = LoadOptions(
        source_dir=Path(args.source_dir),
        database_url=settings.database_url,
        mapping_path=Path(args.mapping) if args.mapping else None,
        mode=args.mode,
        report_dir=Path(args.report_dir) if args.report_dir else None,
        key_file=args.pseudonym_key_file,
        ids_are_pseudonyms=args.ids_are_pseudonyms,
        max_reject_share=args.max_reject_share,
    )
    try:
        report = load_extracts(options, Progress())
    except RuntimeError as exc:
        if "interrupted" in str(exc).lower():  # DuckDB turns a signal during a query into its own error
            raise KeyboardInterrupt from None
        raise
    print(
        f"loaded: {report.rows_loaded:,} rows, {report.rows_quarantined:,} quarantined of {report.rows_read:,} "
        f"read; report in {report.report_dir}"
    )
    return 0


def _users(args) -> int:
    from dashboard.accounts import store

    engine = store.app_engine()
    try:
        if args.users_command == "list":
            for user in store.list_users(engine):
                state = "disabled" if user.disabled else "active"
                print(f"{user.username}\t{user.role}\t{user.scope_label}\t{user.email or ''}\t{state}")
            return 0
        if args.users_command == "disable":
            store.disable_user(engine, args.username)
            print(f"user {args.username} disabled")
            return 0
        secret = _password_from_stdin(args)
        if args.users_command == "set-password":
            store.set_password(engine, args.username, secret)
            print(f"password of {args.username} set")
            return 0
        settings = Settings.from_env(database_url=args.database_url)
        user = store.add_user(
            engine, args.username, args.role, args.scope, args.email, secret, _scope_checker(settings)
        )
        print(f"user {user.username} added: {user.role}, {user.scope_label}")
        return 0
    finally:
        engine.dispose()


def _audit(args) -> int:
    import datetime as dt

    from dashboard.accounts import audit, store

    try:
        since = dt.date.fromisoformat(args.since)
    except ValueError:
        raise UserFacingError("date_not_iso", value=args.since) from None
    if args.kind is not None and args.kind not in audit.KINDS:
        raise UserFacingError("not_one_of", key="kind", allowed=audit.KINDS, value=args.kind)
    engine = store.app_engine()
    try:
        sys.stdout.write(audit.as_csv(audit.events(engine, since, args.user, args.kind)))
    finally:
        engine.dispose()
    return 0


def _password_from_stdin(args) -> str:
    if not args.password_stdin:
        raise UserFacingError("password_stdin_required")
    return sys.stdin.readline().rstrip("\r\n")


def _scope_checker(settings: Settings):
    """A scope must name a unit of the warehouse: a typo would give a user an empty dashboard."""

    def known(kind: str, code: str) -> bool:
        from queries.kpi.catalog import get_catalog

        return get_catalog(settings.database_url).knows(kind, code)

    return known


def _check(args) -> int:
    from queries.warehouse import warehouse_summary

    settings = Settings.from_env(database_url=args.database_url)
    summary = warehouse_summary(settings.database_url)
    print(f"warehouse {summary.location}: data {summary.period_start} to {summary.period_end}")
    for table, count in summary.row_counts.items():
        print(f"  {table:<24}{count:>14,}")
    return 0


def _kpi(args) -> int:
    from dashboard.core.cache import standalone_cache
    from dashboard.ui.words import tell
    from queries.execution import kpi_values
    from queries.kpi.builder import Request
    from queries.kpi.registry import get_kpi
    from queries.selection import clamp_note, filters_for, period_of

    settings = Settings.from_env(database_url=args.database_url)
    standalone_cache(settings.redis_url)
    kpi = get_kpi(args.kpi_id)
    values: dict[str, str] = {}
    for clause in args.where:
        key, sep, value = clause.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise UserFacingError("where_syntax", clause=clause)
        values[key.strip()] = value
    filters = filters_for(settings.database_url, args.period, args.from_month, args.to_month, **values)
    note = clamp_note(period_of(settings.database_url, args.period, args.from_month, args.to_month))
    if note:  # on stderr: the CSV on stdout stays what scripts read
        print(f"note: {tell(note, 'en')}", file=sys.stderr)
    by, grain = ((args.by,) if args.by else ()), args.grain
    if args.by in ("month", "quarter", "year"):  # --by month means a time breakdown
        by, grain = (), args.by
    request = Request(kpi.id, filters, by, grain)
    if args.adjust == "standardised" or args.comparator or args.limits:
        from queries.comparators import comparison_table

        frame = _named(
            comparison_table(settings.database_url, request, args.comparator, args.adjust, args.limits)
        )
    else:
        frame = _named(kpi_values(settings.database_url, request))
    if args.format == "csv":
        sys.stdout.write(frame.to_csv(index=False))
    elif args.format == "json":
        sys.stdout.write(
            frame.to_json(orient="records", force_ascii=False, date_format="iso", indent=1) + "\n"
        )
    else:
        print(f"{kpi.name_zh} {kpi.id} · {filters.start:%Y-%m} – {filters.end:%Y-%m}")
        print(frame.to_string(index=False))
    return 0


def _named(frame):
    """The CSV's ``name`` column in Chinese: the warehouse's names, the catalogue's for codes of a fixed
    vocabulary (levels, visit types, follow-up counts …), "（无）" for a missing unit, "全部" for the whole."""
    from dashboard.ui.words import unit_names

    return unit_names(frame, "zh")
