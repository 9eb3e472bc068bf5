"""Sections that apps above ecosystem add to a company's page, so ecosystem imports none of them.

Compute adds the company's allocations, evaluation its jobs (each in its AppConfig.ready);
each panel reads its rows through the one scoping mechanism, with the viewer's rights.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CompanyPanel:
    key: str  # also the name of its rows in the page's context
    template: str  # rendered with `rows`
    rows: Callable[..., Any]  # rows(user=, company=)
    order: int = 0


@dataclass(frozen=True)
class RenderedPanel:
    key: str
    template: str
    rows: Any


_PANELS: dict[str, CompanyPanel] = {}


def company_panel_register(panel: CompanyPanel) -> None:
    _PANELS[panel.key] = panel


def company_panels(*, user, company) -> list[RenderedPanel]:
    return [
        RenderedPanel(panel.key, panel.template, panel.rows(user=user, company=company))
        for panel in sorted(_PANELS.values(), key=lambda p: (p.order, p.key))
    ]
