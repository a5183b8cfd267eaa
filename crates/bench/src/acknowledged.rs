//! The payments the server acknowledged as `SUCCESS`, recorded on disk as they come rather
//! than in memory, so that the load generator's memory stays flat however long a run is (its
//! resident set is reported together with an in-process server's) and read back afterwards
//! for the check that each one is stored.
//!
//! Each worker appends to a file of its own. A record is the payment's number among the
//! worker's payments (4 bytes, little-endian), the merchant's index in the population
//! (2 bytes), the length of the `trade_no` (1 byte) and the `trade_no` itself.

use std::fs::File;
use std::io::{BufReader, BufWriter, ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

/// A payment the server acknowledged as `SUCCESS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acknowledged {
    /// The worker that sent it.
    pub worker: u16,
    /// Its number among the worker's payments.
    pub number: u32,
    /// Which of the population's merchants charged it.
    pub merchant: u16,
    /// The `trade_no` the server answered with.
    pub trade_no: String,
}

impl Acknowledged {
    /// Its `out_trade_no` in the run tagged `tag`.
    pub fn out_trade_no(&self, tag: &str) -> String {
        out_trade_no(tag, self.worker, self.number)
    }
}

/// The `out_trade_no` of payment `number` of `worker` in the run tagged `tag`.
pub fn out_trade_no(tag: &str, worker: u16, number: u32) -> String {
    format!("{tag}-{worker}-{number}")
}

/// One worker's file of acknowledged payments, being written.
#[derive(Debug)]
pub struct Recorder {
    worker: u16,
    path: PathBuf,
    writer: BufWriter<File>,
    count: u64,
}

impl Recorder {
    /// Creates the file of `worker` in `directory`.
    pub fn create(directory: &Path, worker: u16) -> std::io::Result<Recorder> {
        let path = directory.join(format!("acknowledged-{worker}.bin"));
        let writer = BufWriter::new(File::create(&path)?);
        Ok(Recorder {
            worker,
            path,
            writer,
            count: 0,
        })
    }

    /// Appends one acknowledged payment of this worker.
    pub fn record(&mut self, number: u32, merchant: u16, trade_no: &str) -> std::io::Result<()> {
        let length = u8::try_from(trade_no.len()).map_err(|_| {
            std::io::Error::new(ErrorKind::InvalidData, "a trade_no longer than 255 bytes")
        })?;
        self.writer.write_all(&number.to_le_bytes())?;
        self.writer.write_all(&merchant.to_le_bytes())?;
        self.writer.write_all(&[length])?;
        self.writer.write_all(trade_no.as_bytes())?;
        self.count += 1;
        Ok(())
    }

    /// Flushes the file and says where it is and how many payments it holds.
    pub fn finish(mut self) -> std::io::Result<Recorded> {
        self.writer.flush()?;
        Ok(Recorded {
            worker: self.worker,
            path: self.path,
            count: self.count,
        })
    }
}

/// One worker's finished file of acknowledged payments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The worker.
    pub worker: u16,
    /// The file.
    pub path: PathBuf,
    /// How many payments it holds.
    pub count: u64,
}

impl Recorded {
    /// Reads the payments back, in the order they were recorded.
    pub fn read(&self) -> std::io::Result<Replay> {
        Ok(Replay {
            worker: self.worker,
            reader: BufReader::new(File::open(&self.path)?),
        })
    }
}

/// The payments of one worker's file, read back one by one.
#[derive(Debug)]
pub struct Replay {
    worker: u16,
    reader: BufReader<File>,
}

impl Iterator for Replay {
    type Item = std::io::Result<Acknowledged>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut header = [0u8; 7];
        match self.reader.read_exact(&mut header) {
            Ok(()) => {}
            Err(error) if error.kind() == ErrorKind::UnexpectedEof => return None,
            Err(error) => return Some(Err(error)),
        }
        let number = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
        let merchant = u16::from_le_bytes([header[4], header[5]]);
        let mut trade_no = vec![0u8; usize::from(header[6])];
        if let Err(error) = self.reader.read_exact(&mut trade_no) {
            return Some(Err(error));
        }
        Some(
            String::from_utf8(trade_no)
                .map(|trade_no| Acknowledged {
                    worker: self.worker,
                    number,
                    merchant,
                    trade_no,
                })
                .map_err(|_| std::io::Error::new(ErrorKind::InvalidData, "a trade_no not UTF-8")),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_payments_are_read_back_in_order() {
        let directory = tempfile::tempdir().unwrap();
        let mut recorder = Recorder::create(directory.path(), 7).unwrap();
        recorder.record(0, 3, "01234567890123456789").unwrap();
        recorder.record(u32::MAX, u16::MAX, "").unwrap();
        let recorded = recorder.finish().unwrap();
        assert_eq!((recorded.worker, recorded.count), (7, 2));
        let payments: Vec<Acknowledged> =
            recorded.read().unwrap().collect::<Result<_, _>>().unwrap();
        assert_eq!(
            payments,
            [
                Acknowledged {
                    worker: 7,
                    number: 0,
                    merchant: 3,
                    trade_no: "01234567890123456789".to_owned(),
                },
                Acknowledged {
                    worker: 7,
                    number: u32::MAX,
                    merchant: u16::MAX,
                    trade_no: String::new(),
                },
            ]
        );
    }

    #[test]
    fn a_truncated_file_is_an_error_not_a_short_list() {
        let directory = tempfile::tempdir().unwrap();
        let mut recorder = Recorder::create(directory.path(), 0).unwrap();
        recorder.record(1, 0, "123").unwrap();
        let recorded = recorder.finish().unwrap();
        let length = std::fs::metadata(&recorded.path).unwrap().len();
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(&recorded.path)
            .unwrap();
        file.set_len(length - 1).unwrap();
        let mut replay = recorded.read().unwrap();
        assert!(replay.next().unwrap().is_err());
    }

    #[test]
    fn out_trade_numbers_are_valid_references_unique_per_worker_and_number() {
        let reference = out_trade_no("bench-0123abcd", 31, 4_000_000_000);
        assert_eq!(reference, "bench-0123abcd-31-4000000000");
        assert!(reference.len() <= paycode_core::limits::MAX_REFERENCE_BYTES);
        assert_ne!(out_trade_no("t", 1, 23), out_trade_no("t", 12, 3));
    }

    #[test]
    fn a_trade_number_too_long_for_a_record_is_refused() {
        let directory = tempfile::tempdir().unwrap();
        let mut recorder = Recorder::create(directory.path(), 0).unwrap();
        assert!(recorder.record(1, 0, &"9".repeat(256)).is_err());
    }
}
