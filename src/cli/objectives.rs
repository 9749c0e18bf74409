//! The objectives a command judges by (`--slo`, `--confidence`, an
//! experiment's `[slo]` table) and the exit code a plan's answer gives.
//!
//! Invariants: contradictory objectives are refused before anything runs;
//! a confidence is strictly between 0.5 and 1.

use anyhow::bail;
use dofleet::experiment::Experiment;
use dofleet::planner::Slo;

use super::exit::Exit;

/// The objectives to judge a run by: the `--slo` options if any, else the
/// experiment's `[slo]` table; `--confidence` if given, else the table's.
pub(super) fn objectives(
    experiment: &Experiment,
    flags: &[String],
    flag_confidence: Option<f64>,
) -> anyhow::Result<(Vec<Slo>, f64)> {
    let slos = if flags.is_empty() {
        experiment
            .slo
            .objectives
            .iter()
            .map(|o| o.text.parse::<Slo>().map_err(|e| o.error(&e.message)))
            .collect::<Result<Vec<_>, _>>()?
    } else {
        parse_slos(flags)?
    };
    if let Some(message) = dofleet::planner::contradiction(&slos) {
        bail!(message);
    }
    let confidence = flag_confidence
        .or(experiment.slo.confidence)
        .unwrap_or(DEFAULT_CONFIDENCE);
    check_confidence(confidence)?;
    Ok((slos, confidence))
}

/// The one-sided confidence of verdicts when none is given.
const DEFAULT_CONFIDENCE: f64 = 0.95;

/// The objectives of `--slo` options.
pub(super) fn parse_slos(texts: &[String]) -> anyhow::Result<Vec<Slo>> {
    let slos = texts
        .iter()
        .map(|s| s.parse::<Slo>())
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(message) = dofleet::planner::contradiction(&slos) {
        bail!(message);
    }
    Ok(slos)
}

pub(super) fn check_confidence(confidence: f64) -> anyhow::Result<()> {
    if !(confidence > 0.5 && confidence < 1.0) {
        bail!("--confidence: expected a probability between 0.5 and 1 (exclusive), such as 0.95; found {confidence}");
    }
    Ok(())
}

/// 1 when some sweep point has no architecture that meets the objectives
/// within the search range: the fleet cannot be sized there.
pub(super) fn plan_exit(plan: &dofleet::planner::Plan) -> Exit {
    let points = plan.rows.iter().map(|r| r.point).max().map_or(0, |p| p + 1);
    let unmet = (0..points).any(|p| !plan.rows.iter().any(|r| r.point == p && r.answer.is_some()));
    if unmet {
        Exit::ObjectiveFailed
    } else {
        Exit::Success
    }
}
