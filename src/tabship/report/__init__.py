"""The training report: one self-contained HTML page saved inside every model artifact."""

from tabship.report._context import ReportContext
from tabship.report._plots import preload_plotting
from tabship.report._render import render_report

__all__ = ["ReportContext", "preload_plotting", "render_report"]
