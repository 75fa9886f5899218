//! The limits of one load, in one place: how large a data file and how long a table may
//! be, and how much of the errors is shown. Each limit that refuses input is an error
//! naming the file, the limit and what the input has (docs/hardening.md, "Limits").

/// The largest data file the loader reads, in bytes: 2 GiB.
///
/// Checked against the file's size on disk before anything is read (and while reading,
/// for files whose size the filesystem does not know), and against the length of data
/// given in memory. Loading takes several times a file's size in memory (the text, then
/// the typed rows), so a file past this limit is far more likely a wrong file (a log, a
/// database dump) than a data set; the benchmark's 4 million bookings are about 250 MB.
pub const MAX_DATA_FILE_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// The most rows one table may have: 20 million (a row is a CSV record after the header,
/// or an element of a JSON table's array).
///
/// Five times the benchmark's 4 million bookings, and some twenty years of a large
/// customer's bookings. Checked before any row of the table is typed whenever the file
/// has more line feeds than this, so the memory of rows past the limit is never taken.
pub const MAX_TABLE_ROWS: usize = 20_000_000;

/// The most errors one load reports; past it, one more line says how many were left out.
pub const MAX_ERRORS: usize = 100;

/// Values longer than this many characters are cut in messages (a runaway quoted cell
/// can hold a whole file).
pub(crate) const MAX_SHOWN_VALUE_CHARS: usize = 80;

/// The limits a load enforces on its input: the constants above, except in tests, which
/// lower them to check them without gigabytes of input (`with_limits`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    /// At most this many bytes per data file (`MAX_DATA_FILE_BYTES`).
    pub file_bytes: u64,
    /// At most this many rows per table (`MAX_TABLE_ROWS`).
    pub table_rows: usize,
}

impl Limits {
    /// The limits of every load outside tests.
    pub(crate) const STANDARD: Limits = Limits { file_bytes: MAX_DATA_FILE_BYTES, table_rows: MAX_TABLE_ROWS };
}

/// The limits in force.
#[cfg(not(test))]
pub(crate) fn limits() -> Limits {
    Limits::STANDARD
}

#[cfg(test)]
thread_local! {
    static LIMITS: std::cell::Cell<Limits> = const { std::cell::Cell::new(Limits::STANDARD) };
}

/// The limits in force: the standard ones, unless a test lowered them (`with_limits`).
#[cfg(test)]
pub(crate) fn limits() -> Limits {
    LIMITS.get()
}

/// Runs `f` with other limits (on this thread only).
#[cfg(test)]
pub(crate) fn with_limits<T>(limits: Limits, f: impl FnOnce() -> T) -> T {
    LIMITS.set(limits);
    let result = f();
    LIMITS.set(Limits::STANDARD);
    result
}

/// A size in bytes for people: `2.0 GiB`, `250.3 MiB`, `512 bytes`.
pub(crate) fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    // Precision is not the point here: the exact count is shown beside it.
    let mut value = bytes as f64 / 1024.0;
    let mut unit = "KiB";
    for next in UNITS.iter().skip(1) {
        if value < 1024.0 {
            break;
        }
        value /= 1024.0;
        unit = next;
    }
    format!("{value:.1} {unit}")
}

/// A count of bytes, with its size for people when it is 1 KiB or more:
/// `2147483649 bytes (2.0 GiB)`, `512 bytes`.
fn bytes_shown(bytes: u64) -> String {
    if bytes < 1024 {
        format!("{bytes} bytes")
    } else {
        format!("{bytes} bytes ({})", human_bytes(bytes))
    }
}

/// The error for a data file larger than the limit; `size` is `None` when the file's
/// size was not known before reading (a pipe, a device) and reading passed the limit.
pub(crate) fn file_too_large(file: &str, size: Option<u64>, limit: u64) -> crate::DataError {
    let size = match size {
        Some(size) => format!("is {}", bytes_shown(size)),
        None => "has more bytes".to_string(),
    };
    crate::DataError::in_file(file, format!("{size}, more than the limit of {} for one data file", bytes_shown(limit)))
}

/// The error for a table with more rows than the limit.
pub(crate) fn too_many_rows(file: &str, rows: usize, limit: usize) -> crate::DataError {
    crate::DataError::in_file(file, format!("has {rows} rows, more than the limit of {limit} rows for one table"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_shown_for_people() {
        assert_eq!(human_bytes(0), "0 bytes");
        assert_eq!(human_bytes(1023), "1023 bytes");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(250 * 1024 * 1024 + 300 * 1024), "250.3 MiB");
        assert_eq!(human_bytes(MAX_DATA_FILE_BYTES), "2.0 GiB");
        assert_eq!(human_bytes(MAX_DATA_FILE_BYTES + 1), "2.0 GiB");
        assert_eq!(human_bytes(u64::MAX), "16777216.0 TiB");
    }
}
