//! `dofleet calibrate RESULTS` and `dofleet validate RESULTS`: the
//! command-line side of [`dofleet::validation`].

use super::Exit;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;
use dofleet::validation::{calibrate as fit, compare, expected, replay, results::Results};

#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// A testbed results directory (testbed/run.sh --out DIR).
    pub results: PathBuf,
    /// The model layer to write.
    #[arg(long, value_name = "FILE", default_value = "models/workerd-local.toml")]
    pub out: PathBuf,
    /// Replace the layer if it exists.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// A testbed results directory (testbed/run.sh --out DIR).
    pub results: PathBuf,
    /// The calibrated layer the simulator runs under.
    #[arg(long, value_name = "FILE", default_value = "models/workerd-local.toml")]
    pub layer: PathBuf,
    /// Rows known to fail, with their reasons (testbed/expected-failures.toml).
    #[arg(long, value_name = "FILE")]
    pub expected: Option<PathBuf>,
    /// Simulator runs pooled per architecture.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub replications: u64,
}

/// Fewest answered requests a load log must have to be compared.
const MIN_LOAD_REQUESTS: usize = 20;

/// The largest share of a load log's requests that may have failed.
const MAX_FAILED_SHARE: f64 = 0.05;

pub fn calibrate(a: CalibrateArgs, sets: &[String]) -> anyhow::Result<Exit> {
    if !sets.is_empty() {
        bail!("calibrate takes no --set: it reads only the results directory");
    }
    super::testbed::check_overwrite(&a.out, a.force)?;
    let results = Results::open(&a.results)?;
    let lines = fit::fit_lines(&results)?;
    let text = fit::layer_text(&results, &lines);
    // The layer must load on top of the defaults before it is written.
    let mut layers = dofleet::experiment::config::default_layers();
    layers.push(dofleet::experiment::config::Source {
        name: a.out.display().to_string(),
        text: text.clone(),
        base_dir: None,
    });
    dofleet::experiment::config::load(&layers)
        .context("the fitted layer does not load (a bug: please report it)")?;
    dofleet::atomic_write::write_atomically(&a.out, text.as_bytes())
        .with_context(|| format!("cannot write {}", a.out.display()))?;
    print!("{text}");
    eprintln!("Wrote {}", a.out.display());
    Ok(Exit::Success)
}

pub fn validate(a: ValidateArgs, sets: &[String]) -> anyhow::Result<Exit> {
    let results = Results::open(&a.results)?;
    let expected = match &a.expected {
        Some(p) => expected::read(p)?,
        None => Vec::new(),
    };
    if !(1..=100).contains(&a.replications) {
        bail!(
            "--replications: expected 1 to 100; found {}",
            a.replications
        );
    }
    let run = &results.run;
    let get = |k: &str| run.get(k).map_or("unknown", String::as_str);
    println!(
        "Testbed {} : workerd {}, PGLite {}, {} ; machine load before {} / after {} (1/5/15 min; a busy machine inflates testbed latencies)",
        results.dir.display(),
        get("workerd"),
        get("pglite"),
        get("date"),
        get("load_before"),
        get("load_after")
    );
    println!(
        "Simulator: the same schedule under {}, {} runs pooled per architecture",
        a.layer.display(),
        a.replications
    );
    let mut tally = [0usize; 5];
    let mut compared = 0;
    for arch in &results.architectures {
        let Some(log) = &arch.load else { continue };
        let answered = log.ok_rows().count();
        if answered < MIN_LOAD_REQUESTS {
            bail!(
                "{}: {answered} answered requests, at least {MIN_LOAD_REQUESTS} needed to compare",
                log.path.display()
            );
        }
        let failed = log.rows.len() - answered;
        if failed as f64 > MAX_FAILED_SHARE * log.rows.len() as f64 {
            bail!(
                "{}: {failed} of {} requests failed or were skipped (more than {:.0}%): the testbed did not serve the load; see its workerd logs",
                log.path.display(),
                log.rows.len(),
                MAX_FAILED_SHARE * 100.0
            );
        }
        let (idle, idle_from) = fit::idle_timeout(&results, &[arch.name]);
        let sim = replay::simulate_trace(
            arch.name,
            &results.trace,
            &idle,
            &a.layer,
            sets,
            a.replications,
        )?;
        let mut rows = compare::compare(log, &sim, a.replications);
        expected::apply(arch.name, &mut rows, &expected);
        println!(
            "\n## {} ({answered} requests answered, {failed} not)\n",
            arch.name
        );
        println!("Eviction rule given to the simulator: do.idle_timeout = {idle} ({idle_from}).\n");
        print!("{}", compare::table(&rows));
        for r in &rows {
            tally[match r.verdict {
                compare::Verdict::Pass | compare::Verdict::ListedPass => 0,
                compare::Verdict::Fail => 1,
                compare::Verdict::ExpectedFail => 2,
                compare::Verdict::UnexpectedPass => 3,
                compare::Verdict::NotJudged => 4,
            }] += 1;
        }
        compared += 1;
    }
    if compared == 0 {
        bail!(
            "{}: no architecture has a load.log to compare",
            results.dir.display()
        );
    }
    let listed_not_run: Vec<String> = expected
        .iter()
        .filter(|e| {
            results
                .architecture(&e.architecture)
                .and_then(|r| r.load.as_ref())
                .is_none()
        })
        .map(|e| format!("{} / {}", e.architecture, e.row))
        .collect();
    if !listed_not_run.is_empty() {
        eprintln!(
            "note: expected failures of architectures not run: {}",
            listed_not_run.join("; ")
        );
    }
    println!(
        "\n{} rows: {} pass, {} FAIL, {} expected fail, {} UNEXPECTED PASS, {} not judged (too few samples)",
        tally.iter().sum::<usize>(),
        tally[0],
        tally[1],
        tally[2],
        tally[3],
        tally[4]
    );
    if tally[1] + tally[3] > 0 {
        println!(
            "Validation FAILED{}",
            if tally[3] > 0 {
                " (an unexpected pass means an expected-failures entry is stale: delete it)"
            } else {
                ""
            }
        );
        return Ok(Exit::ObjectiveFailed);
    }
    println!("Validation passed");
    Ok(Exit::Success)
}
