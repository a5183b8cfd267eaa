//! Calendar days in the deployment's statement time zone (config `time_zone`, default `UTC`):
//! a `YYYY-MM-DD` becomes the range of Unix milliseconds it covers, and an instant becomes the
//! day it falls on. The merchant's trades of a day, the operator's summary and the daily
//! statements all cut days here, so they agree on where a day begins.
//!
//! Days are not always 24 hours: on the days a zone moves its clocks they are 23 or 25, and a
//! day begins at the first instant whose local date is that day (01:00 where midnight falls in
//! a gap). The tz database is compiled into the binary, so a machine without
//! `/usr/share/zoneinfo` knows every zone too.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;

use crate::clock::UnixMillis;
use crate::error::Error;

/// The time zone that days are cut in.
#[derive(Debug, Clone)]
pub struct StatementZone {
    name: String,
    zone: TimeZone,
}

impl StatementZone {
    /// The zone of an IANA name such as `Asia/Shanghai` or `UTC`; an unknown name is a
    /// configuration error that says so.
    pub fn parse(name: &str) -> Result<Self, Error> {
        let zone = TimeZone::get(name).map_err(|_| {
            Error::Config(format!(
                "time_zone {name:?} is not a known IANA time zone name (such as UTC or Asia/Shanghai)"
            ))
        })?;
        Ok(Self {
            name: name.to_owned(),
            zone,
        })
    }

    /// The zone's name as configured.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The [start, end) Unix milliseconds of the day `date` in this zone.
    pub fn day_range(&self, date: Day) -> Result<DayRange, Error> {
        let next = date
            .0
            .tomorrow()
            .map_err(|_| Error::MalformedRequest("the date is out of range".to_owned()))?;
        Ok(DayRange {
            start: self.start_of(date.0)?,
            end: self.start_of(next)?,
        })
    }

    /// The day that the instant `at` falls on in this zone.
    pub fn day_of(&self, at: UnixMillis) -> Result<Day, Error> {
        let instant = Timestamp::from_millisecond(at)
            .map_err(|_| Error::Internal(format!("instant {at} is out of range")))?;
        Ok(Day(instant.to_zoned_datetime(self.zone.clone()).date()))
    }

    fn start_of(&self, date: Date) -> Result<UnixMillis, Error> {
        let start = date
            .to_zoned_datetime(self.zone.clone())
            .and_then(|midnight| midnight.start_of_day())
            .map_err(|_| Error::MalformedRequest("the date is out of range".to_owned()))?;
        Ok(start.timestamp().as_millisecond())
    }
}

/// A calendar date, `YYYY-MM-DD`, that exists (no 30 February).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Day(Date);

impl Day {
    /// Parses exactly `YYYY-MM-DD` with a year from 1 to 9999; anything else, or a date that
    /// does not exist, is a malformed request that names `field`.
    pub fn parse(field: &str, text: &str) -> Result<Self, Error> {
        let refuse = || {
            Error::MalformedRequest(format!(
                "{field} must be an existing date written YYYY-MM-DD"
            ))
        };
        let bytes = text.as_bytes();
        let shaped = bytes.len() == 10
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes
                .iter()
                .enumerate()
                .all(|(position, byte)| position == 4 || position == 7 || byte.is_ascii_digit());
        if !shaped {
            return Err(refuse());
        }
        let number =
            |range: std::ops::Range<usize>| text[range].parse::<i16>().map_err(|_| refuse());
        let year = number(0..4)?;
        let month = i8::try_from(number(5..7)?).map_err(|_| refuse())?;
        let day = i8::try_from(number(8..10)?).map_err(|_| refuse())?;
        if year < 1 {
            return Err(refuse());
        }
        Date::new(year, month, day).map(Day).map_err(|_| refuse())
    }
}

impl std::fmt::Display for Day {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            formatter,
            "{:04}-{:02}-{:02}",
            self.0.year(),
            self.0.month(),
            self.0.day()
        )
    }
}

/// The instants of one day: from `start` (included) to `end` (excluded), in Unix milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRange {
    /// The day's first millisecond.
    pub start: UnixMillis,
    /// The next day's first millisecond.
    pub end: UnixMillis,
}

impl DayRange {
    /// Whether `at` falls within the day.
    pub fn contains(&self, at: UnixMillis) -> bool {
        (self.start..self.end).contains(&at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;

    fn range(zone: &str, date: &str) -> DayRange {
        StatementZone::parse(zone)
            .unwrap()
            .day_range(Day::parse("date", date).unwrap())
            .unwrap()
    }

    #[test]
    fn a_utc_day_is_the_24_hours_from_midnight_utc() {
        // 2026-12-02T00:00:00Z.
        let start = 1_796_169_600_000;
        assert_eq!(
            range("UTC", "2026-12-02"),
            DayRange {
                start,
                end: start + 24 * HOUR
            }
        );
    }

    #[test]
    fn a_shanghai_day_begins_at_16_00_utc_the_day_before() {
        let utc_midnight = range("UTC", "2026-12-02").start;
        assert_eq!(
            range("Asia/Shanghai", "2026-12-02"),
            DayRange {
                start: utc_midnight - 8 * HOUR,
                end: utc_midnight + 16 * HOUR
            }
        );
    }

    #[test]
    fn berlin_days_when_the_clocks_move_are_23_and_25_hours() {
        // Summer time began on 2026-03-29 and ended on 2026-10-25.
        let spring = range("Europe/Berlin", "2026-03-29");
        assert_eq!(spring.end - spring.start, 23 * HOUR);
        assert_eq!(spring.start, range("UTC", "2026-03-29").start - HOUR);
        let autumn = range("Europe/Berlin", "2026-10-25");
        assert_eq!(autumn.end - autumn.start, 25 * HOUR);
        assert_eq!(autumn.start, range("UTC", "2026-10-25").start - 2 * HOUR);
        let ordinary = range("Europe/Berlin", "2026-10-26");
        assert_eq!(ordinary.end - ordinary.start, 24 * HOUR);
        assert_eq!(ordinary.start, autumn.end);
    }

    #[test]
    fn a_day_that_begins_in_a_gap_begins_when_the_clocks_have_moved() {
        // Santiago moved from 00:00 to 01:00 on 2026-09-06: that day has no midnight.
        let day = range("America/Santiago", "2026-09-06");
        assert_eq!(day.end - day.start, 23 * HOUR);
        assert_eq!(day.start, range("America/Santiago", "2026-09-05").end);
    }

    #[test]
    fn the_day_of_an_instant_is_the_local_date() {
        let shanghai = StatementZone::parse("Asia/Shanghai").unwrap();
        let day = range("Asia/Shanghai", "2026-12-02");
        assert_eq!(
            shanghai.day_of(day.start).unwrap().to_string(),
            "2026-12-02"
        );
        assert_eq!(
            shanghai.day_of(day.end - 1).unwrap().to_string(),
            "2026-12-02"
        );
        assert_eq!(shanghai.day_of(day.end).unwrap().to_string(), "2026-12-03");
        assert!(day.contains(day.start) && !day.contains(day.end));
    }

    #[test]
    fn dates_that_do_not_exist_or_are_not_written_yyyy_mm_dd_are_refused() {
        for text in [
            "2026-02-30",
            "2026-13-01",
            "2026-00-10",
            "2025-02-29",
            "0000-01-01",
            "2026-2-3",
            "20260203",
            "2026-02-03T00:00",
            "2026/02/03",
            "+002026-02-03",
            "",
            "２０２６-02-03",
        ] {
            let error = Day::parse("date", text).expect_err(text);
            assert!(error.to_string().contains("YYYY-MM-DD"), "{text}: {error}");
        }
        assert_eq!(
            Day::parse("date", "2024-02-29").unwrap().to_string(),
            "2024-02-29"
        );
    }

    #[test]
    fn unknown_zones_are_refused_with_their_name() {
        let error = StatementZone::parse("Mars/Olympus_Mons").unwrap_err();
        assert!(matches!(error, Error::Config(_)));
        assert!(error.to_string().contains("Mars/Olympus_Mons"));
        assert_eq!(StatementZone::parse("UTC").unwrap().name(), "UTC");
    }
}
