"""Build the demo warehouse: generate the city month by month and bulk-load it, atomically."""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa

from dashboard.core.errors import UserFacingError
from dashboard.core.policy import get_policy
from dashboard.core.reference import drg_adrg_catalogue, drg_mdc_names, icd10_catalogue
from dashboard.load.demo import arrow
from dashboard.load.demo.calendar import Period, last_full_month, to_days
from dashboard.load.demo.chronic import followup_tables, registry_table
from dashboard.load.demo.city import CITY_NAME, build_city
from dashboard.load.demo.inpatient import Catalogue, InpatientGenerator
from dashboard.load.demo.programmes import capitation_table, contract_table, target_table
from dashboard.load.demo.referrals import ReferralCollector
from dashboard.load.demo.residents import (
    generate_contracts,
    generate_registry,
    generate_residents,
    patient_ids,
    patient_table,
    population_table,
)
from dashboard.load.demo.visits import VisitGenerator
from dashboard.load.postgres import copy_to_postgres
from dashboard.load.swap import duckdb_target, is_duckdb, new_duckdb_file
from dashboard.load.writer import WarehouseWriter, build_meta, mark_complete, record_demo_load

SCALES = {"S": 20_000, "M": 250_000, "L": 1_500_000}
DEFAULT_SEED = 2025
MONTHS = 36

Progress = Callable[[str], None]


def parse_scale(text: str) -> str:
    scale = str(text).strip().upper()
    if scale not in SCALES:
        raise UserFacingError("unknown_scale", scale=text, scales=tuple(SCALES))
    return scale


def terminal_progress() -> Progress:
    """Progress lines on stderr with elapsed time."""
    started = time.perf_counter()

    def report(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f}s] {message}", file=sys.stderr, flush=True)

    return report


def build_demo(
    database_url: str,
    scale: str = "M",
    seed: int = DEFAULT_SEED,
    last_month: dt.date | None = None,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Generate the demo city into ``database_url``; returns row counts per table.

    The period is the 36 months ending with ``last_month`` (default: the last full month before today).
    Same seed, scale and period give the same warehouse.
    """
    scale = parse_scale(scale)
    progress = progress or (lambda _message: None)
    period = Period.ending(last_month or last_full_month(dt.date.today()), MONTHS)
    progress(
        f"demo city, scale {scale} ({SCALES[scale]:,} residents), {period.start} to {period.end}, seed {seed}"
    )
    if is_duckdb(database_url):
        target = duckdb_target(database_url)
        with new_duckdb_file(target) as scratch:
            counts = _generate(scratch, scale, seed, period, progress)
        progress(f"warehouse written to {target}")
        return counts
    with tempfile.TemporaryDirectory(prefix="dashboard-demo-") as tmp:
        scratch = Path(tmp) / "demo.duckdb"
        _generate(scratch, scale, seed, period, progress)
        return copy_to_postgres(scratch, database_url, progress)


def _generate(path: Path, scale: str, seed: int, period: Period, progress: Progress) -> dict[str, int]:
    def rng(*stream: int) -> np.random.Generator:
        # One independent stream per component (and month), so changing one part leaves the others alone.
        return np.random.default_rng([seed, *stream])

    city = build_city(rng(1))
    res = generate_residents(rng(2), city, SCALES[scale], period.end.year)
    registry = generate_registry(rng(3), res, city, period)
    contracts = generate_contracts(rng(4), res, city, registry, period)
    icd = icd10_catalogue()
    icd_codes = icd.code.tolist()
    patients = arrow.Dictionary(patient_ids(len(res)))
    icd_dictionary = arrow.Dictionary(icd_codes)
    progress(
        f"{len(res):,} residents, {len(registry.patient):,} chronic patients managed, "
        f"{len(contracts.patient):,} contracts"
    )

    writer = WarehouseWriter(path)
    try:
        dims = {
            "dim_district": city.districts,
            "dim_population": population_table(res, city, period.years),
            "dim_consortium": city.consortia,
            "dim_institution": city.institutions,
            "dim_team": city.teams,
            "dim_doctor": city.doctors,
            "dim_patient": patient_table(res, city),
            "dim_icd10": icd,
        }
        for name, frame in dims.items():
            writer.append(name, pa.Table.from_pandas(frame, preserve_index=False))

        visits = VisitGenerator(city, res, period, icd_codes, patients)
        catalogue = Catalogue.from_adrgs(drg_adrg_catalogue(), drg_mdc_names())
        inpatient = InpatientGenerator(city, res, period, catalogue, icd_codes, get_policy())
        referrals = ReferralCollector(city, res, period)
        spend: dict[int, np.ndarray] = {}
        months_in_year: dict[int, int] = {}
        next_visit = 1
        for month in period.months():
            mid_month = to_days(month.start) + 14
            mv = visits.month(
                rng(10, month.index), month, next_visit, contracts.active_on(mid_month, len(res))
            )
            next_visit += mv.table.num_rows
            writer.append("fact_visit", mv.table)
            referrals.from_visits(rng(11, month.index), mv.patient, mv.institution, mv.day, mv.diagnosis)
            year_spend = spend.setdefault(month.year, np.zeros(len(res)))
            year_spend += np.bincount(mv.patient, weights=mv.insurance_cents, minlength=len(res))
            months_in_year[month.year] = months_in_year.get(month.year, 0) + 1
            inpatient.month(rng(12, month.index), month)
            if month.month in (3, 6, 9, 12) or month.index == MONTHS - 1:
                progress(f"visits to {month.start:%Y-%m}: {next_visit - 1:,}")

        drg_frame, cases = inpatient.finish()
        drg_frame = drg_frame[
            [
                "grouper_version",
                "drg_code",
                "drg_name",
                "adrg_code",
                "mdc_code",
                "weight",
                "risk_level",
                "drg_name_en",
                "adrg_name",
                "mdc_name",
            ]
        ]
        writer.append("dim_drg", pa.Table.from_pandas(drg_frame, preserve_index=False))
        writer.append("fact_inpatient", inpatient.table(cases, patients, icd_dictionary, drg_frame))
        progress(f"inpatient cases: {len(cases['patient']):,}")

        referrals.from_cases(rng(13), cases)
        writer.append("fact_referral", referrals.table(rng(14), patients, icd_dictionary))
        writer.append("fact_chronic_registry", registry_table(registry, res, city, patients))
        for chunk in followup_tables(rng(15), registry, res, city, period, patients):
            writer.append("fact_followup", chunk)
        writer.append("fact_contract", contract_table(contracts, city, patients))
        capitation = capitation_table(contracts, res, city, period, spend, months_in_year)
        writer.append("fact_capitation", pa.Table.from_pandas(capitation, preserve_index=False))
        writer.append("kpi_target", pa.Table.from_pandas(target_table(city, period), preserve_index=False))
        progress("referrals, chronic registry, follow-ups, contracts, capitation and targets written")
        writer.build_rollups()
        progress("monthly rollups built")

        meta = build_meta(
            {
                "source": "demo",
                "scale": scale,
                "seed": str(seed),
                "period_start": period.start.isoformat(),
                "period_end": period.end.isoformat(),
                "city_name": CITY_NAME,
                "grouper_version": inpatient.grouper_version,
            }
        )
        record_demo_load(writer, meta, writer.rows)
        mark_complete(writer, meta)
        counts = dict(writer.rows)
    finally:
        writer.close()
    return counts
