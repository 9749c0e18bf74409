//! Reports: CSV files and the tables printed to the terminal.

mod atomic;
mod csv_out;
mod table;

pub use atomic::write_atomically;
pub use csv_out::{cdf_csv, cdf_quantiles, runs_csv, summary_csv, write_results};
pub use table::{
    comparison_table, format_mb, format_ms, ordinal_table, sweep_table, workload_line,
};
