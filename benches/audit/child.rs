//! Running a command as a child process and measuring it as a whole: wall time, CPU time, peak memory,
//! and when each line of its standard error arrived.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What one run of a child process cost.
#[derive(Debug, Clone)]
pub struct Measured {
    /// From spawning to the end of the process.
    pub wall: Duration,
    /// User plus system CPU time of the process.
    pub cpu: Duration,
    /// The largest resident set the process reached, in bytes: its `VmHWM`, read from /proc until it
    /// exits. (wait4's `ru_maxrss` would not do: Linux counts in it the memory of the process that spawned
    /// it, which here holds the fake server's whole world.)
    pub peak_rss_bytes: u64,
    /// The exit code; `None` when a signal ended the process.
    pub exit_code: Option<i32>,
    /// Each line the process wrote to standard error, with the time since the start when it arrived.
    pub stderr: Vec<(Duration, String)>,
}

/// Runs `command` to its end and measures it, reading its standard error as it comes. Standard input and
/// output are as `command` sets them.
pub fn measure(command: &mut Command) -> std::io::Result<Measured> {
    let started = Instant::now();
    let mut child = command.stderr(Stdio::piped()).spawn()?;
    let stderr = child.stderr.take().map(|pipe| {
        std::thread::spawn(move || {
            BufReader::new(pipe)
                .lines()
                .map_while(Result::ok)
                .map(|line| (started.elapsed(), line))
                .collect::<Vec<_>>()
        })
    });
    let pid = libc::pid_t::try_from(child.id()).map_err(std::io::Error::other)?;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain data, for which all-zero bytes are a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let mut peak_rss_bytes = 0;
    let wall = loop {
        peak_rss_bytes = peak_rss_bytes.max(peak_resident_bytes(pid).unwrap_or(0));
        // SAFETY: `pid` is our own child, not yet reaped (std's `Child` only reaps in `wait`, which we
        // never call), and both pointers point to live, writable values of the right types.
        let reaped = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        match reaped {
            0 => std::thread::sleep(POLL),
            _ if reaped == pid => break started.elapsed(),
            _ => return Err(std::io::Error::last_os_error()),
        }
    };
    let seconds = |time: libc::timeval| {
        Duration::from_secs(u64::try_from(time.tv_sec).unwrap_or(0))
            + Duration::from_micros(u64::try_from(time.tv_usec).unwrap_or(0))
    };
    Ok(Measured {
        wall,
        cpu: seconds(usage.ru_utime) + seconds(usage.ru_stime),
        peak_rss_bytes,
        exit_code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        stderr: stderr
            .and_then(|reader| reader.join().ok())
            .unwrap_or_default(),
    })
}

/// How often a running child's peak memory is read, and whether it has ended checked.
const POLL: Duration = Duration::from_millis(1);

/// The peak resident set of process `pid` so far (`VmHWM` in /proc/PID/status), while it is running.
fn peak_resident_bytes(pid: libc::pid_t) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))?
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse::<u64>()
        .ok()?;
    Some(kib * 1024)
}

/// CPU time the calling thread has used so far.
pub fn thread_cpu_time() -> Duration {
    cpu_clock(libc::CLOCK_THREAD_CPUTIME_ID)
}

/// CPU time all threads of this process have used so far.
pub fn process_cpu_time() -> Duration {
    cpu_clock(libc::CLOCK_PROCESS_CPUTIME_ID)
}

fn cpu_clock(clock: libc::clockid_t) -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a live, writable timespec; both CPU-time clocks always exist on Linux.
    let status = unsafe { libc::clock_gettime(clock, &mut now) };
    assert_eq!(status, 0, "clock_gettime of a CPU-time clock failed");
    Duration::from_secs(u64::try_from(now.tv_sec).unwrap_or(0))
        + Duration::from_nanos(u64::try_from(now.tv_nsec).unwrap_or(0))
}
