//! Synthetic data at production's size and shape: generator expressions, the data model
//! (configured and inferred), value generation, loading, and parameter sampling.

pub(crate) mod copy;
pub mod generate;
pub(crate) mod infer;
pub mod load;
pub mod model;
pub(crate) mod params;
pub(crate) mod random;
pub mod schema;
pub(crate) mod triggers;
pub(crate) mod values;
pub mod wire;
