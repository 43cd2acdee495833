"""The daily report of a league date for the morning review, built from the database alone.

``build_report(store, official_date)`` reads everything in one read transaction into a
``DailyReport``; ``render(report, fmt)`` shows it as text, markdown or JSON. No network, no UI.
"""

from mlbdash.ingest.report.build import build_report, default_date
from mlbdash.ingest.report.model import (
    OUTCOMES,
    AlertLine,
    CoverageLine,
    DailyReport,
    GameLine,
    RequestLine,
    RuleLine,
    StatusLine,
)
from mlbdash.ingest.report.render import FORMATS, render, report_dict

__all__ = [
    "FORMATS",
    "OUTCOMES",
    "AlertLine",
    "CoverageLine",
    "DailyReport",
    "GameLine",
    "RequestLine",
    "RuleLine",
    "StatusLine",
    "build_report",
    "default_date",
    "render",
    "report_dict",
]
