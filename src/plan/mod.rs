//! A typed model of `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)` output, and the normalized
//! plan shape that baselines compare.

pub mod shape;

use serde::{Deserialize, Serialize};

/// A plan node's kind, as EXPLAIN names it: the kinds plangate looks at by name, and
/// every other one as Postgres spells it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(from = "String")]
pub(crate) enum NodeType {
    SeqScan,
    IndexScan,
    IndexOnlyScan,
    BitmapIndexScan,
    BitmapHeapScan,
    Limit,
    Sort,
    IncrementalSort,
    Hash,
    Aggregate,
    Materialize,
    NestedLoop,
    HashJoin,
    MergeJoin,
    ModifyTable,
    /// Any other kind, as EXPLAIN spells it.
    Other(String),
    /// No "Node Type" (never in a real plan).
    #[default]
    Unknown,
}

/// The kinds with a name of their own, and how EXPLAIN spells them.
const NAMED: &[(NodeType, &str)] = &[
    (NodeType::SeqScan, "Seq Scan"),
    (NodeType::IndexScan, "Index Scan"),
    (NodeType::IndexOnlyScan, "Index Only Scan"),
    (NodeType::BitmapIndexScan, "Bitmap Index Scan"),
    (NodeType::BitmapHeapScan, "Bitmap Heap Scan"),
    (NodeType::Limit, "Limit"),
    (NodeType::Sort, "Sort"),
    (NodeType::IncrementalSort, "Incremental Sort"),
    (NodeType::Hash, "Hash"),
    (NodeType::Aggregate, "Aggregate"),
    (NodeType::Materialize, "Materialize"),
    (NodeType::NestedLoop, "Nested Loop"),
    (NodeType::HashJoin, "Hash Join"),
    (NodeType::MergeJoin, "Merge Join"),
    (NodeType::ModifyTable, "ModifyTable"),
];

impl NodeType {
    /// The kind as EXPLAIN spells it.
    pub(crate) fn as_str(&self) -> &str {
        match self {
            NodeType::Other(name) => name,
            NodeType::Unknown => "",
            named => NAMED.iter().find(|(t, _)| t == named).map_or("", |(_, s)| s),
        }
    }

    /// A scan that reads a table through an index, row by row.
    pub(crate) fn is_index_scan(&self) -> bool {
        matches!(self, NodeType::IndexScan | NodeType::IndexOnlyScan)
    }
}

impl From<String> for NodeType {
    fn from(name: String) -> NodeType {
        NAMED.iter().find(|(_, s)| *s == name).map_or(NodeType::Other(name), |(t, _)| t.clone())
    }
}

impl From<&str> for NodeType {
    fn from(name: &str) -> NodeType {
        NodeType::from(name.to_string())
    }
}

impl std::fmt::Display for NodeType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One plan node, with the fields the detectors and the shape need.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PlanNode {
    #[serde(rename = "Node Type")]
    pub(crate) node_type: NodeType,
    #[serde(rename = "Parent Relationship")]
    pub(crate) parent_relationship: Option<String>,
    #[serde(rename = "Join Type")]
    pub(crate) join_type: Option<String>,
    #[serde(rename = "Strategy")]
    pub(crate) strategy: Option<String>,
    #[serde(rename = "Partial Mode")]
    pub(crate) partial_mode: Option<String>,
    #[serde(rename = "Scan Direction")]
    pub(crate) scan_direction: Option<String>,
    #[serde(rename = "Relation Name")]
    pub(crate) relation_name: Option<String>,
    #[serde(rename = "Schema")]
    pub schema: Option<String>,
    #[serde(rename = "Alias")]
    pub(crate) alias: Option<String>,
    #[serde(rename = "Index Name")]
    pub(crate) index_name: Option<String>,
    #[serde(rename = "CTE Name")]
    pub(crate) cte_name: Option<String>,
    #[serde(rename = "Function Name")]
    pub(crate) function_name: Option<String>,
    #[serde(rename = "Sort Key")]
    pub(crate) sort_key: Option<Vec<String>>,
    #[serde(rename = "Presorted Key")]
    pub(crate) presorted_key: Option<Vec<String>>,
    #[serde(rename = "Sort Method")]
    pub(crate) sort_method: Option<String>,
    #[serde(rename = "Sort Space Type")]
    pub(crate) sort_space_type: Option<String>,
    #[serde(rename = "Hash Batches")]
    pub(crate) hash_batches: Option<u64>,
    #[serde(rename = "Original Hash Batches")]
    pub(crate) original_hash_batches: Option<u64>,
    #[serde(rename = "HashAgg Batches")]
    pub(crate) hashagg_batches: Option<u64>,
    #[serde(rename = "Disk Usage")]
    pub(crate) disk_usage: Option<u64>,
    #[serde(rename = "Plan Rows")]
    pub(crate) plan_rows: f64,
    #[serde(rename = "Plan Width")]
    pub(crate) plan_width: f64,
    #[serde(rename = "Total Cost")]
    pub(crate) total_cost: f64,
    #[serde(rename = "Actual Rows")]
    pub(crate) actual_rows: f64,
    #[serde(rename = "Actual Loops")]
    pub(crate) actual_loops: f64,
    #[serde(rename = "Index Cond")]
    pub(crate) index_cond: Option<String>,
    #[serde(rename = "Filter")]
    pub(crate) filter: Option<String>,
    #[serde(rename = "Recheck Cond")]
    pub(crate) recheck_cond: Option<String>,
    #[serde(rename = "Hash Cond")]
    pub(crate) hash_cond: Option<String>,
    #[serde(rename = "Merge Cond")]
    pub(crate) merge_cond: Option<String>,
    #[serde(rename = "Join Filter")]
    pub(crate) join_filter: Option<String>,
    #[serde(rename = "Group Key")]
    pub(crate) group_key: Option<Vec<String>>,
    #[serde(rename = "Rows Removed by Filter")]
    pub(crate) rows_removed_by_filter: f64,
    #[serde(rename = "Rows Removed by Index Recheck")]
    pub(crate) rows_removed_by_recheck: f64,
    #[serde(rename = "Rows Removed by Join Filter")]
    pub(crate) rows_removed_by_join_filter: f64,
    /// How many times an index scan descended its index (Postgres 18 and newer): one per
    /// scan, one per array element, one per skipped-to prefix of a skip scan.
    #[serde(rename = "Index Searches")]
    pub(crate) index_searches: Option<u64>,
    /// The planner chose the node although its kind was disabled (`enable_seqscan = off`...;
    /// Postgres 18 and newer say so here instead of adding a huge cost).
    #[serde(rename = "Disabled")]
    pub(crate) disabled: bool,
    #[serde(rename = "Shared Hit Blocks")]
    pub shared_hit_blocks: u64,
    #[serde(rename = "Shared Read Blocks")]
    pub shared_read_blocks: u64,
    #[serde(rename = "Temp Read Blocks")]
    pub(crate) temp_read_blocks: u64,
    #[serde(rename = "Temp Written Blocks")]
    pub temp_written_blocks: u64,
    #[serde(rename = "Plans")]
    pub(crate) plans: Vec<PlanNode>,
}

/// A reference to a plan node from outside the plan (a finding's node): the node's label,
/// which is its identity when comparing with a baseline (kind, direction, index and
/// relation, as Postgres' text format prints them), and the relation it reads.
///
/// Stored as the label alone, so a reference read back from a baseline knows no relation.
#[derive(Debug, Clone, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub struct NodeRef {
    pub(crate) label: String,
    pub(crate) relation: Option<String>,
}

impl PartialEq for NodeRef {
    fn eq(&self, other: &NodeRef) -> bool {
        self.label == other.label
    }
}

impl From<String> for NodeRef {
    fn from(label: String) -> NodeRef {
        NodeRef { label, relation: None }
    }
}

impl From<&str> for NodeRef {
    fn from(label: &str) -> NodeRef {
        NodeRef::from(label.to_string())
    }
}

impl From<NodeRef> for String {
    fn from(n: NodeRef) -> String {
        n.label
    }
}

impl std::fmt::Display for NodeRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label)
    }
}

/// The top-level object of EXPLAIN's JSON array.
#[derive(Debug, Clone, Deserialize)]
pub struct Explain {
    #[serde(rename = "Plan")]
    pub plan: PlanNode,
    #[serde(rename = "Planning Time", default)]
    pub(crate) planning_time_ms: f64,
    #[serde(rename = "Execution Time", default)]
    pub(crate) execution_time_ms: f64,
}

impl Explain {
    /// Parse EXPLAIN's JSON (the one-element array Postgres returns, or its element).
    pub fn from_json(value: &serde_json::Value) -> Result<Explain, serde_json::Error> {
        let v = match value {
            serde_json::Value::Array(a) if !a.is_empty() => &a[0],
            other => other,
        };
        serde_json::from_value(v.clone())
    }

    /// Rows processed: the rows every node of the plan handled (see [`PlanNode::rows_handled`]).
    /// Like work it depends only on the data and the plan, so it repeats exactly; unlike
    /// blocks it sees what a plan does with rows already in memory.
    pub fn rows_processed(&self) -> u64 {
        let total: f64 = self.plan.walk().iter().map(|(n, _)| n.rows_handled()).sum();
        #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let rows = total.round() as u64;
        rows
    }

    /// Rows that entered the plan's aggregating nodes (aggregates, window functions,
    /// grouping, `DISTINCT`, set operations): what the query summarises.
    pub(crate) fn rows_aggregated(&self) -> u64 {
        let total: f64 = self.plan.walk().iter().filter(|(n, _)| n.aggregates()).map(|(n, _)| n.rows_in()).sum();
        #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let rows = total.round() as u64;
        rows
    }

    /// The index searches of the whole plan, where the server counts them (Postgres 18 and
    /// newer): a skip scan's work shows here before it shows in blocks.
    pub fn index_searches(&self) -> Option<u64> {
        let counts: Vec<u64> = self.plan.walk().iter().filter_map(|(n, _)| n.index_searches).collect();
        (!counts.is_empty()).then(|| counts.iter().sum())
    }

    /// Work: shared hit + read and temp read + written blocks of the whole plan. The same
    /// counters on every version: the planning's own blocks (reported apart since 13) are
    /// not in it, and BUFFERS is asked for whatever the version's default.
    /// A node's buffer counts include its children's, so the top node holds the total.
    pub fn work(&self) -> u64 {
        let p = &self.plan;
        p.shared_hit_blocks + p.shared_read_blocks + p.temp_read_blocks + p.temp_written_blocks
    }
}

impl PlanNode {
    /// Every node, depth first, with its depth.
    pub(crate) fn walk(&self) -> Vec<(&PlanNode, usize)> {
        fn go<'a>(n: &'a PlanNode, depth: usize, out: &mut Vec<(&'a PlanNode, usize)>) {
            out.push((n, depth));
            for c in &n.plans {
                go(c, depth + 1, out);
            }
        }
        let mut out = Vec::new();
        go(self, 0, &mut out);
        out
    }

    /// The node's label as Postgres' text format prints it, without numbers:
    /// `Index Scan Backward using idx on products`, `Hash Left Join`, `HashAggregate`.
    pub(crate) fn label(&self) -> String {
        let mut s = match (self.node_type.as_str(), self.strategy.as_deref(), self.join_type.as_deref()) {
            ("Aggregate", Some("Hashed"), _) => "HashAggregate".to_string(),
            ("Aggregate", Some("Sorted"), _) => "GroupAggregate".to_string(),
            ("Aggregate", Some("Mixed"), _) => "MixedAggregate".to_string(),
            ("SetOp", Some("Hashed"), _) => "HashSetOp".to_string(),
            ("Hash Join" | "Merge Join", _, Some(j)) if j != "Inner" => {
                let name = self.node_type.as_str();
                let (a, b) = name.split_once(' ').unwrap_or((name, ""));
                format!("{a} {j} {b}")
            }
            ("Nested Loop", _, Some(j)) if j != "Inner" => format!("Nested Loop {j} Join"),
            (t, _, _) => t.to_string(),
        };
        if let Some(mode) = self.partial_mode.as_deref().filter(|m| *m != "Simple") {
            s = format!("{mode} {s}");
        }
        if self.scan_direction.as_deref() == Some("Backward") {
            s.push_str(" Backward");
        }
        if let Some(idx) = &self.index_name {
            s.push_str(if self.node_type == NodeType::BitmapIndexScan { " on " } else { " using " });
            s.push_str(idx);
        }
        if let Some(rel) = &self.relation_name {
            s.push_str(" on ");
            s.push_str(rel);
        } else if let Some(cte) = &self.cte_name {
            s.push_str(" on ");
            s.push_str(cte);
        } else if let Some(f) = &self.function_name {
            s.push_str(" on ");
            s.push_str(f);
        }
        s
    }

    /// A reference to this node, for findings.
    pub(crate) fn node_ref(&self) -> NodeRef {
        NodeRef { label: self.label(), relation: self.relation_name.clone() }
    }

    /// What decides the rows this node returns, as EXPLAIN prints it: its index, recheck,
    /// join and filter conditions and its grouping key, joined by AND.
    pub(crate) fn condition(&self) -> Option<String> {
        let group = self.group_key.as_ref().map(|k| format!("GROUP BY {}", k.join(", ")));
        let parts: Vec<&str> =
            [&self.index_cond, &self.recheck_cond, &self.hash_cond, &self.merge_cond, &self.join_filter]
                .into_iter()
                .flatten()
                .map(String::as_str)
                .chain(self.filter.as_deref())
                .chain(group.as_deref())
                .collect();
        let mut unique: Vec<&str> = Vec::new();
        for p in parts {
            if !unique.contains(&p) {
                unique.push(p);
            }
        }
        (!unique.is_empty()).then(|| unique.join(" AND "))
    }

    /// Rows the node returned, over all its loops.
    pub(crate) fn rows_out(&self) -> f64 {
        self.actual_rows * self.actual_loops
    }

    /// Rows this node handled, over all its loops: those it returned and those its filters,
    /// rechecks and join filters threw away; a sort also counts the rows it took in, which
    /// it handles whether it returns them all or, under a LIMIT, a few.
    pub(crate) fn rows_handled(&self) -> f64 {
        let removed = self.rows_removed_by_filter + self.rows_removed_by_recheck + self.rows_removed_by_join_filter;
        let own = (self.actual_rows + removed) * self.actual_loops;
        let sorted =
            if matches!(self.node_type, NodeType::Sort | NodeType::IncrementalSort) { self.rows_in() } else { 0.0 };
        own + sorted
    }

    /// Rows the node took in: what its inputs (not its `InitPlan`s and `SubPlan`s) returned.
    fn rows_in(&self) -> f64 {
        self.plans.iter().filter(|c| !c.is_subplan()).map(PlanNode::rows_out).sum()
    }

    /// A node that summarises the rows it takes in.
    fn aggregates(&self) -> bool {
        matches!(self.node_type, NodeType::Aggregate)
            || matches!(self.node_type.as_str(), "WindowAgg" | "Group" | "Unique" | "SetOp")
    }

    /// An `InitPlan` or `SubPlan`: a child that is not the node's input.
    fn is_subplan(&self) -> bool {
        matches!(self.parent_relationship.as_deref(), Some("InitPlan" | "SubPlan"))
    }

    /// Rows read from the relation: those returned plus those a filter removed, over all loops.
    pub(crate) fn rows_read(&self) -> f64 {
        (self.actual_rows + self.rows_removed_by_filter) * self.actual_loops.max(1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_types_read_and_print_as_explain_spells_them() {
        for name in ["Seq Scan", "Index Only Scan", "Nested Loop", "Gather Merge", "Custom Scan"] {
            let t = NodeType::from(name);
            assert_eq!(t.as_str(), name);
        }
        assert_eq!(NodeType::from("Seq Scan"), NodeType::SeqScan);
        assert_eq!(NodeType::from("Gather Merge"), NodeType::Other("Gather Merge".into()));
    }

    #[test]
    fn labels_follow_postgres_text_format() {
        let n = PlanNode {
            node_type: "Index Scan".into(),
            scan_direction: Some("Backward".into()),
            index_name: Some("i".into()),
            relation_name: Some("t".into()),
            ..Default::default()
        };
        assert_eq!(n.label(), "Index Scan Backward using i on t");
        let n = PlanNode { node_type: "Hash Join".into(), join_type: Some("Left".into()), ..Default::default() };
        assert_eq!(n.label(), "Hash Left Join");
        let n = PlanNode { node_type: "Aggregate".into(), strategy: Some("Hashed".into()), ..Default::default() };
        assert_eq!(n.label(), "HashAggregate");
        let n = PlanNode { node_type: "Bitmap Index Scan".into(), index_name: Some("i".into()), ..Default::default() };
        assert_eq!(n.label(), "Bitmap Index Scan on i");
    }

    #[test]
    fn rows_processed_count_what_each_node_handles() {
        // A top-N sort of a filtered scan: the scan handles 1,000 rows (900 kept, 100
        // removed), the sort takes the 900 in and returns 20, the limit returns 20.
        let json = serde_json::json!([{ "Plan": {
            "Node Type": "Limit", "Actual Rows": 20, "Actual Loops": 1,
            "Plans": [{ "Node Type": "Sort", "Actual Rows": 20, "Actual Loops": 1,
                "Plans": [{ "Node Type": "Seq Scan", "Relation Name": "t", "Actual Rows": 900,
                    "Rows Removed by Filter": 100, "Actual Loops": 1 }] }] } }]);
        let e = Explain::from_json(&json).unwrap();
        assert_eq!(e.rows_processed(), 20 + (20 + 900) + 1000);
        assert_eq!(e.rows_aggregated(), 0);
        // A nested loop's inner side counts every loop; a node never run counts nothing.
        let json = serde_json::json!([{ "Plan": {
            "Node Type": "Aggregate", "Actual Rows": 1, "Actual Loops": 1,
            "Plans": [{ "Node Type": "Nested Loop", "Actual Rows": 50, "Actual Loops": 1, "Parent Relationship": "Outer",
                "Plans": [
                    { "Node Type": "Seq Scan", "Actual Rows": 10, "Actual Loops": 1 },
                    { "Node Type": "Index Scan", "Actual Rows": 5, "Actual Loops": 10, "Rows Removed by Index Recheck": 1 },
                    { "Node Type": "Seq Scan", "Actual Rows": 0, "Actual Loops": 0, "Parent Relationship": "SubPlan" }
                ] }] } }]);
        let e = Explain::from_json(&json).unwrap();
        assert_eq!(e.rows_processed(), 1 + 50 + 10 + 60);
        assert_eq!(e.rows_aggregated(), 50);
    }
}
