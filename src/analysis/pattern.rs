//! Plan patterns: what a query's `forbid` list names (`seq_scan(orders)`, `sort_spill`,
//! `nested_loop`), matched against a plan and its findings.

use std::fmt;
use std::str::FromStr;

use crate::analysis::{Finding, Kind};
use crate::expr::{self, Args, Expr, ExprError};
use crate::plan::{NodeRef, NodeType, PlanNode};

/// A plan finding or any nested loop, optionally on one relation.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    pub(crate) target: Target,
    pub(crate) relation: Option<String>,
}

/// What a pattern names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// A plan finding of this kind.
    Finding(Kind),
    /// Any nested loop, blown up or not.
    NestedLoop,
}

/// Finding kinds a pattern can name (the plan's own; not verdicts on it).
const FINDINGS: &[Kind] = &[
    Kind::SeqScan,
    Kind::SortSpill,
    Kind::HashSpill,
    Kind::Misestimate,
    Kind::LimitFilterScan,
    Kind::NestedLoopBlowup,
    Kind::UnindexedForeignKey,
];

impl Target {
    fn as_str(self) -> &'static str {
        match self {
            Target::Finding(kind) => kind.as_str(),
            Target::NestedLoop => "nested_loop",
        }
    }

    fn from_name(name: &str) -> Option<Target> {
        if name == "nested_loop" {
            return Some(Target::NestedLoop);
        }
        FINDINGS.iter().find(|k| k.as_str() == name).map(|k| Target::Finding(*k))
    }
}

impl Pattern {
    /// The pattern an expression names: `kind` or `kind(relation)`.
    pub(crate) fn from_expr(e: &Expr) -> Result<Pattern, ExprError> {
        let (name, relation) = match e {
            Expr::Name(parts) if parts.len() == 1 => (parts[0].as_str(), None),
            Expr::Call { name, args } => {
                let mut a = Args::new(name, args);
                let relation = match a.next("a relation")? {
                    Expr::Name(parts) => parts.join("."),
                    Expr::Str(s) => s.clone(),
                    other => return Err(ExprError::invalid(format!("expected a relation name, found `{other}`"))),
                };
                a.finish(&[])?;
                (name.as_str(), Some(relation))
            }
            other => return Err(ExprError::invalid(format!("expected a pattern, found `{other}`"))),
        };
        let target = Target::from_name(name).ok_or_else(|| {
            let known: Vec<&str> =
                FINDINGS.iter().map(|k| k.as_str()).chain(std::iter::once(Target::NestedLoop.as_str())).collect();
            ExprError::invalid(format!("unknown pattern `{e}` (known: {})", known.join(", ")))
        })?;
        Ok(Pattern { target, relation })
    }

    /// The first node of the plan this pattern matches, if any. Seq scans and nested loops
    /// are looked for in the plan itself (a small table's seq scan is no finding, but can
    /// be forbidden); other kinds among the plan's findings.
    pub(crate) fn find(&self, plan: &PlanNode, findings: &[Finding]) -> Option<NodeRef> {
        let on_relation = |n: &PlanNode| self.relation.as_ref().is_none_or(|r| n.relation_name.as_ref() == Some(r));
        let in_plan = |t: NodeType| {
            plan.walk().into_iter().find(|(n, _)| n.node_type == t && on_relation(n)).map(|(n, _)| n.node_ref())
        };
        match self.target {
            // A foreign key's check that scans the table whole is a seq scan of it too.
            Target::Finding(Kind::SeqScan) if self.relation.is_some() => in_plan(NodeType::SeqScan).or_else(|| {
                findings
                    .iter()
                    .filter(|f| f.kind == Kind::UnindexedForeignKey)
                    .filter_map(|f| f.node.clone())
                    .find(|n| n.relation == self.relation)
            }),
            Target::NestedLoop => in_plan(NodeType::NestedLoop),
            Target::Finding(kind) => findings
                .iter()
                .find(|f| {
                    f.kind == kind
                        && self
                            .relation
                            .as_ref()
                            .is_none_or(|r| f.node.as_ref().and_then(|n| n.relation.as_ref()) == Some(r))
                })
                .map(|f| f.node.clone().unwrap_or_else(|| NodeRef::from(""))),
        }
    }
}

impl FromStr for Pattern {
    type Err = ExprError;

    fn from_str(s: &str) -> Result<Pattern, ExprError> {
        Pattern::from_expr(&expr::parse(s)?)
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.relation {
            Some(r) => write!(f, "{}({r})", self.target.as_str()),
            None => f.write_str(self.target.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_read_and_print_back() {
        for text in ["seq_scan(products)", "sort_spill", "nested_loop", "nested_loop_blowup(app.orders)"] {
            assert_eq!(text.parse::<Pattern>().unwrap().to_string(), text);
        }
        let err = "bogus(t)".parse::<Pattern>().unwrap_err().to_string();
        assert!(err.contains("unknown pattern `bogus(t)`") && err.contains("seq_scan"), "{err}");
        assert!("seq_scan(a, b)".parse::<Pattern>().is_err());
        assert!("seq_scan(".parse::<Pattern>().unwrap_err().to_string().contains("column 10"));
    }

    #[test]
    fn a_relation_is_matched_by_the_node_it_reads_not_by_its_label() {
        let scan = |rel: &str| PlanNode {
            node_type: NodeType::SeqScan,
            relation_name: Some(rel.into()),
            ..Default::default()
        };
        // A CTE scan's label also ends in " on orders", but it reads no relation.
        let cte =
            PlanNode { node_type: NodeType::from("CTE Scan"), cte_name: Some("orders".into()), ..Default::default() };
        let plan =
            PlanNode { node_type: NodeType::from("Append"), plans: vec![cte, scan("items")], ..Default::default() };
        let finding = |n: &PlanNode| Finding {
            kind: Kind::Misestimate,
            severity: crate::analysis::Severity::Warning,
            scale: Some(1.0),
            node: Some(n.node_ref()),
            detail: String::new(),
            estimate: None,
        };
        let findings: Vec<Finding> = plan.plans.iter().map(finding).collect();
        let on = |text: &str| text.parse::<Pattern>().unwrap().find(&plan, &findings).map(|n| n.label);
        assert_eq!(on("misestimate(items)"), Some("Seq Scan on items".into()));
        assert_eq!(on("misestimate(orders)"), None);
        assert_eq!(on("seq_scan(items)"), Some("Seq Scan on items".into()));
        assert_eq!(on("misestimate"), Some("CTE Scan on orders".into()));
    }
}
