//! Reports: CSV files, the tables printed to the terminal, charts
//! ([`plots`]) and the one-page HTML report ([`html`]).

mod decision;
pub mod html;
mod plan_out;
pub mod plots;
mod table;

pub mod export;
pub mod sensitivity;
pub use decision::{answer_lines, cost_table, decision_table, format_cost, format_usd};
pub use export::csv::{cdf_csv, cdf_quantiles, runs_csv, summary_csv, write_results};
pub use export::json::summary_json;
pub use export::{summary_table, Cell, Table};
pub use plan_out::{evaluations_csv, plan_csv, plan_table, write_plan};
pub use table::{
    comparison_table, format_mb, format_ms, ordinal_table, sweep_table, workload_line,
};
