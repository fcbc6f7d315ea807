#!/usr/bin/env python3
"""Prints reference/controls.toml as a markdown table, one row per chemical
and family: control tiers with their dates, threshold, cumulative, HS code,
UN table, and each fact's citation, marked (unconfirmed) where the table
says it was not read in the regulation. For issue notes; the table itself
is the source."""

import pathlib
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent


def cite(fact):
    c = fact.get("citation", {})
    text = c.get("fr") or c.get("ref") or (f"FR doc. {c['document']}" if "document" in c else None)
    text = text or c.get("kind", "?")
    if c.get("published") and c.get("fr"):
        text += f" ({c['kind']}, {c['published']})"
    return text + ("" if fact.get("confirmed", False) else " (unconfirmed)")


def dated(fact):
    if "effective" in fact:
        return f"from {fact['effective']}"
    if "in_force_by" in fact:
        return f"in force by {fact['in_force_by']}"
    return "pending"


def threshold(t):
    if t.get("any_quantity"):
        amount = "no threshold (any quantity)"
    else:
        parts = []
        for where in ("domestic", "import_export"):
            if where in t:
                parts.append(where.replace("_", "/") + " " + ", ".join(f"{v} {k}" for k, v in t[where].items()))
        amount = "; ".join(parts) or "?"
    return f"{amount}, {dated(t)} [{cite(t)}]"


def row(entry, families, family=False):
    name = entry["name"] + (" (family)" if family else "")
    cas = entry.get("cas", "—")
    controls = []
    for c in entry.get("control", []):
        tier = c["tier"].replace("_", " ")
        if family:
            tier += " (" + ", ".join(c["derivatives"]) + ")"
        controls.append(f"{tier} {dated(c)} [{cite(c)}]")
    member = entry.get("family")
    if member:
        controls.append(f"as a {member['derivative']} of family {member['id']}")
    own = entry.get("threshold", [])
    inherited = [] if own or not member else families.get(member["id"], {}).get("threshold", [])
    thresholds = [threshold(t) for t in own] + [f"family's: {threshold(t)}" for t in inherited]
    cumulative = "yes" if any(t.get("cumulative") for t in own + inherited) else "no"
    hs = entry.get("hs")
    hs_text = "—" if not hs else hs["code"] + ("" if hs.get("confirmed") else " (unconfirmed)")
    un = [f"{u['table'].replace('_', ' ')} {dated(u)} [{cite(u)}]" for u in entry.get("un", [])]
    cells = [name, cas, "<br>".join(controls) or "—", "<br>".join(thresholds) or "— (none recorded)",
             cumulative, hs_text, "<br>".join(un) or "—"]
    return "| " + " | ".join(c.replace("|", "/") for c in cells) + " |"


def main():
    table = tomllib.loads((ROOT / "reference/controls.toml").read_text(encoding="utf-8"))
    print("| Chemical | CAS | Control (tier, date, citation) | Threshold | Cumulative | HS code | UN 1988 table |")
    print("|---|---|---|---|---|---|---|")
    families = {f["id"]: f for f in table.get("family", [])}
    for family in table.get("family", []):
        print(row(family, families, family=True))
    for chemical in table.get("chemical", []):
        print(row(chemical, families))


if __name__ == "__main__":
    main()
