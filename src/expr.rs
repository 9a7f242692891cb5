//! The config's one expression language, shared by column generators (`zipf(1000, 1.1)`,
//! `ref(users.id, spread = 0)`), parameter samplers (`hot(products.category_id)`) and
//! forbid patterns (`seq_scan(orders)`): calls with positional and keyword arguments,
//! dotted names, numbers and quoted strings.
//!
//! [`parse`] turns text into an [`Expr`]; each kind of value reads its own meaning out of
//! it (see `generator.rs` and `catalog.rs`), so all three share one syntax, one set of
//! error messages and one place to extend.
//!
//! Grammar:
//!
//! ```text
//! expr   = string | number | name [ "(" [ arg { "," arg } ] ")" ]
//! arg    = expr [ "=" expr ]
//! name   = ident { "." ident }
//! string = '"' ... '"' | "'" ... "'"      (a doubled quote stands for itself)
//! number = [+-] digits [ "." digits ] [ e [+-] digits ]   ("_" may group digits)
//! ```

use std::fmt;

use winnow::ascii::multispace0;
use winnow::combinator::{alt, cut_err, delimited, opt, preceded, repeat, separated};
use winnow::error::{ContextError, ErrMode, StrContext, StrContextValue};
use winnow::prelude::*;
use winnow::stream::{LocatingSlice, Stream};
use winnow::token::{one_of, take_while};

type Input<'a> = LocatingSlice<&'a str>;

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    /// `name(args)`; `name()` has no arguments and is not the same as `name`.
    Call {
        name: String,
        args: Vec<Arg>,
    },
    /// `serial`, `users.id`, `app.users.id`.
    Name(Vec<String>),
    /// A number and its text as written.
    Number {
        value: f64,
        text: String,
    },
    Str(String),
}

/// One argument of a call: `value`, or `key = value`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Arg {
    pub key: Option<Expr>,
    pub value: Expr,
}

/// An expression that is not well formed, or does not mean a value of the kind wanted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    pub message: String,
    /// Where the text stops making sense (a 1-based column, in characters), for syntax errors.
    pub column: Option<usize>,
}

impl ExprError {
    /// An expression that parses but does not mean what its place needs.
    pub fn invalid(message: impl Into<String>) -> ExprError {
        ExprError { message: message.into(), column: None }
    }
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        match self.column {
            Some(column) => write!(f, " at column {column}"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for ExprError {}

pub(crate) type Result<T> = std::result::Result<T, ExprError>;

/// Parse one whole expression.
pub(crate) fn parse(text: &str) -> Result<Expr> {
    let mut input = LocatingSlice::new(text);
    let parsed = delimited(multispace0, expr, multispace0).parse_next(&mut input);
    let at = |rest: &Input<'_>| text.len() - rest.len();
    let column = |offset: usize| Some(text[..offset].chars().count() + 1);
    match parsed {
        Ok(e) if input.is_empty() => Ok(e),
        Ok(_) => {
            let offset = at(&input);
            let rest = text[offset..].trim_end();
            let token: String = match rest.chars().next() {
                Some(c) if c.is_ascii_alphanumeric() || c == '_' => {
                    rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect()
                }
                Some(c) => c.to_string(),
                None => String::new(),
            };
            Err(ExprError { message: format!("unexpected `{token}`"), column: column(offset) })
        }
        Err(e) => {
            let inner = match e {
                ErrMode::Backtrack(e) | ErrMode::Cut(e) => e,
                ErrMode::Incomplete(_) => ContextError::new(),
            };
            let offset = at(&input);
            // Contexts are added on the way out: the first is the innermost expectation.
            let mut expected = inner.context().filter_map(|c| match c {
                StrContext::Expected(v) => Some(v.to_string()),
                _ => None,
            });
            let message = match expected.next() {
                Some(what) => format!("expected {what}"),
                None => match text[offset..].chars().next() {
                    Some(c) => format!("unexpected `{c}`"),
                    None => "unexpected end".to_string(),
                },
            };
            Err(ExprError { message, column: column(offset) })
        }
    }
}

fn expected(what: &'static str) -> StrContext {
    StrContext::Expected(StrContextValue::Description(what))
}

fn expr(i: &mut Input<'_>) -> ModalResult<Expr> {
    alt((string.map(Expr::Str), number, name_or_call)).context(expected("a name, a number or a string")).parse_next(i)
}

fn ident<'a>(i: &mut Input<'a>) -> ModalResult<&'a str> {
    (
        one_of(|c: char| c.is_ascii_alphabetic() || c == '_'),
        take_while(0.., |c: char| c.is_ascii_alphanumeric() || c == '_'),
    )
        .take()
        .parse_next(i)
}

fn name_or_call(i: &mut Input<'_>) -> ModalResult<Expr> {
    let first = ident.parse_next(i)?;
    let checkpoint = i.checkpoint();
    let _: &str = multispace0.parse_next(i)?;
    if opt('(').parse_next(i)?.is_some() {
        let args: Vec<Arg> = separated(0.., delimited(multispace0, arg, multispace0), ',').parse_next(i)?;
        cut_err(')').context(StrContext::Expected(StrContextValue::CharLiteral(')'))).parse_next(i)?;
        return Ok(Expr::Call { name: first.to_string(), args });
    }
    i.reset(&checkpoint);
    let rest: Vec<&str> =
        repeat(0.., preceded('.', cut_err(ident).context(expected("a name after `.`")))).parse_next(i)?;
    Ok(Expr::Name(std::iter::once(first).chain(rest).map(str::to_string).collect()))
}

fn arg(i: &mut Input<'_>) -> ModalResult<Arg> {
    let first = expr.parse_next(i)?;
    let value = opt(preceded((multispace0, '=', multispace0), cut_err(expr))).parse_next(i)?;
    Ok(match value {
        Some(value) => Arg { key: Some(first), value },
        None => Arg { key: None, value: first },
    })
}

fn number(i: &mut Input<'_>) -> ModalResult<Expr> {
    let text = (
        opt(one_of(['+', '-'])),
        alt((
            (one_of(|c: char| c.is_ascii_digit()), digits, opt(('.', digits))).void(),
            ('.', one_of(|c: char| c.is_ascii_digit()), digits).void(),
        )),
        opt((one_of(['e', 'E']), opt(one_of(['+', '-'])), take_while(1.., |c: char| c.is_ascii_digit()))),
    )
        .take()
        .parse_next(i)?;
    match text.replace('_', "").parse::<f64>() {
        Ok(value) => Ok(Expr::Number { value, text: text.to_string() }),
        Err(_) => Err(ErrMode::Cut(ContextError::new())),
    }
}

fn digits<'a>(i: &mut Input<'a>) -> ModalResult<&'a str> {
    take_while(0.., |c: char| c.is_ascii_digit() || c == '_').parse_next(i)
}

fn string(i: &mut Input<'_>) -> ModalResult<String> {
    let quote = one_of(['"', '\'']).parse_next(i)?;
    let mut out = String::new();
    loop {
        let part: &str = take_while(0.., |c: char| c != quote).parse_next(i)?;
        out.push_str(part);
        cut_err(quote).context(expected("a closing quote")).parse_next(i)?;
        if opt(quote).parse_next(i)?.is_none() {
            return Ok(out);
        }
        out.push(quote);
    }
}

impl Expr {
    /// A name of one part: `serial`, `seq_scan`, `true`.
    pub(crate) fn as_word(&self) -> Option<&str> {
        match self {
            Expr::Name(parts) if parts.len() == 1 => Some(&parts[0]),
            _ => None,
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Call { name, args } => {
                write!(f, "{name}(")?;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    if let Some(k) = &a.key {
                        write!(f, "{k} = ")?;
                    }
                    write!(f, "{}", a.value)?;
                }
                f.write_str(")")
            }
            Expr::Name(parts) => f.write_str(&parts.join(".")),
            Expr::Number { text, .. } => f.write_str(text),
            Expr::Str(s) => write!(f, "\"{}\"", s.replace('"', "\"\"")),
        }
    }
}

/// A call's arguments, read by position and by key, for the typed readers.
#[derive(Debug)]
pub(crate) struct Args<'a> {
    /// The call's name, for messages.
    pub call: &'a str,
    positional: Vec<&'a Expr>,
    keyword: Vec<(&'a Expr, &'a Expr)>,
    next: usize,
}

impl<'a> Args<'a> {
    pub(crate) fn new(call: &'a str, args: &'a [Arg]) -> Args<'a> {
        let positional = args.iter().filter(|a| a.key.is_none()).map(|a| &a.value).collect();
        let keyword = args.iter().filter_map(|a| a.key.as_ref().map(|k| (k, &a.value))).collect();
        Args { call, positional, keyword, next: 0 }
    }

    /// The next positional argument.
    pub(crate) fn next(&mut self, what: &str) -> Result<&'a Expr> {
        let e = self
            .positional
            .get(self.next)
            .ok_or_else(|| ExprError::invalid(format!("{}() needs {what}", self.call)))?;
        self.next += 1;
        Ok(e)
    }

    /// The next positional argument, a number.
    pub(crate) fn number(&mut self, what: &str) -> Result<f64> {
        let call = self.call;
        number_of(self.next(what)?, what, call)
    }

    /// The keyword argument `key = ...`, if given.
    pub(crate) fn keyword(&self, key: &str) -> Option<&'a Expr> {
        self.keyword.iter().find(|(k, _)| k.as_word() == Some(key)).map(|(_, v)| *v)
    }

    /// Every positional argument.
    pub(crate) fn positional(&self) -> &[&'a Expr] {
        &self.positional
    }

    /// Fails when positional arguments are left over or a keyword is not one of `known`.
    pub(crate) fn finish(&self, known: &[&str]) -> Result<()> {
        if let Some(extra) = self.positional.get(self.next) {
            return Err(ExprError::invalid(format!(
                "{}() takes {} positional argument(s); `{extra}` is one too many",
                self.call, self.next
            )));
        }
        for (k, _) in &self.keyword {
            if !k.as_word().is_some_and(|w| known.contains(&w)) {
                let known = if known.is_empty() {
                    "none".to_string()
                } else {
                    known.iter().map(|k| format!("`{k} = ...`")).collect::<Vec<_>>().join(", ")
                };
                return Err(ExprError::invalid(format!(
                    "{}() does not take `{k} = ...` (it takes: {known})",
                    self.call
                )));
            }
        }
        Ok(())
    }
}

/// A number argument.
pub(crate) fn number_of(e: &Expr, what: &str, call: &str) -> Result<f64> {
    match e {
        Expr::Number { value, .. } => Ok(*value),
        other => Err(ExprError::invalid(format!("expected a number for {what} in {call}(), found `{other}`"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: &str, args: Vec<Arg>) -> Expr {
        Expr::Call { name: name.into(), args }
    }
    fn pos(value: Expr) -> Arg {
        Arg { key: None, value }
    }
    fn num(value: f64, text: &str) -> Expr {
        Expr::Number { value, text: text.into() }
    }

    #[test]
    fn parses_calls_names_numbers_and_strings() {
        assert_eq!(parse("serial").unwrap(), Expr::Name(vec!["serial".into()]));
        assert_eq!(
            parse(" zipf( 1_000 , 1.1 ) ").unwrap(),
            call("zipf", vec![pos(num(1000.0, "1_000")), pos(num(1.1, "1.1"))])
        );
        assert_eq!(
            parse("ref(app.users.id, spread = -0.5e-1)").unwrap(),
            call(
                "ref",
                vec![
                    pos(Expr::Name(vec!["app".into(), "users".into(), "id".into()])),
                    Arg { key: Some(Expr::Name(vec!["spread".into()])), value: num(-0.05, "-0.5e-1") },
                ]
            )
        );
        assert_eq!(
            parse(r#"choice('it''s' = .5, "b")"#).unwrap(),
            call(
                "choice",
                vec![Arg { key: Some(Expr::Str("it's".into())), value: num(0.5, ".5") }, pos(Expr::Str("b".into()))]
            )
        );
        assert_eq!(parse("uuid()").unwrap(), call("uuid", vec![]));
        assert_eq!(parse("null(0.1, int(1, 2))").unwrap().to_string(), "null(0.1, int(1, 2))");
    }

    #[test]
    fn errors_say_what_was_expected_and_where() {
        for (text, message, column) in [
            ("int(1, 2", "expected `)`", 9),
            ("int(1, 2) x", "unexpected `x`", 11),
            ("t.", "expected a name after `.`", 3),
            ("'open", "expected a closing quote", 6),
            ("int(1, = 2)", "expected `)`", 6),
            ("", "expected a name, a number or a string", 1),
            ("a = b", "unexpected `=`", 3),
            ("choice(\"é\", ", "expected `)`", 11),
        ] {
            let err = parse(text).unwrap_err();
            assert_eq!(err.to_string(), format!("{message} at column {column}"), "{text}");
        }
    }
}
