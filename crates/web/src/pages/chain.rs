//! The chain diagram: shipments left to right in the order goods moved,
//! drawn as SVG by the server, and the same hops as a table.

use maud::{html, Markup};
use std::collections::HashMap;
use uuid::Uuid;

use super::display::{day, place, short};
use interdict_app::chains::{ChainEdge, ChainView, NodeView};

const NODE_W: i64 = 240;
const NODE_H: i64 = 118;
const GAP_X: i64 = 90;
const GAP_Y: i64 = 28;
const MARGIN: i64 = 16;

/// Column of each node: its longest distance from a chain start, so
/// every link points rightwards.
fn columns(view: &ChainView) -> HashMap<Uuid, usize> {
    let mut column: HashMap<Uuid, usize> = view.nodes.iter().map(|n| (n.id, 0)).collect();
    // Links never form cycles, so at most `nodes` relaxation rounds settle it.
    for _ in 0..view.nodes.len() {
        let mut changed = false;
        for edge in &view.edges {
            let from = column.get(&edge.from).copied().unwrap_or(0);
            if let Some(to) = column.get_mut(&edge.to) {
                if *to < from + 1 {
                    *to = from + 1;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    column
}

struct Layout {
    at: HashMap<Uuid, (i64, i64)>,
    width: i64,
    height: i64,
}

fn layout(view: &ChainView) -> Layout {
    let column = columns(view);
    let mut rows: HashMap<usize, i64> = HashMap::new();
    let mut at = HashMap::new();
    for node in &view.nodes {
        let c = column.get(&node.id).copied().unwrap_or(0);
        let r = rows.entry(c).or_insert(0);
        at.insert(
            node.id,
            (
                MARGIN + c as i64 * (NODE_W + GAP_X),
                MARGIN + *r * (NODE_H + GAP_Y),
            ),
        );
        *r += 1;
    }
    let columns = column.values().max().map(|m| *m as i64 + 1).unwrap_or(1);
    let rows = rows.values().max().copied().unwrap_or(1);
    Layout {
        at,
        width: 2 * MARGIN + columns * NODE_W + (columns - 1) * GAP_X,
        height: 2 * MARGIN + rows * NODE_H + (rows - 1).max(0) * GAP_Y,
    }
}

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() > max {
        format!("{}…", text.chars().take(max - 1).collect::<String>())
    } else {
        text.to_owned()
    }
}

fn node_lines(node: &NodeView) -> Vec<String> {
    if node.placeholder {
        return vec![
            "Held by another agency".into(),
            clip(&node.agency_name, 32),
            "Ask them for details".into(),
        ];
    }
    let parties = node
        .parties
        .iter()
        .filter_map(|p| p.name.clone())
        .collect::<Vec<_>>()
        .join(", ");
    vec![
        clip(&format!("{} →", place(node.origin.as_ref())), 34),
        clip(&place(node.destination.as_ref()), 34),
        clip(&parties, 34),
        format!(
            "{} – {}",
            day(node.departed_at.as_deref()),
            day(node.arrived_at.as_deref())
        ),
    ]
}

/// A link's relation in words; a link between two shipments the caller
/// may not see says only that they are linked.
fn relation(edge: &ChainEdge) -> String {
    match &edge.relation {
        Some(relation) => relation.replace('_', " "),
        None => "linked (held by other agencies)".into(),
    }
}

pub fn diagram(view: &ChainView) -> Markup {
    let Layout { at, width, height } = layout(view);
    let description = format!(
        "Diagram of {} shipments and {} links; the table below lists the same hops.",
        view.nodes.len(),
        view.edges.len()
    );
    html! {
        div.diagram {
            svg #chain-diagram xmlns="http://www.w3.org/2000/svg" role="img" aria-label=(description) width=(width) height=(height) viewBox={ "0 0 " (width) " " (height) } font-family="system-ui, sans-serif" font-size="12" {
                defs {
                    marker #arrow viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse" {
                        path d="M 0 0 L 10 5 L 0 10 z" fill="#444" {}
                    }
                }
                @for edge in &view.edges {
                    @if let (Some(&(fx, fy)), Some(&(tx, ty))) = (at.get(&edge.from), at.get(&edge.to)) {
                        @let (x1, y1, x2, y2) = (fx + NODE_W, fy + NODE_H / 2, tx, ty + NODE_H / 2);
                        g.edge {
                            line x1=(x1) y1=(y1) x2=(x2) y2=(y2) stroke=(if edge.placeholder { "#bbb" } else { "#444" }) stroke-width="2" stroke-dasharray=[edge.placeholder.then_some("4 4")] marker-end="url(#arrow)" {}
                            text x=((x1 + x2) / 2) y=((y1 + y2) / 2 - 6) text-anchor="middle" fill="#222" { (relation(edge)) }
                        }
                    }
                }
                @for node in &view.nodes {
                    @if let Some(&(x, y)) = at.get(&node.id) {
                        @let (fill, stroke, width, dash) = match (node.placeholder, node.flagged) {
                            (true, _) => ("#f2f2f2", "#777", "1.5", Some("6 4")),
                            (false, true) => ("#fff1f0", "#b42318", "3", None),
                            (false, false) => ("#ffffff", "#0b5cad", "1.5", None),
                        };
                        g.node data-id=(node.id) data-flagged=(node.flagged) data-placeholder=(node.placeholder) {
                            title { (if node.placeholder { "Record held by another agency" } else { "Shipment" }) " " (node.id) }
                            rect x=(x) y=(y) width=(NODE_W) height=(NODE_H) rx="6" fill=(fill) stroke=(stroke) stroke-width=(width) stroke-dasharray=[dash] {}
                            text x=(x + 10) y=(y + 18) font-weight="bold" fill="#111" {
                                (short(&node.id))
                                @if node.flagged { tspan fill="#b42318" { "  FLAGGED" } }
                                @if let Some(score) = node.score { tspan fill="#555" font-weight="normal" { "  score " (score) } }
                            }
                            @for (i, line) in node_lines(node).iter().enumerate() {
                                text x=(x + 10) y=(y + 38 + i as i64 * 18) fill="#222" { (line) }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub fn table(view: &ChainView) -> Markup {
    let column = columns(view);
    let mut nodes: Vec<&NodeView> = view.nodes.iter().collect();
    nodes.sort_by_key(|n| column.get(&n.id).copied().unwrap_or(0));
    html! {
        div.table-wrap { table #hops-table {
            caption.muted { "Hops in the order goods moved" }
            thead { tr { th { "Step" } th { "Shipment" } th { "Held by" } th { "From" } th { "To" } th { "Departed" } th { "Arrived" } th { "Parties" } th { "Flagged" } } }
            tbody { @for node in nodes {
                tr {
                    td { (column.get(&node.id).copied().unwrap_or(0) + 1) }
                    td { @if node.placeholder { (short(&node.id)) } @else { a href={ "/shipments/" (node.id) } { (short(&node.id)) } } }
                    td { (node.agency_name) }
                    td { (place(node.origin.as_ref())) }
                    td { (place(node.destination.as_ref())) }
                    td { (day(node.departed_at.as_deref())) }
                    td { (day(node.arrived_at.as_deref())) }
                    td { (node.parties.iter().map(|p| format!("{}: {}", p.role, p.name.clone().unwrap_or_default())).collect::<Vec<_>>().join("; ")) }
                    td { (if node.flagged { "yes" } else { "no" }) }
                }
            } }
        } }
        h3 { "Links" }
        table {
            thead { tr { th { "From" } th { "To" } th { "Relation" } } }
            tbody { @for e in &view.edges { tr { td { (short(&e.from)) } td { (short(&e.to)) } td { (relation(e)) } } } }
        }
    }
}
