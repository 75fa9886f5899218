//! The `payplan` binary as a user runs it: finding (or building) it, running it in a
//! folder without colours, and reading its exit status, stdout and stderr.
//!
//! These helpers panic (naming what failed) when the binary cannot be found, built or
//! started, or when its output is not UTF-8: the test cannot go on, and the message
//! says why.
#![allow(clippy::expect_used, clippy::panic)]

use crate::workspace_root;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The `payplan` binary of this build, for tests outside `crates/payplan-cli` (which
/// have `env!("CARGO_BIN_EXE_payplan")` instead): `$PAYPLAN_BIN` when set, else
/// `payplan` in the calling test's target profile folder (built by
/// `cargo test --workspace`); when it is missing there it is built first, with the
/// same profile and target folder.
pub fn payplan_binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(bin) = std::env::var_os("PAYPLAN_BIN") {
            return PathBuf::from(bin);
        }
        let exe = std::env::current_exe().expect("the path of the running test");
        // target/<profile>/deps/hostile-xxxx -> target/<profile>/payplan
        let profile_dir = exe.parent().and_then(Path::parent).expect("the test runs from target/<profile>/deps").to_path_buf();
        let bin = profile_dir.join(format!("payplan{}", std::env::consts::EXE_SUFFIX));
        if !bin.exists() {
            let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
            let mut build = Command::new(cargo);
            build.current_dir(workspace_root()).args(["build", "-p", "payplan-cli", "--bin", "payplan"]);
            if profile_dir.file_name().is_some_and(|n| n == "release") {
                build.arg("--release");
            }
            if let Some(target_dir) = profile_dir.parent() {
                build.env("CARGO_TARGET_DIR", target_dir);
            }
            let status = build.status().expect("cargo runs");
            assert!(status.success(), "could not build payplan");
        }
        bin
    })
}

/// `bin ARGS` run in `dir`, without colours (`NO_COLOR=1`, no `CLICOLOR_FORCE`), to be
/// given more environment before it runs (e.g. `CI`, `RAYON_NUM_THREADS`).
pub fn payplan_command(bin: impl AsRef<OsStr>, dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(bin);
    command.args(args).current_dir(dir).env("NO_COLOR", "1").env_remove("CLICOLOR_FORCE");
    command
}

/// Runs `bin ARGS` in `dir` (see [`payplan_command`]) and waits for its output.
pub fn run_payplan(bin: impl AsRef<OsStr>, dir: &Path, args: &[&str]) -> Output {
    let bin = bin.as_ref();
    payplan_command(bin, dir, args).output().unwrap_or_else(|e| panic!("cannot run {} {args:?}: {e}", bin.to_string_lossy()))
}

/// The exit status of a finished run (it must have exited, not been killed by a
/// signal).
pub fn exit_code(output: &Output) -> i32 {
    output.status.code().expect("the process exited (not killed by a signal)")
}

/// The run's stdout as text (it must be UTF-8).
pub fn stdout_text(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

/// The run's stderr as text (it must be UTF-8).
pub fn stderr_text(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}
