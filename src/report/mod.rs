//! Reports: CSV files and the tables printed to the terminal.

mod atomic;
mod csv_out;
mod table;

pub use atomic::write_atomically;
pub use csv_out::{summary_csv, write_summary};
pub use table::{comparison_table, format_mb, format_ms, ordinal_table, workload_line};
