//! Chains: the origin→destination paths that links between shipments form.
//!
//! The database finds which shipments and links belong to a chain; this
//! module turns them into ordered paths, and answers whether a new link
//! would close a cycle.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use uuid::Uuid;

use crate::choice;

choice!(LinkRelation {
    Transshipment => "transshipment",
    Reconsignment => "reconsignment",
    SameGoods => "same_goods",
    SameEquipment => "same_equipment",
});

choice!(
    /// What a user decides on a suggested link.
    SuggestionVerdict { Accept => "accept", Reject => "reject" }
);

choice!(
    /// What became of a suggestion once decided.
    SuggestionResult { Accepted => "accepted", Rejected => "rejected" }
);

/// What a suggested link rests on. A shared identifier (a container, an
/// air waybill, a press's serial) is the strongest evidence, a party that
/// hands over to the other next, a departure from where the other arrived
/// soon after the weakest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Evidence {
    SharedIdentifier,
    PartyHandover,
    PlaceAndTime,
}

impl Evidence {
    pub fn weight(self) -> u32 {
        match self {
            Self::SharedIdentifier => 5,
            Self::PartyHandover => 3,
            Self::PlaceAndTime => 1,
        }
    }
}

/// How strongly a candidate's reasons together suggest a link: the sum of
/// their weights.
pub fn evidence_score(reasons: &[Evidence]) -> u32 {
    reasons.iter().map(|e| e.weight()).sum()
}

/// How far a trace may go: the depth from the traced shipment, the number
/// of shipments, and the number of paths listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_depth: u32,
    pub max_nodes: usize,
    pub max_paths: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: 32,
            max_nodes: 500,
            max_paths: 200,
        }
    }
}

/// A directed link `from` → `to`: `to` continues `from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Edge {
    pub from: Uuid,
    pub to: Uuid,
}

/// Origin→destination paths through a set of nodes and edges: every path
/// starts at a node with no incoming edge and ends at one with no outgoing
/// edge (within the set). At most `max_paths` are returned; the flag says
/// whether more existed.
pub fn paths(nodes: &[Uuid], edges: &[Edge], max_paths: usize) -> (Vec<Vec<Uuid>>, bool) {
    let members: BTreeSet<Uuid> = nodes.iter().copied().collect();
    let mut outgoing: BTreeMap<Uuid, Vec<Uuid>> = BTreeMap::new();
    let mut has_incoming: BTreeSet<Uuid> = BTreeSet::new();
    for edge in edges {
        if members.contains(&edge.from) && members.contains(&edge.to) && edge.from != edge.to {
            outgoing.entry(edge.from).or_default().push(edge.to);
            has_incoming.insert(edge.to);
        }
    }
    for targets in outgoing.values_mut() {
        targets.sort();
        targets.dedup();
    }
    let mut result = Vec::new();
    let mut truncated = false;
    for source in nodes.iter().filter(|n| !has_incoming.contains(n)) {
        // Depth-first, with the current path as the visited set, so a cycle
        // that slipped in cannot loop forever.
        let mut stack: Vec<(Uuid, usize)> = vec![(*source, 0)];
        let mut path: Vec<Uuid> = Vec::new();
        while let Some((node, depth)) = stack.pop() {
            path.truncate(depth);
            if path.contains(&node) {
                continue;
            }
            path.push(node);
            let next: Vec<Uuid> = outgoing
                .get(&node)
                .map(|t| t.iter().filter(|n| !path.contains(n)).copied().collect())
                .unwrap_or_default();
            if outgoing.get(&node).is_none_or(|t| t.is_empty()) {
                if result.len() >= max_paths {
                    truncated = true;
                    break;
                }
                result.push(path.clone());
                continue;
            }
            for n in next.into_iter().rev() {
                stack.push((n, depth + 1));
            }
        }
        if truncated {
            break;
        }
    }
    (result, truncated)
}

/// Whether adding `from` → `to` to `edges` would close a cycle: true when
/// `from` can already be reached from `to`.
pub fn closes_cycle(edges: &[Edge], from: Uuid, to: Uuid) -> bool {
    if from == to {
        return true;
    }
    let mut outgoing: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for e in edges {
        outgoing.entry(e.from).or_default().push(e.to);
    }
    let mut seen = BTreeSet::new();
    let mut stack = vec![to];
    while let Some(node) = stack.pop() {
        if node == from {
            return true;
        }
        if seen.insert(node) {
            stack.extend(outgoing.get(&node).into_iter().flatten().copied());
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_ranks_identifiers_over_parties_over_place() {
        use Evidence::*;
        assert!(evidence_score(&[SharedIdentifier]) > evidence_score(&[PartyHandover]));
        assert!(evidence_score(&[PartyHandover]) > evidence_score(&[PlaceAndTime]));
        // Two kinds of evidence outweigh either alone.
        assert!(evidence_score(&[PartyHandover, PlaceAndTime]) > evidence_score(&[PartyHandover]));
        assert_eq!(evidence_score(&[]), 0);
    }
    use proptest::prelude::*;

    fn id(n: u8) -> Uuid {
        Uuid::from_u128(u128::from(n) + 1)
    }

    fn e(a: u8, b: u8) -> Edge {
        Edge {
            from: id(a),
            to: id(b),
        }
    }

    #[test]
    fn a_straight_chain_is_one_path_in_order() {
        let nodes = [id(2), id(0), id(1)];
        let (paths, truncated) = paths(&nodes, &[e(1, 2), e(0, 1)], 10);
        assert_eq!(paths, [vec![id(0), id(1), id(2)]]);
        assert!(!truncated);
    }

    #[test]
    fn splits_and_merges_give_every_path() {
        // 0 splits into 1 and 2, which merge into 3.
        let nodes = [id(0), id(1), id(2), id(3)];
        let (paths, _) = paths(&nodes, &[e(0, 1), e(0, 2), e(1, 3), e(2, 3)], 10);
        assert_eq!(
            paths,
            [vec![id(0), id(1), id(3)], vec![id(0), id(2), id(3)]]
        );
    }

    #[test]
    fn too_many_paths_are_reported() {
        let nodes = [id(0), id(1), id(2), id(3)];
        let (paths, truncated) = paths(&nodes, &[e(0, 1), e(0, 2), e(0, 3)], 2);
        assert_eq!(paths.len(), 2);
        assert!(truncated);
    }

    #[test]
    fn cycles_are_detected() {
        let edges = [e(0, 1), e(1, 2)];
        assert!(closes_cycle(&edges, id(2), id(0)));
        assert!(closes_cycle(&edges, id(1), id(1)));
        assert!(!closes_cycle(&edges, id(0), id(2)));
        assert!(!closes_cycle(&edges, id(3), id(0)));
    }

    /// Builds a graph by offering random links and accepting those that do
    /// not close a cycle, as the service does.
    fn accept(offers: &[(u8, u8)]) -> Vec<Edge> {
        let mut edges = Vec::new();
        for (a, b) in offers {
            if !closes_cycle(&edges, id(*a), id(*b)) {
                edges.push(e(*a, *b));
            }
        }
        edges
    }

    fn has_cycle(edges: &[Edge]) -> bool {
        edges.iter().any(|edge| {
            let others: Vec<Edge> = edges.iter().copied().filter(|x| x != edge).collect();
            closes_cycle(&others, edge.from, edge.to)
        })
    }

    proptest! {
        #[test]
        fn no_cycle_is_ever_accepted(offers in proptest::collection::vec((0u8..12, 0u8..12), 0..40)) {
            let edges = accept(&offers);
            prop_assert!(!has_cycle(&edges));
        }

        #[test]
        fn paths_run_from_sources_to_sinks(offers in proptest::collection::vec((0u8..10, 0u8..10), 0..25)) {
            let edges = accept(&offers);
            let nodes: Vec<Uuid> = (0..10).map(id).collect();
            let (paths, truncated) = paths(&nodes, &edges, 10_000);
            prop_assert!(!truncated);
            for path in &paths {
                let first = path[0];
                let last = *path.last().unwrap();
                prop_assert!(!edges.iter().any(|x| x.to == first), "path starts at a node with an incoming link");
                prop_assert!(!edges.iter().any(|x| x.from == last), "path ends at a node with an outgoing link");
                for pair in path.windows(2) {
                    let step = Edge { from: pair[0], to: pair[1] };
                    prop_assert!(edges.contains(&step), "a step that is not a link");
                }
            }
            // Every edge lies on some path.
            for edge in &edges {
                prop_assert!(paths.iter().any(|p| p.windows(2).any(|w| w[0] == edge.from && w[1] == edge.to)));
            }
        }

        #[test]
        fn the_path_cap_is_reported(offers in proptest::collection::vec((0u8..8, 0u8..8), 0..30), cap in 1usize..4) {
            let edges = accept(&offers);
            let nodes: Vec<Uuid> = (0..8).map(id).collect();
            let (all, _) = paths(&nodes, &edges, 10_000);
            let (capped, truncated) = paths(&nodes, &edges, cap);
            prop_assert_eq!(truncated, all.len() > cap);
            prop_assert_eq!(capped.len(), all.len().min(cap));
        }
    }
}
