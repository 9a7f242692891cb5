//! Synthetic data at production's size and shape: generator expressions, the data model
//! (configured and inferred), value generation, loading, and parameter sampling.

pub mod copy;
pub mod generate;
pub mod infer;
pub mod load;
pub mod model;
pub mod params;
pub mod random;
pub mod schema;
pub mod triggers;
pub mod values;
pub mod wire;
