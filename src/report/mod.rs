//! Reports: CSV files, the tables printed to the terminal, charts
//! ([`plots`]) and the one-page HTML report ([`html`]).

mod atomic;
mod csv_out;
mod decision;
pub mod html;
mod plan_out;
pub mod plots;
mod table;

pub use atomic::write_atomically;
pub use csv_out::{cdf_csv, cdf_quantiles, runs_csv, summary_csv, write_results};
pub use decision::{answer_lines, decision_table, format_cost, format_usd};
pub use plan_out::{evaluations_csv, plan_csv, plan_table, write_plan};
pub use table::{
    comparison_table, format_mb, format_ms, ordinal_table, sweep_table, workload_line,
};
