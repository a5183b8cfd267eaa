//! A process's memory as Linux reports it in `/proc/PID/status`: the resident set size now
//! (`VmRSS`) and its peak (`VmHWM`, the "high water mark").

use std::path::PathBuf;

/// Bytes in one of the kilobytes `/proc/PID/status` counts in (it means KiB).
const BYTES_PER_KIB: u64 = 1_024;

/// A process's resident memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Memory {
    /// Resident set size now, in bytes.
    pub rss_bytes: u64,
    /// Largest resident set size so far, in bytes.
    pub peak_rss_bytes: u64,
}

/// Which process to read: this one, or another by its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Process {
    /// The load generator itself (with an in-process server, the server too).
    Own,
    /// Another process, such as a server started separately.
    Other(u32),
}

impl Process {
    fn status_path(self) -> PathBuf {
        match self {
            Process::Own => PathBuf::from("/proc/self/status"),
            Process::Other(pid) => PathBuf::from(format!("/proc/{pid}/status")),
        }
    }
}

/// Reads the memory of `process`. Fails where there is no `/proc` (not Linux) or no such
/// process, and when the file lacks the two lines.
pub fn read_memory(process: Process) -> std::io::Result<Memory> {
    let path = process.status_path();
    let text = std::fs::read_to_string(&path)?;
    parse_status(&text).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{} has no VmRSS and VmHWM lines", path.display()),
        )
    })
}

/// The memory in the text of a `/proc/PID/status` file, when both lines are there.
pub fn parse_status(text: &str) -> Option<Memory> {
    let mut rss = None;
    let mut peak = None;
    for line in text.lines() {
        if let Some(value) = line.strip_prefix("VmRSS:") {
            rss = parse_kib(value);
        } else if let Some(value) = line.strip_prefix("VmHWM:") {
            peak = parse_kib(value);
        }
    }
    Some(Memory {
        rss_bytes: rss?,
        peak_rss_bytes: peak?,
    })
}

/// `"   123456 kB"` as bytes.
fn parse_kib(value: &str) -> Option<u64> {
    let number = value.trim().strip_suffix("kB")?.trim();
    number.parse::<u64>().ok()?.checked_mul(BYTES_PER_KIB)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "Name:\tpaycode\nUmask:\t0022\nState:\tS (sleeping)\n\
        VmPeak:\t 1181112 kB\nVmSize:\t 1115576 kB\nVmLck:\t       0 kB\n\
        VmHWM:\t   52340 kB\nVmRSS:\t   48120 kB\nRssAnon:\t   30000 kB\nThreads:\t12\n";

    #[test]
    fn the_resident_set_and_its_peak_are_read_in_bytes() {
        assert_eq!(
            parse_status(STATUS),
            Some(Memory {
                rss_bytes: 48_120 * 1_024,
                peak_rss_bytes: 52_340 * 1_024,
            })
        );
    }

    #[test]
    fn a_status_without_both_lines_or_with_garbage_gives_nothing() {
        assert_eq!(parse_status("Name:\tkthreadd\n"), None);
        assert_eq!(parse_status("VmRSS:\t 12 kB\n"), None);
        assert_eq!(parse_status("VmRSS:\t twelve kB\nVmHWM:\t 12 kB\n"), None);
        assert_eq!(parse_status("VmRSS:\t 12 MB\nVmHWM:\t 12 kB\n"), None);
    }

    #[test]
    fn this_process_has_a_resident_set_no_larger_than_its_peak() {
        let memory = read_memory(Process::Own).expect("Linux has /proc/self/status");
        assert!(memory.rss_bytes > 0);
        assert!(memory.rss_bytes <= memory.peak_rss_bytes);
        let by_id = read_memory(Process::Other(std::process::id())).unwrap();
        assert!(by_id.peak_rss_bytes >= memory.peak_rss_bytes);
    }

    #[test]
    fn a_missing_process_is_an_error() {
        // Process ids are below 2^22 on Linux.
        assert!(read_memory(Process::Other(u32::MAX)).is_err());
    }
}
