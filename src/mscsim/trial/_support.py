"""What the disease modules can simulate: scenarios outside it are refused with one clear line."""

from __future__ import annotations

from typing import Any

from mscsim.physiology import msc_core
from mscsim.physiology.t2dm._observables import ENDPOINT_UNITS
from mscsim.scenario import SOURCES, Arm, Scenario, ScenarioError

AGING_DISEASES = ("osteoporosis", "parkinson", "alzheimer", "atherosclerosis", "copd", "tumour")
SUPPORTED_DISEASES = ("t2dm", "t1dm", *AGING_DISEASES)


SUPPORTED_FORMS = ("cells", "placebo")
T1DM_FORMS = ("cells", "insulin_producing_cells", "islets", "placebo")
ISLET_SITES = ("portal_vein", "kidney_capsule", "subcutaneous")  # islets module's graft sites
# Routes with IPC engraftment parameters (product layer, ipc.yaml).
IPC_ROUTES = ("iv", "portal_vein", "pancreatic_artery", "kidney_capsule", "subcutaneous")


T2DM_ENDPOINTS = tuple(e for e in ENDPOINT_UNITS if e != "mean_glucose_mmol_l")


T2DM_STANDARD_OF_CARE = ("metformin", "insulin_treat_to_target")

# Insulin is part of the T1DM module itself (every patient titrates from diagnosis on).
T1DM_ENDPOINTS = (
    "hba1c_pct",
    "fpg_mmol_l",
    "ppg_mmol_l",
    "c_peptide_ng_ml",
    "c_peptide_auc",
    "c_peptide_peak_ng_ml",
    "insulin_iu_day",
    "insulin_iu_kg_day",
    "insulin_free_pct",
    "insulin_auc",
    "gad_antibody_pct",
    "homa_b",
    "homa_ir",
    "cpgr",
)
# Aging diseases (issue 5): each adapter in trial/_aging reports exactly these endpoints and
# models exactly these background therapies (tests/test_aging_trials.py checks both).
AGING_ENDPOINTS: dict[str, tuple[str, ...]] = {
    "osteoporosis": ("bmd_lumbar_g_cm2", "bmd_femoral_neck_g_cm2", "fracture_risk_rel"),
    "parkinson": ("updrs3", "striatal_dopamine_pct"),
    "alzheimer": ("mmse",),
    "atherosclerosis": ("pav_pct", "ldl_mg_dl"),
    "copd": ("fev1_ml", "sgrq"),
    "tumour": ("tumour_volume_mm3",),
}
AGING_STANDARD_OF_CARE: dict[str, tuple[str, ...]] = {
    "osteoporosis": (),
    "parkinson": ("levodopa",),
    "alzheimer": (),
    "atherosclerosis": ("statin",),
    "copd": ("bronchodilator",),
    "tumour": ("chemotherapy", "radiotherapy"),
}
# Eligibility keys every aging cohort has (a disease adds its own, e.g. ldl_mg_dl).
AGING_CRITERIA = ("age_years", "sex", "weight_kg")
AGING_ONLY_CRITERIA = ("ldl_mg_dl",)
ENDPOINTS_OF = {"t2dm": T2DM_ENDPOINTS, "t1dm": T1DM_ENDPOINTS, **AGING_ENDPOINTS}
STANDARD_OF_CARE_OF: dict[str, tuple[str, ...]] = {
    "t2dm": T2DM_STANDARD_OF_CARE,
    "t1dm": (),
    **AGING_STANDARD_OF_CARE,
}


NON_MSC_SOURCES = ("bm_mononuclear", "hematopoietic", "pancreas")


MSC_SOURCES = tuple(s for s in SOURCES if s not in NON_MSC_SOURCES)


def _unsupported(path: tuple[str | int, ...], value: object, reason: str) -> ScenarioError:
    return ScenarioError(path, value, reason)


def check_supported(scenario: Scenario) -> None:
    """Refuse, with one clear message, what the model cannot yet simulate."""
    if scenario.disease not in SUPPORTED_DISEASES:
        raise _unsupported(
            ("disease",),
            scenario.disease,
            f"not yet supported; supported: {', '.join(SUPPORTED_DISEASES)}",
        )
    # The engine steps whole days; a fractional day would be silently moved.
    whole = "must be a whole number of days (the engine steps one day at a time)"
    if float(scenario.duration_days) != int(scenario.duration_days):
        raise _unsupported(("duration_days",), scenario.duration_days, whole)
    for j, day in enumerate(scenario.visits_days):
        if float(day) != int(day):
            raise _unsupported(("visits_days", j), day, whole)
    for i, arm in enumerate(scenario.arms):
        for j, day in enumerate(arm.regimen.schedule_days if arm.regimen else ()):
            if float(day) != int(day):
                raise _unsupported(("arms", i, "regimen", "schedule_days", j), day, whole)
    endpoints = ENDPOINTS_OF[scenario.disease]
    for j, endpoint in enumerate(scenario.endpoints):
        if endpoint not in endpoints:
            raise _unsupported(
                ("endpoints", j),
                endpoint,
                f"not an endpoint of the {scenario.disease} module; "
                f"its endpoints: {', '.join(endpoints)}",
            )
    therapies = STANDARD_OF_CARE_OF[scenario.disease]
    no_therapy = (
        "none (insulin is part of the module)" if scenario.disease == "t1dm" else "none modelled"
    )
    for j, therapy in enumerate(scenario.standard_of_care):
        if therapy not in therapies:
            raise _unsupported(
                ("standard_of_care", j),
                therapy,
                f"not a background therapy of the {scenario.disease} module; "
                f"its therapies: {', '.join(therapies) or no_therapy}",
            )
    _check_tumour_only_attributes(scenario)
    _check_osteoporosis_only_attributes(scenario)
    if scenario.disease not in AGING_DISEASES:
        for key, value in scenario.population.criteria.items():
            if key in AGING_ONLY_CRITERIA:
                raise _unsupported(
                    ("population", "criteria", key),
                    list(value) if isinstance(value, tuple) else value,
                    f"not a criterion of the {scenario.disease} population (an "
                    f"atherosclerosis cohort key)",
                )
    if scenario.disease in AGING_DISEASES:
        _check_aging(scenario)
        return
    if scenario.disease == "t1dm":
        _check_t1dm_arms(scenario)
        return
    for i, arm in enumerate(scenario.arms):
        if arm.product is None or arm.regimen is None:
            continue
        if arm.product.components:
            raise _unsupported(
                ("arms", i, "product", "components"),
                len(arm.product.components),
                "combined products are not yet supported for t2dm",
            )
        if arm.product.form not in SUPPORTED_FORMS:
            raise _unsupported(
                ("arms", i, "product", "form"),
                arm.product.form,
                f"not yet supported for {scenario.disease}; supported: cells",
            )
        if arm.product.form != "placebo" and arm.product.source not in MSC_SOURCES:
            raise _unsupported(
                ("arms", i, "product", "source"),
                arm.product.source,
                f"non-MSC cells are not yet supported for {scenario.disease}; "
                f"supported: {', '.join(MSC_SOURCES)}",
            )
        if arm.regimen.route not in msc_core.SUPPORTED_ROUTES:
            raise _unsupported(
                ("arms", i, "regimen", "route"),
                arm.regimen.route,
                f"not yet supported for {scenario.disease}; "
                f"supported: {', '.join(msc_core.SUPPORTED_ROUTES)}",
            )


def _check_tumour_only_attributes(scenario: Scenario) -> None:
    for i, arm in enumerate(scenario.arms):
        for key in ("tumour_profile", "payload"):
            value = getattr(arm.product, key, None) if arm.product is not None else None
            if value is not None and scenario.disease != "tumour":
                raise _unsupported(
                    ("arms", i, "product", key),
                    value,
                    f"only for disease tumour (the direction of the MSC effect on a tumour), "
                    f"not {scenario.disease}",
                )


def _check_osteoporosis_only_attributes(scenario: Scenario) -> None:
    """BMP2 modification and autologous osteoporotic BM-MSCs act only in the osteoporosis module
    (seed 000 §2.1); elsewhere they would change nothing, so they are refused, not ignored."""
    if scenario.disease == "osteoporosis":
        return
    for i, arm in enumerate(scenario.arms):
        if arm.product is None:
            continue
        parts: list[tuple[tuple[str | int, ...], Any]] = [(("arms", i, "product"), arm.product)]
        parts += [
            (("arms", i, "product", "components", j), c)
            for j, c in enumerate(arm.product.components or ())
        ]
        for path, part in parts:
            for key in ("genetic_modification", "autologous"):
                value = getattr(part, key, None)
                if value is not None:
                    raise _unsupported(
                        (*path, key),
                        value,
                        "only for disease osteoporosis (BMP2-modified or autologous osteoporotic "
                        f"BM-MSCs, seed 000 §2.1), not {scenario.disease}",
                    )


def _check_aging(scenario: Scenario) -> None:
    """Aging diseases: MSC cells or exosomes by the routes the disease's exposure model covers."""
    from mscsim.trial._aging import disease_model  # lazy: only aging scenarios need it

    model = disease_model(scenario.disease)
    criteria = (*AGING_CRITERIA, *model.criteria)
    for key, value in scenario.population.criteria.items():
        if key not in criteria:
            raise _unsupported(
                ("population", "criteria", key),
                value if not isinstance(value, tuple) else list(value),
                f"not a criterion of the {scenario.disease} cohort; its criteria: "
                f"{', '.join(criteria)}",
            )
    forms = (*model.routes, "placebo")
    for i, arm in enumerate(scenario.arms):
        if arm.product is None or arm.regimen is None:
            continue
        if arm.product.components:
            raise _unsupported(
                ("arms", i, "product", "components"),
                len(arm.product.components),
                f"combined products are not yet supported for {scenario.disease}",
            )
        form = str(arm.product.form)
        if form not in forms:
            raise _unsupported(
                ("arms", i, "product", "form"),
                form,
                f"not yet supported for {scenario.disease}; supported: {', '.join(forms)}",
            )
        if form != "placebo" and arm.product.source not in MSC_SOURCES:
            raise _unsupported(
                ("arms", i, "product", "source"),
                arm.product.source,
                f"non-MSC cells are not yet supported for {scenario.disease}; "
                f"supported: {', '.join(MSC_SOURCES)}",
            )
        routes = model.routes.get(
            form, tuple(sorted({r for rs in model.routes.values() for r in rs}))
        )
        if arm.regimen.route not in routes:
            raise _unsupported(
                ("arms", i, "regimen", "route"),
                arm.regimen.route,
                f"not yet supported for {form} in {scenario.disease}; supported: "
                f"{', '.join(routes)}",
            )
        if model.check_arm is not None:
            model.check_arm(i, arm)


def _check_t1dm_arms(scenario: Scenario) -> None:
    """T1DM products: MSCs, BM-MNC, HSC (with conditioning) and IPCs, alone or combined."""
    for i, arm in enumerate(scenario.arms):
        if arm.product is None or arm.regimen is None:
            continue
        if arm.product.components is None:
            populations: list[tuple[tuple[str | int, ...], str, str, str]] = [
                (
                    ("arms", i, "product"),
                    str(arm.product.source),
                    str(arm.product.form),
                    str(arm.regimen.route),
                )
            ]
        else:
            populations = [
                (
                    ("arms", i, "product", "components", j),
                    str(c.source),
                    str(c.form),
                    str(c.route or arm.regimen.route),
                )
                for j, c in enumerate(arm.product.components)
            ]
        for at, source, form, route in populations:
            if form not in T1DM_FORMS:
                raise _unsupported(
                    (*at, "form"),
                    form,
                    f"not yet supported for t1dm; supported: {', '.join(T1DM_FORMS)}",
                )
            if form == "insulin_producing_cells" and source in NON_MSC_SOURCES:
                raise _unsupported(
                    (*at, "source"),
                    source,
                    f"insulin-producing cells are induced from MSCs; sources: "
                    f"{', '.join(MSC_SOURCES)}",
                )
            if (form == "islets") != (source == "pancreas"):
                raise _unsupported(
                    (*at, "source" if form == "islets" else "form"),
                    source if form == "islets" else form,
                    "islets come from a pancreas: form islets goes with source pancreas",
                )
            allowed = {
                "insulin_producing_cells": IPC_ROUTES,
                "islets": ISLET_SITES,
            }.get(form, msc_core.SUPPORTED_ROUTES)
            if route not in allowed:
                where = (
                    (*at, "route") if arm.product.components else ("arms", i, "regimen", "route")
                )
                raise _unsupported(
                    where,
                    route,
                    f"not yet supported for {form} in t1dm; supported: {', '.join(allowed)}",
                )


def is_placebo(arm: Arm) -> bool:
    return arm.product is not None and arm.product.form == "placebo"


def is_active(arm: Arm) -> bool:
    """An arm that infuses something (not a control, not a sham infusion)."""
    return arm.regimen is not None and not is_placebo(arm)


def control_arm(scenario: Scenario) -> str | None:
    """The comparator: a placebo (sham infusion) arm if there is one, else an untreated arm."""
    placebo = [a.name for a in scenario.arms if is_placebo(a)]
    untreated = [a.name for a in scenario.arms if a.regimen is None]
    controls = placebo + untreated
    return controls[0] if controls else None
