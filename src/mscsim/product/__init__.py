"""Cell products: identity against the ISCT minimal criteria (Dominici 2006)."""

from mscsim.product._identity import (
    CriterionResult,
    IdentityReport,
    PanelError,
    check_identity,
    panel_error_for_scenario,
)
from mscsim.product._panel_io import product_check_command, read_panel

__all__ = [
    "CriterionResult",
    "IdentityReport",
    "PanelError",
    "check_identity",
    "panel_error_for_scenario",
    "product_check_command",
    "read_panel",
]
