//! Slurm: three scripts in `OUT/slurm/`, written to be read and edited.
//!
//! - `shards.sbatch`: a job array `--array=1-N`; task `K` runs
//!   `dofleet run FILE --shard K/N --out OUT/shards/shard-K --resume`.
//! - `merge.sbatch`: `dofleet merge OUT/shards/shard-* --out OUT --force`,
//!   then the charts and the HTML report.
//! - `submit.sh`: submits the array, then the merge with
//!   `--dependency=afterany` (it runs however the tasks ended and refuses,
//!   naming them, shards that are missing or incomplete).
//!
//! `--resume` makes a task safe to rerun alone; `--force` on the merge lets
//! it run again after such a rerun. Both only touch `OUT`, which
//! [`SlurmJob::write`] refuses to take over while it holds other results.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::shell::{sbatch_quote, shell_quote};
use crate::atomic_write::write_atomically;

/// A Slurm sweep: what the scripts run and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlurmJob {
    /// The experiment's name (job names and comments).
    pub name: String,
    /// The experiment file, absolute.
    pub experiment_file: PathBuf,
    /// `--set` overrides, passed to every task as given.
    pub sets: Vec<String>,
    /// `--threads` for each task; `None`: the CPUs Slurm gives the task.
    pub threads: Option<usize>,
    /// Shards, one array task each.
    pub shards: usize,
    /// The output directory, absolute: the merged results, `shards/`, `slurm/`.
    pub out: PathBuf,
    /// The dofleet binary the tasks run, absolute.
    pub dofleet: PathBuf,
    /// Options of both jobs, written as `#SBATCH` lines (`--partition=short`).
    pub sbatch_options: Vec<String>,
}

/// The scripts [`SlurmJob::write`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlurmScripts {
    pub shards: PathBuf,
    pub merge: PathBuf,
    pub submit: PathBuf,
}

/// Why the scripts could not be written or submitted.
#[derive(Debug, thiserror::Error)]
pub enum SlurmError {
    #[error("--shards must be at least 1")]
    NoShards,
    #[error("--shards {shards} is more than the experiment's {runs} runs (a shard would have none): use at most {runs}")]
    TooManyShards { shards: usize, runs: usize },
    #[error("sbatch option {option:?}: {why}")]
    SbatchOption { option: String, why: &'static str },
    #[error("{what} {value:?} cannot go in a script: {why}")]
    Unwritable {
        what: &'static str,
        value: String,
        why: &'static str,
    },
    #[error("{dir} already holds {what}; use --force to write the scripts again (shard directories are kept and resumed)")]
    Exists { dir: PathBuf, what: String },
    #[error("{path}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("--submit: sbatch is not on PATH (submit from a Slurm login node). The scripts are written; submit them with: bash {}", shell_quote(&submit.to_string_lossy()))]
    NoSbatch { submit: PathBuf },
    #[error("--submit: {} failed ({status}); see its messages above", submit.display())]
    SubmitFailed {
        submit: PathBuf,
        status: std::process::ExitStatus,
    },
}

/// Options the scripts set themselves (long and short names), and why.
const OWN_OPTIONS: [(&str, &str, &str); 2] = [
    (
        "--array",
        "-a",
        "the array is 1-N from --shards (edit shards.sbatch to throttle it: --array=1-N%M)",
    ),
    (
        "--dependency",
        "-d",
        "submit.sh makes the merge depend on the array",
    ),
];

impl SlurmJob {
    /// Checks the job against an experiment of `runs` runs: a shard count
    /// in `1..=runs`, and values that can be written into a script.
    pub fn check(&self, runs: usize) -> Result<(), SlurmError> {
        if self.shards == 0 {
            return Err(SlurmError::NoShards);
        }
        if self.shards > runs {
            return Err(SlurmError::TooManyShards {
                shards: self.shards,
                runs,
            });
        }
        for option in &self.sbatch_options {
            let bad = |why| SlurmError::SbatchOption {
                option: option.clone(),
                why,
            };
            if !option.starts_with('-') {
                return Err(bad(
                    "expected an option such as --partition=short or -t 60 (one word: --time=60)",
                ));
            }
            let name = option.split('=').next().unwrap_or_default();
            if let Some((_, _, why)) = OWN_OPTIONS
                .iter()
                .find(|(long, short, _)| name == *long || name == *short)
            {
                return Err(bad(why));
            }
            if option.contains(['\n', '\r']) {
                return Err(bad("contains a line break"));
            }
        }
        let words = [
            ("experiment file", &self.experiment_file),
            ("output directory", &self.out),
            ("dofleet binary", &self.dofleet),
        ];
        for (what, path) in words {
            let text = path.to_str().ok_or_else(|| SlurmError::Unwritable {
                what,
                value: path.to_string_lossy().into_owned(),
                why: "not UTF-8",
            })?;
            if text.contains(['\n', '\r']) {
                return Err(SlurmError::Unwritable {
                    what,
                    value: text.into(),
                    why: "contains a line break",
                });
            }
        }
        Ok(())
    }

    /// The job array: task `K` runs shard `K/N`.
    pub fn shards_script(&self) -> String {
        let n = self.shards;
        let out = self.out_text();
        let mut s = String::from("#!/bin/bash\n");
        s += &format!(
            "# dofleet on Slurm: experiment {:?} as a job array of {n} tasks.\n",
            self.name
        );
        s += &format!("# Task K runs shard K/{n} into {out}/shards/shard-K;\n");
        s += "# merge.sbatch then merges the shards. Written by `dofleet slurm`\n";
        s += &format!(
            "# (dofleet {}): edit it for your site (see docs/cluster.md).\n#\n",
            env!("CARGO_PKG_VERSION")
        );
        s += &format!(
            "# Submit the array and the merge:  bash {}\n",
            shell_quote(&self.script_path("submit.sh"))
        );
        s += &format!(
            "# Rerun shard K alone:             sbatch --array=K {}\n",
            shell_quote(&self.script_path("shards.sbatch"))
        );
        s += &format!("#SBATCH --job-name={}\n", sbatch_quote(&self.job_name("")));
        s += &format!("#SBATCH --array=1-{n}\n");
        s += &self.sbatch_lines("shard-%a.job-%A.out");
        s += "\nset -euo pipefail\n";
        s += &self.common_variables();
        s += &format!("EXPERIMENT={}\n", shell_quote(&self.file_text()));
        s += "K=${SLURM_ARRAY_TASK_ID:?not a job array task: submit this script with sbatch}\n\n";
        s += "# --resume: a rerun of a failed or cancelled task keeps the runs it\n";
        s += "# recorded and runs the others.\n";
        s += "\"$DOFLEET\" run \"$EXPERIMENT\" \\\n";
        for set in &self.sets {
            s += &format!("    --set {} \\\n", shell_quote(set));
        }
        let threads = match self.threads {
            Some(t) => t.to_string(),
            None => "\"${SLURM_CPUS_PER_TASK:-1}\"".into(),
        };
        s += "    --shard \"$K/$SHARDS\" \\\n";
        s += "    --out \"$OUT/shards/shard-$K\" \\\n";
        s += "    --resume \\\n";
        s += &format!("    --threads {threads}\n");
        s
    }

    /// The merge job.
    pub fn merge_script(&self) -> String {
        let mut s = String::from("#!/bin/bash\n");
        s += &format!(
            "# dofleet on Slurm: merges the {} shards of experiment {:?} into\n",
            self.shards, self.name
        );
        s += &format!("# {}.\n", self.out_text());
        s += "# submit.sh starts it once every task of the array has ended, however\n";
        s += "# it ended: the merge refuses missing, incomplete or mismatched shards\n";
        s += "# and its log names the shards to rerun.\n#\n";
        s += &format!(
            "# Merge again: sbatch {}\n",
            shell_quote(&self.script_path("merge.sbatch"))
        );
        s += &format!(
            "#SBATCH --job-name={}\n",
            sbatch_quote(&self.job_name("-merge"))
        );
        s += &self.sbatch_lines("merge.job-%j.out");
        s += "\nset -euo pipefail\n";
        s += &self.common_variables();
        s += "\nshard_dirs=()\n";
        s += "for ((k = 1; k <= SHARDS; k++)); do\n";
        s += "    shard_dirs+=(\"$OUT/shards/shard-$k\")\n";
        s += "done\n";
        s += "# --force: merging again, after a shard was rerun, replaces the last merge.\n";
        s += "\"$DOFLEET\" merge \"${shard_dirs[@]}\" --out \"$OUT\" --force\n";
        s += "# The charts (PNG and SVG) and the HTML report: delete these if unwanted.\n";
        s += "\"$DOFLEET\" plot \"$OUT\"\n";
        s += "\"$DOFLEET\" report \"$OUT\"\n";
        s
    }

    /// Submits the array, then the merge that waits for it.
    pub fn submit_script(&self) -> String {
        let n = self.shards;
        let mut s = String::from("#!/bin/bash\n");
        s += &format!(
            "# Submits the job array of experiment {:?} ({n} shards), then the job\n",
            self.name
        );
        s += "# that merges the shards once every task has ended.\n#\n";
        s += "# Usage: bash submit.sh [TASKS]\n";
        s += &format!(
            "#   TASKS: the shards to run, as sbatch --array takes them (default 1-{n});\n"
        );
        s += "#   `bash submit.sh 2` reruns shard 2 alone, then merges all shards again.\n";
        s += "set -euo pipefail\n";
        s += &format!("OUT={}\n", shell_quote(&self.out_text()));
        s += "SLURM_DIR=\"$OUT/slurm\"\n";
        s += &format!("TASKS=${{1:-1-{n}}}\n\n");
        s += "# --parsable prints JOBID, or JOBID;CLUSTER on a multi-cluster site.\n";
        s += "array_job=$(sbatch --parsable --array=\"$TASKS\" \"$SLURM_DIR/shards.sbatch\")\n";
        s += "array_job=${array_job%%;*}\n";
        s += "merge_job=$(sbatch --parsable --dependency=\"afterany:$array_job\" \"$SLURM_DIR/merge.sbatch\")\n";
        s += "merge_job=${merge_job%%;*}\n";
        s += &format!(
            "echo \"Submitted job array $array_job (shards $TASKS of {n}) and merge job $merge_job.\"\n"
        );
        s += "echo \"Results in $OUT once job $merge_job has ended; logs in $SLURM_DIR/logs.\"\n";
        s
    }

    /// Writes the three scripts into `OUT/slurm/` (and creates `logs/` and
    /// `OUT/shards/`), refusing an `OUT` that already holds results or
    /// scripts unless `force`.
    pub fn write(&self, force: bool) -> Result<SlurmScripts, SlurmError> {
        let dir = self.out.join("slurm");
        if !force {
            let taken = [
                (dir.join("shards.sbatch"), "Slurm scripts"),
                (self.out.join("manifest.toml"), "results"),
                (self.out.join("runs"), "results"),
            ];
            if let Some((_, what)) = taken.iter().find(|(p, _)| p.exists()) {
                return Err(SlurmError::Exists {
                    dir: self.out.clone(),
                    what: (*what).into(),
                });
            }
        }
        for d in [dir.join("logs"), self.out.join("shards")] {
            std::fs::create_dir_all(&d).map_err(|source| SlurmError::Io { path: d, source })?;
        }
        let scripts = SlurmScripts {
            shards: dir.join("shards.sbatch"),
            merge: dir.join("merge.sbatch"),
            submit: dir.join("submit.sh"),
        };
        let texts = [
            (&scripts.shards, self.shards_script()),
            (&scripts.merge, self.merge_script()),
            (&scripts.submit, self.submit_script()),
        ];
        for (path, text) in texts {
            write_atomically(path, text.as_bytes()).map_err(|source| SlurmError::Io {
                path: path.clone(),
                source,
            })?;
            make_executable(path)?;
        }
        Ok(scripts)
    }

    fn out_text(&self) -> String {
        self.out.to_string_lossy().into_owned()
    }

    fn file_text(&self) -> String {
        self.experiment_file.to_string_lossy().into_owned()
    }

    fn script_path(&self, name: &str) -> String {
        self.out
            .join("slurm")
            .join(name)
            .to_string_lossy()
            .into_owned()
    }

    fn job_name(&self, suffix: &str) -> String {
        format!("dofleet-{}{suffix}", self.name)
    }

    /// The log line (a file name in `slurm/logs/`, with Slurm's `%`
    /// patterns) and the user's options, as `#SBATCH` lines.
    fn sbatch_lines(&self, log: &str) -> String {
        // In a log path, `%` starts a Slurm pattern; `%%` is a literal one.
        let logs = self.script_path("logs").replace('%', "%%");
        let mut s = format!(
            "#SBATCH --output={}\n",
            sbatch_quote(&format!("{logs}/{log}"))
        );
        for option in &self.sbatch_options {
            s += &format!("#SBATCH {}\n", sbatch_quote(option));
        }
        s
    }

    /// The variables both jobs use.
    fn common_variables(&self) -> String {
        let mut s = String::from(
            "# Absolute paths: tasks start on other nodes, in other directories;\n\
             # every node must see them (a shared file system).\n",
        );
        s += &format!("DOFLEET={}\n", shell_quote(&self.dofleet.to_string_lossy()));
        s += &format!("OUT={}\n", shell_quote(&self.out_text()));
        s += &format!("SHARDS={}\n", self.shards);
        s
    }
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<(), SlurmError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).map_err(|source| {
        SlurmError::Io {
            path: path.to_owned(),
            source,
        }
    })
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> Result<(), SlurmError> {
    Ok(())
}

/// Whether `program` is an executable file in a directory of `PATH`.
fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// Runs `submit.sh` (as a user would), after checking that sbatch is there.
pub fn submit(scripts: &SlurmScripts) -> Result<(), SlurmError> {
    if !on_path("sbatch") {
        return Err(SlurmError::NoSbatch {
            submit: scripts.submit.clone(),
        });
    }
    let status = Command::new("bash")
        .arg(&scripts.submit)
        .status()
        .map_err(|source| SlurmError::Io {
            path: scripts.submit.clone(),
            source,
        })?;
    if !status.success() {
        return Err(SlurmError::SubmitFailed {
            submit: scripts.submit.clone(),
            status,
        });
    }
    Ok(())
}
