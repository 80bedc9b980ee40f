import BuddyVocabulary

/// `pgdat->node_zonelists[]` of every node, built once at boot (`build_all_zonelists`).
struct Zonelists {
    /// `ZONELIST_FALLBACK` of each node.
    let fallback: [[Zone]]
    /// `ZONELIST_NOFALLBACK` of each node (`__GFP_THISNODE`).
    let noFallback: [[Zone]]

    /// `build_zonelists`: for the fallback list, nodes by (distance, node id) from the node,
    /// local first; each node contributes its populated zones from the highest index down
    /// (`build_zonerefs_node`). The no-fallback list is the node's own zones.
    ///
    /// Simplification: `find_next_best_node`'s penalties for lower node ids, CPUs and load are
    /// not modelled.
    init(profile: Profile, zones: [Zone]) {
        func zonerefs(_ node: NodeID) -> [Zone] {
            zones.filter { $0.id.node == node && $0.isPopulated }.sorted { $0.id.type > $1.id.type }
        }
        let nodes = profile.nodes.indices.map(NodeID.init(rawValue:))
        fallback = nodes.map { local in
            let order = nodes.sorted {
                (profile.distance(from: local, to: $0), $0.rawValue) < (profile.distance(from: local, to: $1), $1.rawValue)
            }
            return order.flatMap(zonerefs)
        }
        noFallback = nodes.map(zonerefs)
    }
}
