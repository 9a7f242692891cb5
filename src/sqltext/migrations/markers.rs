//! The parts of one migration file that its tool applies going up: goose's and dbmate's
//! up sections, goose's statement blocks and atlas's statement delimiter, read the way the
//! tools read them. The text keeps its length and its lines: what is not applied is
//! blanked in place, so positions in errors are positions in the file.

use std::ops::Range;

/// How one file marks what runs going up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Markers {
    /// The whole file.
    None,
    /// `-- +goose Up` / `-- +goose Down`, with `StatementBegin` / `StatementEnd` blocks.
    Goose,
    /// `-- migrate:up` / `-- migrate:down`.
    Dbmate,
    /// Atlas's own files: `-- atlas:` directives, and a statement delimiter of their own.
    Atlas,
}

/// The text to apply and the ranges of it that go to the server as one statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct UpPart {
    pub sql: String,
    pub groups: Vec<Range<usize>>,
}

/// A marker that cannot be read: its line (1-based) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {detail}")]
pub(crate) struct MarkerError {
    pub line: usize,
    pub detail: String,
}

/// Which markers a file's text uses, by its first marker line.
pub(super) fn sniff(text: &str) -> Markers {
    for line in text.lines() {
        let l = line.trim_start();
        if goose_annotation(l).is_some() {
            return Markers::Goose;
        }
        if dbmate_marker(l).is_some() {
            return Markers::Dbmate;
        }
    }
    Markers::None
}

/// The up part of `text` as `markers` reads it.
pub(super) fn up_part(text: &str, markers: Markers) -> Result<UpPart, MarkerError> {
    match markers {
        Markers::None => Ok(UpPart { sql: text.to_string(), groups: Vec::new() }),
        Markers::Goose => goose(text),
        Markers::Dbmate => dbmate(text),
        Markers::Atlas => atlas(text),
    }
}

/// Lines with their byte ranges (the newline excluded) and 1-based numbers.
fn lines(text: &str) -> impl Iterator<Item = (usize, Range<usize>, &str)> {
    let mut start = 0;
    text.split_inclusive('\n').enumerate().map(move |(i, raw)| {
        let line = raw.strip_suffix('\n').unwrap_or(raw);
        let line = line.strip_suffix('\r').unwrap_or(line);
        let range = start..start + line.len();
        start += raw.len();
        (i + 1, range, line)
    })
}

/// `text` with every byte outside `keep` turned into a space (newlines stay): same length,
/// same lines, valid UTF-8 (a blanked character becomes as many spaces as it had bytes).
fn blank_outside(text: &str, keep: &[Range<usize>]) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        if c == '\n' || keep.iter().any(|r| r.contains(&i)) {
            out.push(c);
        } else {
            out.extend(std::iter::repeat_n(' ', c.len_utf8()));
        }
    }
    out
}

/// Whether a line is blank or a comment only (what may stand outside a tool's sections).
fn is_comment_or_blank(line: &str) -> bool {
    let l = line.trim();
    l.is_empty() || l.starts_with("--")
}

/// goose's annotation on a `-- +goose ...` line, lowercased (`up`, `statementbegin`, ...).
fn goose_annotation(line: &str) -> Option<String> {
    let rest = line.trim_start().strip_prefix("--")?.trim_start().strip_prefix("+goose")?;
    (rest.is_empty() || rest.starts_with(char::is_whitespace))
        .then(|| rest.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase())
}

fn goose(text: &str) -> Result<UpPart, MarkerError> {
    #[derive(PartialEq)]
    enum Section {
        Before,
        Up,
        Down,
    }
    let mut section = Section::Before;
    let mut keep: Vec<Range<usize>> = Vec::new();
    let mut groups = Vec::new();
    let mut open: Option<(usize, usize)> = None;
    for (n, range, line) in lines(text) {
        let Some(annotation) = goose_annotation(line) else {
            match section {
                Section::Before if !is_comment_or_blank(line) => {
                    return Err(MarkerError {
                        line: n,
                        detail: "SQL before the `-- +goose Up` annotation (goose applies only what follows it)".into(),
                    });
                }
                Section::Up => keep.push(range.start..range.end + 1),
                _ => {}
            }
            continue;
        };
        match annotation.as_str() {
            "up" if section == Section::Before => section = Section::Up,
            "up" => return Err(MarkerError { line: n, detail: "a second `-- +goose Up` annotation".into() }),
            "down" if section == Section::Up => {
                if let Some((line, _)) = open {
                    return Err(unclosed(line));
                }
                section = Section::Down;
            }
            "down" => {
                return Err(MarkerError { line: n, detail: "`-- +goose Down` before `-- +goose Up`".into() });
            }
            "statementbegin" if section == Section::Before => {
                return Err(MarkerError { line: n, detail: "`-- +goose StatementBegin` before `-- +goose Up`".into() });
            }
            "statementbegin" => {
                if let Some((line, _)) = open {
                    return Err(unclosed(line));
                }
                open = Some((n, range.end + 1));
            }
            "statementend" => match open.take() {
                Some((_, start)) => {
                    if section == Section::Up {
                        groups.push(start..range.start);
                    }
                }
                None => {
                    return Err(MarkerError {
                        line: n,
                        detail: "`-- +goose StatementEnd` without a `-- +goose StatementBegin`".into(),
                    });
                }
            },
            // Running outside a transaction, and environment substitution (left as written:
            // the variables of the environment the migration ran in are not known here).
            "no transaction" | "envsub on" | "envsub off" => {}
            other => {
                return Err(MarkerError { line: n, detail: format!("unknown goose annotation `-- +goose {other}`") });
            }
        }
    }
    if let Some((line, _)) = open {
        return Err(unclosed(line));
    }
    if section == Section::Before {
        return Err(MarkerError { line: 1, detail: "no `-- +goose Up` annotation".into() });
    }
    Ok(UpPart { sql: blank_outside(text, &keep), groups })
}

fn unclosed(line: usize) -> MarkerError {
    MarkerError { line, detail: "`-- +goose StatementBegin` without a `-- +goose StatementEnd`".into() }
}

/// dbmate's marker on a `-- migrate:up` / `-- migrate:down` line: (is up, options).
fn dbmate_marker(line: &str) -> Option<(bool, &str)> {
    let rest = line.trim_start().strip_prefix("--")?.trim_start().strip_prefix("migrate:")?;
    if let Some(options) = rest.strip_prefix("up") {
        return (options.is_empty() || options.starts_with(char::is_whitespace)).then_some((true, options.trim()));
    }
    let options = rest.strip_prefix("down")?;
    (options.is_empty() || options.starts_with(char::is_whitespace)).then_some((false, options.trim()))
}

fn dbmate(text: &str) -> Result<UpPart, MarkerError> {
    let mut up: Option<usize> = None;
    let mut down: Option<usize> = None;
    let mut keep = Vec::new();
    for (n, range, line) in lines(text) {
        match dbmate_marker(line) {
            Some((true, options)) => {
                if up.is_some() {
                    return Err(MarkerError { line: n, detail: "a second `-- migrate:up` marker".into() });
                }
                if down.is_some() {
                    return Err(MarkerError { line: n, detail: "`-- migrate:up` after `-- migrate:down`".into() });
                }
                check_dbmate_options(n, options)?;
                up = Some(n);
            }
            Some((false, options)) => {
                if down.is_some() {
                    return Err(MarkerError { line: n, detail: "a second `-- migrate:down` marker".into() });
                }
                if up.is_none() {
                    return Err(MarkerError { line: n, detail: "`-- migrate:down` before `-- migrate:up`".into() });
                }
                check_dbmate_options(n, options)?;
                down = Some(n);
            }
            None if up.is_none() && !is_comment_or_blank(line) => {
                return Err(MarkerError {
                    line: n,
                    detail: "SQL before the `-- migrate:up` marker (dbmate applies only its up block)".into(),
                });
            }
            None if down.is_none() && up.is_some() => keep.push(range.start..range.end + 1),
            None => {}
        }
    }
    if up.is_none() {
        return Err(MarkerError { line: 1, detail: "no `-- migrate:up` marker".into() });
    }
    Ok(UpPart { sql: blank_outside(text, &keep), groups: Vec::new() })
}

/// dbmate's block options: `transaction:true|false` is the one it knows.
fn check_dbmate_options(line: usize, options: &str) -> Result<(), MarkerError> {
    for option in options.split_whitespace() {
        match option.split_once(':') {
            Some(("transaction", "true" | "false")) => {}
            _ => return Err(MarkerError { line, detail: format!("unknown dbmate option `{option}`") }),
        }
    }
    Ok(())
}

/// Atlas's files: `-- atlas:delimiter D` (escapes `\n` and `\t` allowed) splits the rest of
/// the file into statements at each `D`, which is not applied; other directives are read
/// over (they set how atlas lints and runs the file, not what it applies).
fn atlas(text: &str) -> Result<UpPart, MarkerError> {
    let mut delimiter: Option<(usize, String)> = None;
    for (n, range, line) in lines(text) {
        let Some(rest) = line.trim_start().strip_prefix("-- atlas:delimiter") else {
            continue;
        };
        let d = rest.trim().replace("\\n", "\n").replace("\\t", "\t");
        if d.is_empty() {
            return Err(MarkerError { line: n, detail: "`-- atlas:delimiter` names no delimiter".into() });
        }
        delimiter = Some((range.end, d));
        break;
    }
    let Some((from, d)) = delimiter else {
        return Ok(UpPart { sql: text.to_string(), groups: Vec::new() });
    };
    let mut keep: Vec<Range<usize>> = Vec::new();
    keep.push(0..from);
    let mut groups = Vec::new();
    let mut start = from;
    for (at, _) in text[from..].match_indices(d.as_str()).map(|(i, s)| (from + i, s)) {
        if at < start {
            continue;
        }
        groups.push(start..at);
        keep.push(start..at);
        start = at + d.len();
    }
    groups.push(start..text.len());
    keep.push(start..text.len());
    // Blank the delimiters themselves, keeping their line breaks.
    Ok(UpPart { sql: blank_outside(text, &keep), groups })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applied(p: &UpPart) -> String {
        p.sql.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn goose_applies_the_up_section_only_and_keeps_lines() {
        let text = "-- comment\n-- +goose Up\nCREATE TABLE users (id int);\n-- +goose Down\nDROP TABLE users;\n";
        assert_eq!(sniff(text), Markers::Goose);
        let p = up_part(text, Markers::Goose).unwrap();
        assert_eq!(p.sql.len(), text.len());
        assert_eq!(p.sql.lines().count(), text.lines().count());
        assert_eq!(applied(&p), "CREATE TABLE users (id int);");
        assert_eq!(p.sql.lines().nth(2), Some("CREATE TABLE users (id int);"));
    }

    #[test]
    fn goose_statement_blocks_are_one_statement() {
        let text = "-- +goose Up\n-- +goose StatementBegin\nCREATE FUNCTION f() RETURNS int AS 'select 1; select 2' LANGUAGE sql;\n\
                    -- +goose StatementEnd\nSELECT 1;\n-- +goose Down\n-- +goose StatementBegin\nDROP FUNCTION f;\n-- +goose StatementEnd\n";
        let p = up_part(text, Markers::Goose).unwrap();
        assert_eq!(p.groups.len(), 1, "the Down section's block is not applied");
        assert!(p.sql[p.groups[0].clone()].trim().starts_with("CREATE FUNCTION"));
        assert!(!p.sql.contains("DROP"));
    }

    #[test]
    fn goose_markers_that_cannot_be_read_name_their_line() {
        let err = |t: &str| up_part(t, Markers::Goose).unwrap_err().to_string();
        assert_eq!(
            err("CREATE TABLE t (x int);\n-- +goose Up\n"),
            "line 1: SQL before the `-- +goose Up` annotation (goose applies only what follows it)"
        );
        assert!(
            err("-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n")
                .starts_with("line 2: `-- +goose StatementBegin` without")
        );
        assert!(err("-- +goose Up\n-- +goose StatementEnd\n").starts_with("line 2: `-- +goose StatementEnd` without"));
        assert!(err("-- +goose Down\nDROP TABLE t;\n").starts_with("line 1: `-- +goose Down` before"));
        assert!(
            err("-- +goose Up\n-- +goose Sideways\n").contains("line 2: unknown goose annotation `-- +goose sideways`")
        );
        assert!(err("-- nothing here\n").contains("no `-- +goose Up`"));
        // NO TRANSACTION is read, and changes nothing here (statements run one by one).
        let p =
            up_part("-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX CONCURRENTLY i ON t (x);\n", Markers::Goose)
                .unwrap();
        assert_eq!(applied(&p), "CREATE INDEX CONCURRENTLY i ON t (x);");
    }

    #[test]
    fn dbmate_applies_the_up_block_only() {
        let text = "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (x);\n\n-- migrate:down\nDROP INDEX i;\n";
        assert_eq!(sniff(text), Markers::Dbmate);
        let p = up_part(text, Markers::Dbmate).unwrap();
        assert_eq!(applied(&p), "CREATE INDEX CONCURRENTLY i ON t (x);");
        let err = |t: &str| up_part(t, Markers::Dbmate).unwrap_err().to_string();
        assert!(err("SELECT 1;\n-- migrate:up\n").starts_with("line 1: SQL before the `-- migrate:up` marker"));
        assert!(err("-- migrate:down\n").starts_with("line 1: `-- migrate:down` before"));
        assert!(err("-- migrate:up tx:off\n").contains("unknown dbmate option `tx:off`"));
        assert!(err("-- a comment\n").contains("no `-- migrate:up` marker"));
    }

    #[test]
    fn atlas_delimiters_make_statements_and_are_not_applied() {
        let text = "-- atlas:delimiter -- end\nCREATE FUNCTION f() RETURNS int AS $$ select 1 $$ LANGUAGE sql;\n-- end\nSELECT 2;\n";
        let p = up_part(text, Markers::Atlas).unwrap();
        assert_eq!(p.groups.len(), 2);
        assert!(!p.sql.lines().skip(1).any(|l| l.contains("-- end")), "the delimiter is not applied");
        assert_eq!(p.sql.len(), text.len());
        let plain = up_part("-- atlas:txmode none\nCREATE TABLE t (x int);\n", Markers::Atlas).unwrap();
        assert!(plain.groups.is_empty());
    }
}
