//! The normalized plan shape: node labels, join types, relations, indexes and sort keys in
//! an indented tree, with every number dropped. Baselines store it, the shape diff compares
//! it, and snapshot tests use the same function, so tests exercise the real comparison.

use similar::TextDiff;
use std::fmt::Write as _;

use crate::plan::PlanNode;

/// The indented shape of a plan: one line per node, two spaces per level.
pub fn shape(plan: &PlanNode) -> String {
    let mut lines = Vec::new();
    for (node, depth) in plan.walk() {
        let mut line = format!("{}{}", "  ".repeat(depth), node.label());
        if let Some(keys) = &node.sort_key {
            let _ = write!(line, " [{}]", keys.join(", "));
        }
        lines.push(line);
    }
    lines.join("\n")
}

/// Indices of the shapes that differ from the one before: where a scaling curve's plan flips.
pub(crate) fn flips<'a>(shapes: impl IntoIterator<Item = &'a str>) -> Vec<usize> {
    let shapes: Vec<&str> = shapes.into_iter().collect();
    (1..shapes.len()).filter(|&i| shapes[i - 1] != shapes[i]).collect()
}

/// A unified line diff of two shapes, or None when they are equal.
pub(crate) fn diff(baseline: &str, current: &str) -> Option<String> {
    if baseline == current {
        return None;
    }
    let diff = TextDiff::from_lines(baseline, current);
    let mut out = String::new();
    for change in diff.iter_all_changes() {
        let sign = match change.tag() {
            similar::ChangeTag::Delete => '-',
            similar::ChangeTag::Insert => '+',
            similar::ChangeTag::Equal => ' ',
        };
        out.push(sign);
        out.push_str(change.value().trim_end_matches('\n'));
        out.push('\n');
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_drops_numbers_and_keeps_structure() {
        let json = serde_json::json!([{ "Plan": {
            "Node Type": "Limit", "Plan Rows": 20, "Actual Rows": 20, "Total Cost": 12.5,
            "Plans": [{ "Node Type": "Sort", "Sort Key": ["featured DESC", "created_at DESC"], "Plan Rows": 3000,
                "Plans": [{ "Node Type": "Seq Scan", "Relation Name": "products", "Alias": "p", "Plan Rows": 3000 }] }]
        }}]);
        let e = crate::plan::Explain::from_json(&json).unwrap();
        assert_eq!(shape(&e.plan), "Limit\n  Sort [featured DESC, created_at DESC]\n    Seq Scan on products");
    }

    #[test]
    fn diff_marks_changed_lines() {
        let d = diff("Limit\n  Index Scan using i on t", "Limit\n  Sort\n    Seq Scan on t").unwrap();
        assert_eq!(d, " Limit\n-  Index Scan using i on t\n+  Sort\n+    Seq Scan on t\n");
        assert!(diff("a", "a").is_none());
    }
}
