//! Calendar dates (`YYYY-MM-DD`) for rule expiry, without a date-time dependency.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// A day in the proleptic Gregorian calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

impl Date {
    /// Parses exactly `YYYY-MM-DD`, rejecting days that do not exist (such as `2026-02-30`).
    pub fn parse(text: &str) -> Result<Date, String> {
        let bytes = text.as_bytes();
        let shape_ok = bytes.len() == 10
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes
                .iter()
                .enumerate()
                .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
        if !shape_ok {
            return Err(format!("\"{text}\" is not a date in the form YYYY-MM-DD"));
        }
        let number = |range: std::ops::Range<usize>| {
            text[range]
                .parse::<u16>()
                .map_err(|_| format!("\"{text}\" is not a date in the form YYYY-MM-DD"))
        };
        let year = number(0..4)?;
        let month = number(5..7)?;
        let day = number(8..10)?;
        if !(1..=12).contains(&month) {
            return Err(format!("\"{text}\" has no month {month}"));
        }
        let month = month as u8;
        let year = i32::from(year);
        if day == 0 || day > u16::from(days_in_month(year, month)) {
            return Err(format!("\"{text}\" is not a day of that month"));
        }
        Ok(Date {
            year,
            month,
            day: day as u8,
        })
    }

    /// Today's date in UTC.
    pub fn today() -> Date {
        let seconds = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| elapsed.as_secs())
            .unwrap_or(0);
        Date::from_days_since_epoch((seconds / 86_400) as i64)
    }

    /// The date `days` days later.
    pub fn plus_days(self, days: i64) -> Date {
        Date::from_days_since_epoch(self.days_since_epoch() + days)
    }

    /// Days since 1970-01-01 (Howard Hinnant's days-from-civil algorithm).
    fn days_since_epoch(self) -> i64 {
        let year = i64::from(self.year) - i64::from(self.month <= 2);
        let era = year.div_euclid(400);
        let year_of_era = year.rem_euclid(400);
        let month = i64::from(self.month);
        let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5
            + i64::from(self.day)
            - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }

    /// The date `days` days after 1970-01-01 (Howard Hinnant's civil-from-days algorithm).
    fn from_days_since_epoch(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let day_of_era = z.rem_euclid(146_097);
        let year_of_era =
            (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let shifted_month = (5 * day_of_year + 2) / 153;
        let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u8;
        let month = if shifted_month < 10 {
            shifted_month + 3
        } else {
            shifted_month - 9
        } as u8;
        let year = (year_of_era + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_days_across_months_years_and_leap_days() {
        let date = |text| Date::parse(text).expect("valid");
        assert_eq!(date("2026-12-03").plus_days(90), date("2027-03-03"));
        assert_eq!(date("2028-02-28").plus_days(1), date("2028-02-29"));
        assert_eq!(date("1970-01-01").days_since_epoch(), 0);
        assert_eq!(date("2000-03-01").plus_days(-1), date("2000-02-29"));
    }

    #[test]
    fn parses_and_prints_valid_dates() {
        for text in ["2026-12-03", "2024-02-29", "2000-02-29", "1999-12-31"] {
            assert_eq!(Date::parse(text).expect(text).to_string(), text);
        }
    }

    #[test]
    fn rejects_impossible_or_malformed_dates() {
        for text in [
            "2026-02-29",
            "1900-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-04-31",
            "2026-1-01",
            "26-01-01",
            "2026/01/01",
            "tomorrow",
            "",
            "2026-01-01T00:00:00Z",
            "+026-01-01",
        ] {
            assert!(Date::parse(text).is_err(), "{text} should be rejected");
        }
    }

    #[test]
    fn dates_order_chronologically() {
        let earlier = Date::parse("2025-12-31").expect("valid");
        let later = Date::parse("2026-01-01").expect("valid");
        assert!(earlier < later);
    }

    #[test]
    fn epoch_days_map_to_civil_dates() {
        assert_eq!(Date::from_days_since_epoch(0).to_string(), "1970-01-01");
        assert_eq!(
            Date::from_days_since_epoch(11_016).to_string(),
            "2000-02-29"
        );
        assert_eq!(
            Date::from_days_since_epoch(20_425).to_string(),
            "2025-12-03"
        );
    }
}
