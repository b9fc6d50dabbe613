"""The program board as a picture: Graphviz DOT or Mermaid text for `portfolio-graph graph`.

Features are grouped by release train; an arrow goes from a feature to the one
it needs first. Schedule conflicts are red, unplanned dependencies dashed,
arrows across trains bold. Names are user text: they are escaped for each
format, and nodes are named n0, n1, ... so no id or name can break the syntax.
"""

from __future__ import annotations

from collections.abc import Sequence

from graph.model import Portfolio
from rules.board import BoardEdge

NO_TRAIN = "(no release train)"


def _label(portfolio: Portfolio, feature_id: str) -> str:
    feature = portfolio.features[feature_id]
    pi = portfolio.pis.get(feature.pi) if feature.pi else None
    return f"{feature_id}: {feature.name} ({pi.name if pi else 'unplanned'})"


def _groups(portfolio: Portfolio, edges: Sequence[BoardEdge]) -> dict[str, list[str]]:
    """Release train name -> feature ids on it, both in order."""
    trains: dict[str, set[str]] = {}
    for edge in edges:
        for feature_id, art in ((edge.from_id, edge.from_art), (edge.to_id, edge.to_art)):
            train = portfolio.arts.get(art) if art else None
            trains.setdefault(f"{train.name} ({train.id})" if train else NO_TRAIN,
                              set()).add(feature_id)
    return {name: sorted(ids) for name, ids in sorted(trains.items())}


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def to_dot(portfolio: Portfolio, edges: Sequence[BoardEdge]) -> str:
    lines = ["digraph program_board {", "  rankdir=LR;",
             '  node [shape=box, style="rounded", fontname="Helvetica"];']
    names: dict[str, str] = {}
    for index, (train, ids) in enumerate(_groups(portfolio, edges).items()):
        lines.append(f"  subgraph cluster_{index} {{")
        lines.append(f'    label="{_dot_text(train)}";')
        for feature_id in ids:
            names[feature_id] = f"n{len(names)}"
            label = _dot_text(_label(portfolio, feature_id))
            lines.append(f'    {names[feature_id]} [label="{label}"];')
        lines.append("  }")
    for edge in edges:
        style = []
        if edge.schedule_conflict:
            style.append('color="red", fontcolor="red", label="conflict"')
        if edge.unplanned:
            style.append('style="dashed", label="unplanned"')
        if edge.crosses_art:
            style.append("penwidth=2")
        attrs = f" [{', '.join(style)}]" if style else ""
        lines.append(f"  {names[edge.from_id]} -> {names[edge.to_id]}{attrs};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    # Mermaid reads entity codes inside quoted labels; these characters would end them.
    for char, code in (("&", "#amp;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;"),
                       ("\n", " ")):
        text = text.replace(char, code)
    return text


def to_mermaid(portfolio: Portfolio, edges: Sequence[BoardEdge]) -> str:
    lines = ["flowchart LR"]
    names: dict[str, str] = {}
    for index, (train, ids) in enumerate(_groups(portfolio, edges).items()):
        lines.append(f'  subgraph g{index}["{_mermaid_text(train)}"]')
        for feature_id in ids:
            names[feature_id] = f"n{len(names)}"
            label = _mermaid_text(_label(portfolio, feature_id))
            lines.append(f'    {names[feature_id]}["{label}"]')
        lines.append("  end")
    styles = []
    for index, edge in enumerate(edges):
        arrow = "-. unplanned .->" if edge.unplanned else (
            "== conflict ==>" if edge.schedule_conflict else "-->")
        lines.append(f"  {names[edge.from_id]} {arrow} {names[edge.to_id]}")
        if edge.schedule_conflict:
            styles.append(f"  linkStyle {index} stroke:red,stroke-width:2px")
        elif edge.crosses_art:
            styles.append(f"  linkStyle {index} stroke-width:2px")
    return "\n".join(lines + styles) + "\n"
