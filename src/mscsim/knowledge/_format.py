"""Presentation of a mechanism graph as a table (for `mscsim mechanisms --disease D`).

Reads a MechanismGraph and builds a rich Table; prints nothing, so the CLI decides where it goes.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from mscsim.knowledge._graph import Edge, MechanismGraph, load_mechanisms

_NOT_IMPLEMENTED = "-"


def _link(edge: Edge) -> str:
    text = f"{edge.source} -> {edge.target}"
    if edge.into is not None:
        text += f" -> {edge.into}"
    if edge.via is not None:
        text += f" (via {edge.via})"
    return text


def format_mechanisms(
    graph: MechanismGraph, *, implemented_only: bool = False, show_mechanism: bool = False
) -> Table:
    """One row per edge: id, link, effect, evidence, model term (or why not), citation."""
    edges = graph.implemented() if implemented_only else graph.edges
    n_impl = len(graph.implemented())
    table = Table(
        title=f"{graph.title} ({graph.disease}): {len(graph.edges)} edges, "
        f"{n_impl} implemented by model terms",
        caption="; ".join(f"seed {s.key} = {s.file}" for s in graph.seeds),
        show_lines=show_mechanism,
    )
    table.add_column("edge", no_wrap=True)
    table.add_column("source -> target")
    table.add_column("effect")
    table.add_column("evidence")
    table.add_column("model term")
    table.add_column("citation")
    if show_mechanism:
        table.add_column("mechanism")
    for edge in edges:
        term = edge.model_term if edge.model_term is not None else _NOT_IMPLEMENTED
        cells = [edge.id, _link(edge), edge.effect, edge.evidence, term, edge.citation]
        if show_mechanism:
            cells.append(
                edge.mechanism if not edge.note else f"{edge.mechanism}\nNote: {edge.note}"
            )
        # Text, not markup strings: citations such as "[55]" must print verbatim.
        table.add_row(*(Text(c) for c in cells))
    return table


def mechanisms_table(
    disease: str, *, implemented_only: bool = False, show_mechanism: bool = False
) -> Table:
    """The packaged mechanism graph of `disease` as a table; ValueError for an unknown disease."""
    return format_mechanisms(
        load_mechanisms(disease),
        implemented_only=implemented_only,
        show_mechanism=show_mechanism,
    )
