//! The simulator checked against the real testbed (`testbed/`): a results
//! directory read and checked ([`results`]), the model layer fitted from it
//! ([`calibrate`]), and the simulator's replay of the same schedule compared
//! row by row ([`compare`], [`replay`]) with expected failures made explicit
//! ([`expected`]). See docs/validation.md.

pub mod calibrate;
pub mod compare;
pub mod eviction;
pub mod expected;
pub mod replay;
pub mod results;
pub mod stats;
