//! One short function per subcommand: parse what it needs, call the pipeline, hand one
//! value to the output. No command imports another.

pub(crate) mod bless;
pub(crate) mod cache;
pub(crate) mod capture;
pub(crate) mod check;
pub(crate) mod curve;
pub(crate) mod explain;
pub(crate) mod fidelity;
pub(crate) mod init;
pub(crate) mod merge;
pub(crate) mod suggest;
pub(crate) mod upgrade;

/// How a run that could run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing falls short.
    Pass,
    /// At least one query regressed or broke its budget.
    Fail,
}
