//! `summary.json` and `run --format json`: the rows and columns of
//! `summary.csv`, the same numbers, parsed back independently (serde_json).

use assert_cmd::Command;

#[test]
fn summary_json_holds_the_rows_and_columns_of_summary_csv() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let exp = tmp.path().join("sweep.toml");
    std::fs::write(
        &exp,
        "duration = \"10s\"\nreplications = 2\n[workload]\ntenants = 30\nrate_rps = 5\n\
         [sweep]\n\"workload.zipf_s\" = [0.8, 1.2]\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = tmp.path().join("out");
    let run = Command::cargo_bin("dofleet")
        .unwrap_or_else(|e| panic!("{e}"))
        .arg("run")
        .arg(&exp)
        .arg("--out")
        .arg(&out)
        .args(["--quiet", "--no-plots", "--format", "json"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(run.status.success());
    let file = std::fs::read_to_string(out.join("summary.json")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        String::from_utf8_lossy(&run.stdout),
        file,
        "stdout is summary.json"
    );
    let json: serde_json::Value = serde_json::from_str(&file).unwrap_or_else(|e| panic!("{e}"));
    let records = json.as_array().unwrap_or_else(|| panic!("not an array"));
    let csv = std::fs::read_to_string(out.join("summary.csv")).unwrap_or_else(|e| panic!("{e}"));
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap_or_else(|e| panic!("{e}"))
        .iter()
        .map(str::to_string)
        .collect();
    let rows: Vec<csv::StringRecord> = reader
        .records()
        .map(|r| r.unwrap_or_else(|e| panic!("{e}")))
        .collect();
    assert_eq!(records.len(), rows.len());
    assert_eq!(rows.len(), 2 * 5, "two points, five architectures");
    for (record, row) in records.iter().zip(&rows) {
        let object = record
            .as_object()
            .unwrap_or_else(|| panic!("not an object"));
        let keys: Vec<&String> = object.keys().collect();
        let mut sorted_header: Vec<&String> = header.iter().collect();
        sorted_header.sort();
        assert_eq!(keys, sorted_header, "the same columns");
        for (column, cell) in header.iter().zip(row.iter()) {
            let value = &object[column];
            match value {
                serde_json::Value::Null => assert_eq!(cell, "", "{column}"),
                serde_json::Value::Number(n) => {
                    let x = n.as_f64().unwrap_or(f64::NAN);
                    assert_eq!(cell.parse::<f64>().ok(), Some(x), "{column}");
                }
                serde_json::Value::String(s) => assert_eq!(s, cell, "{column}"),
                other => panic!("{column}: unexpected {other}"),
            }
        }
    }
}
