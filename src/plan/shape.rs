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

/// A shape with parallel query folded away: what the plan is when run by one process.
/// `Gather` and `Gather Merge` give way to what they gather; a `Finalize` aggregate over
/// its `Partial` one becomes one aggregate of the partial one's kind (the one that read the
/// rows), a `Sort` of the partial results between them dropped; a lone `Partial` or
/// `Finalize` loses the word. Parallel scans and joins already print as their serial kinds.
pub(crate) fn serial(shape: &str) -> String {
    let mut out = Vec::new();
    for root in Tree::parse(shape) {
        root.fold(0, &mut out);
    }
    out.join("\n")
}

/// A shape read back into its tree.
struct Tree<'a> {
    line: &'a str,
    children: Vec<Tree<'a>>,
}

impl<'a> Tree<'a> {
    fn parse(shape: &'a str) -> Vec<Tree<'a>> {
        let mut lines: Vec<(usize, &str)> =
            shape.lines().map(|l| ((l.len() - l.trim_start().len()) / 2, l.trim_start())).collect();
        lines.reverse();
        Self::children_at(0, &mut lines)
    }

    fn children_at(depth: usize, lines: &mut Vec<(usize, &'a str)>) -> Vec<Tree<'a>> {
        let mut out = Vec::new();
        while let Some(&(d, line)) = lines.last() {
            if d < depth {
                break;
            }
            lines.pop();
            out.push(Tree { line, children: Self::children_at(d + 1, lines) });
        }
        out
    }

    fn is_gather(&self) -> bool {
        self.line == "Gather" || self.line == "Gather Merge"
    }

    fn fold(&self, depth: usize, out: &mut Vec<String>) {
        if self.is_gather() {
            for c in &self.children {
                c.fold(depth, out);
            }
            return;
        }
        let mut line = self.line;
        let mut children = &self.children;
        if let Some(rest) = line.strip_prefix("Finalize ") {
            line = rest;
            // Down through Gather and a Sort of partial results to the Partial aggregate.
            let mut below = children;
            loop {
                match below.as_slice() {
                    [one] if one.is_gather() || one.line.starts_with("Sort") => below = &one.children,
                    [one] if one.line.starts_with("Partial ") => {
                        line = &one.line["Partial ".len()..];
                        children = &one.children;
                        break;
                    }
                    _ => break,
                }
            }
        } else if let Some(rest) = line.strip_prefix("Partial ") {
            line = rest;
        }
        out.push(format!("{}{line}", "  ".repeat(depth)));
        for c in children {
            c.fold(depth + 1, out);
        }
    }
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

    #[test]
    fn parallel_plans_fold_to_their_serial_shape() {
        let parallel = "Finalize HashAggregate\n  Gather\n    Partial HashAggregate\n      Hash Join\n        Seq Scan on orders\n        Hash\n          Seq Scan on products";
        let serial_plan = "HashAggregate\n  Hash Join\n    Seq Scan on orders\n    Hash\n      Seq Scan on products";
        assert_eq!(serial(parallel), serial_plan);
        assert_eq!(serial(serial_plan), serial_plan);
        let merged = "Limit\n  Finalize GroupAggregate\n    Gather Merge\n      Sort [p.id]\n        Partial HashAggregate\n          Seq Scan on p";
        assert_eq!(serial(merged), "Limit\n  HashAggregate\n    Seq Scan on p");
        assert_eq!(serial("Gather\n  Seq Scan on products"), "Seq Scan on products");
        let sorted = "Gather Merge\n  Sort [created_at DESC]\n    Seq Scan on t";
        assert_eq!(serial(sorted), "Sort [created_at DESC]\n  Seq Scan on t");
        // A real difference stays one.
        assert_ne!(serial("Gather\n  Index Scan using i on t"), serial("Seq Scan on t"));
    }

    #[test]
    fn parallel_scans_print_as_their_serial_kind() {
        let json = serde_json::json!([{ "Plan": { "Node Type": "Gather", "Plans": [
            { "Node Type": "Seq Scan", "Parallel Aware": true, "Relation Name": "products" }] } }]);
        let e = crate::plan::Explain::from_json(&json).unwrap();
        assert_eq!(serial(&shape(&e.plan)), "Seq Scan on products");
    }
}
