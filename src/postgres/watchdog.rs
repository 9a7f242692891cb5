//! What a local cluster leaves when plangate cannot clean up itself: killed with SIGKILL,
//! by the OOM killer, or by a CI job's timeout.
//!
//! [`Watchdog`]: a small shell process, in a process group of its own (a signal to
//! plangate's group does not reach it), that holds the read end of a pipe whose write end
//! only plangate holds. A clean stop writes `done` before closing it; an end of file
//! without it means plangate is gone, and the watchdog stops the cluster's server (found
//! by its `postmaster.pid`, checked against its command line) and removes the directory.
//!
//! A container backend's run has one too: plangate itself, started as `plangate
//! __reap-containers RUN`, which removes that run's containers when the pipe ends without
//! `done` (see `container::reap_when_gone`).
//!
//! [`sweep`]: what not even the watchdog cleaned up (both killed at once) is found by the
//! next run: a cluster directory names the plangate process that made it (`owner`: pid and
//! start time), and one whose owner is gone is stopped and removed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

use std::os::unix::process::CommandExt;

/// The file in a cluster's directory that names the process that made it.
pub(crate) const OWNER_FILE: &str = "owner";

/// `$1`: the cluster's directory. Stops its server (an immediate shutdown, SIGKILL after
/// 10 s) when plangate goes without saying `done`, then removes the directory (twice: an
/// initdb or a copy under way may still write into it a moment longer).
const SCRIPT: &str = r#"
read -r line
[ "$line" = done ] && exit 0
d="$1"
pid=$(head -n 1 "$d/data/postmaster.pid" 2>/dev/null)
if [ -n "$pid" ] && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$d/data"; then
  kill -QUIT "$pid" 2>/dev/null
  i=0
  while [ -d "/proc/$pid" ] && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i+1)); done
  kill -KILL "$pid" 2>/dev/null
fi
rm -rf "$d"
sleep 1
rm -rf "$d"
"#;

/// The watchdog of one cluster directory, or of one run's containers.
#[derive(Debug)]
pub(crate) struct Watchdog {
    child: Child,
    pipe: Option<ChildStdin>,
}

impl Watchdog {
    /// Watch `dir` for the life of this process. None when no shell can be started (the
    /// cluster then runs unwatched, as it would have before; the next run's sweep remains).
    pub(crate) fn start(dir: &Path) -> Option<Watchdog> {
        let mut sh = Command::new("sh");
        sh.arg("-c").arg(SCRIPT).arg("plangate-watchdog").arg(dir);
        Self::spawn(sh)
    }

    /// Run `command` as a watchdog: in a process group of its own, reading the pipe.
    pub(crate) fn spawn(mut command: Command) -> Option<Watchdog> {
        let mut child =
            command.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::null()).process_group(0).spawn().ok()?;
        let pipe = child.stdin.take();
        Some(Watchdog { child, pipe })
    }

    /// plangate cleaned up itself: the watchdog ends without touching anything.
    pub(crate) fn disarm(mut self) {
        if let Some(mut pipe) = self.pipe.take() {
            let _ = pipe.write_all(b"done\n");
        }
        let _ = self.child.wait();
    }
}

/// This process as an owner file says it: its pid and its start time (in clock ticks after
/// boot), which together name it even after its pid is reused.
pub(crate) fn owner_line() -> String {
    let pid = std::process::id();
    format!("{pid} {}\n", start_time(pid).unwrap_or_default())
}

/// A running process's start time; None for one that is gone or has exited (a zombie
/// waiting for its parent to collect it is as gone as plangate can tell).
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (2nd field) may hold spaces: the fields after it follow its `)`.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    if matches!(fields.first(), Some(&("Z" | "X"))) {
        return None;
    }
    fields.get(19)?.parse().ok()
}

/// Whether the process an owner file names is still running.
pub(super) fn owner_alive(text: &str) -> bool {
    let mut parts = text.split_whitespace();
    let (Some(pid), Some(started)) = (parts.next(), parts.next()) else { return false };
    let (Ok(pid), Ok(started)) = (pid.parse::<u32>(), started.parse::<u64>()) else { return false };
    start_time(pid) == Some(started)
}

/// Where cluster directories are made: the temporary folder and the in-memory one.
fn places() -> Vec<PathBuf> {
    let mut out = vec![std::env::temp_dir()];
    let shm = PathBuf::from(super::IN_MEMORY_DIR);
    if !out.contains(&shm) && shm.is_dir() {
        out.push(shm);
    }
    out
}

/// Stop and remove the cluster directories whose plangate is gone; says what it removed.
pub(crate) fn sweep() -> Vec<String> {
    let mut removed = Vec::new();
    for place in places() {
        let Ok(entries) = std::fs::read_dir(&place) else { continue };
        for e in entries.flatten() {
            let dir = e.path();
            let plangate = e.file_name().to_string_lossy().starts_with("plangate-");
            let Ok(owner) = std::fs::read_to_string(dir.join(OWNER_FILE)) else { continue };
            if !plangate || owner_alive(&owner) {
                continue;
            }
            let stopped = stop_server(&dir);
            if std::fs::remove_dir_all(&dir).is_ok() || !dir.exists() {
                removed.push(match stopped {
                    Some(pid) => format!("{} (its server, pid {pid}, stopped)", dir.display()),
                    None => dir.display().to_string(),
                });
            }
        }
    }
    removed
}

/// Stop the server running on `dir`'s data directory, if one is: its pid when it did.
fn stop_server(dir: &Path) -> Option<i32> {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    let data = dir.join("data");
    let pid: i32 = std::fs::read_to_string(data.join("postmaster.pid")).ok()?.lines().next()?.trim().parse().ok()?;
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let needle = data.to_string_lossy();
    if !String::from_utf8_lossy(&cmdline).replace('\0', " ").contains(needle.as_ref()) {
        return None;
    }
    let _ = kill(Pid::from_raw(pid), Signal::SIGQUIT);
    for _ in 0..100 {
        if !Path::new(&format!("/proc/{pid}")).exists() {
            return Some(pid);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
    Some(pid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_owner_line_names_this_process_and_a_gone_one_is_not_alive() {
        assert!(owner_alive(&owner_line()));
        assert!(!owner_alive("999999999 1\n"));
        let pid = std::process::id();
        assert!(!owner_alive(&format!("{pid} 1\n")), "the same pid, started at another time, is another process");
        assert!(!owner_alive("garbage"));
    }
}
