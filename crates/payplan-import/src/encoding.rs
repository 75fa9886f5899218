//! Text encodings of input files. The mapping names the encoding of every file and
//! the importer decodes with exactly that one: it never guesses. It reads a byte-order
//! mark only to drop it when it agrees with the mapping, or to stop with an error
//! when it contradicts it (a UTF-16 file declared `windows-1252`, say).

use serde::{Serialize, Serializer};

/// An encoding the mapping may name for an input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8, with or without a byte-order mark.
    Utf8,
    /// UTF-16 with a byte-order mark (little or big endian, as the mark says).
    Utf16,
    /// Windows-1252 (what Excel on Windows writes as "CSV" in western Europe and the US).
    Windows1252,
    /// ISO-8859-1: every byte is the code point of the same number.
    Latin1,
    /// Code page 437, the original IBM PC set (still written by some older tools).
    Cp437,
}

/// A file that does not decode in the encoding the mapping names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// The physical line (1-based) where decoding failed.
    pub line: u64,
    /// What went wrong, without the file name.
    pub message: String,
    /// What to change in the mapping.
    pub help: Option<String>,
}

impl Encoding {
    /// Every encoding, with the names the mapping accepts (the first is the canonical one).
    pub const NAMES: [(Encoding, &'static [&'static str]); 5] = [
        (Encoding::Utf8, &["utf-8", "utf8"]),
        (Encoding::Utf16, &["utf-16", "utf16"]),
        (Encoding::Windows1252, &["windows-1252", "cp1252"]),
        (Encoding::Latin1, &["latin-1", "latin1", "iso-8859-1"]),
        (Encoding::Cp437, &["cp437", "ibm437"]),
    ];

    /// The encoding a mapping names (`"utf-8"`, `"windows-1252"`, ...), case-insensitively.
    pub fn from_name(name: &str) -> Option<Encoding> {
        let wanted = name.trim().to_ascii_lowercase();
        Encoding::NAMES.iter().find(|(_, names)| names.contains(&wanted.as_str())).map(|(encoding, _)| *encoding)
    }

    /// The canonical name, as the mapping writes it.
    pub fn name(self) -> &'static str {
        Encoding::NAMES.iter().find(|(encoding, _)| *encoding == self).and_then(|(_, names)| names.first().copied()).unwrap_or("utf-8")
    }
}

impl Serialize for Encoding {
    /// Serialised by its canonical name, as the mapping writes it (`"windows-1252"`).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

const UTF8_BOM: &[u8] = &[0xEF, 0xBB, 0xBF];
const UTF16_LE_BOM: &[u8] = &[0xFF, 0xFE];
const UTF16_BE_BOM: &[u8] = &[0xFE, 0xFF];

/// Code page 437, bytes 0x80 to 0xFF (0x00 to 0x7F are ASCII).
const CP437_HIGH: &str = "\u{00C7}\u{00FC}\u{00E9}\u{00E2}\u{00E4}\u{00E0}\u{00E5}\u{00E7}\u{00EA}\u{00EB}\u{00E8}\u{00EF}\u{00EE}\u{00EC}\u{00C4}\u{00C5}\
\u{00C9}\u{00E6}\u{00C6}\u{00F4}\u{00F6}\u{00F2}\u{00FB}\u{00F9}\u{00FF}\u{00D6}\u{00DC}\u{00A2}\u{00A3}\u{00A5}\u{20A7}\u{0192}\
\u{00E1}\u{00ED}\u{00F3}\u{00FA}\u{00F1}\u{00D1}\u{00AA}\u{00BA}\u{00BF}\u{2310}\u{00AC}\u{00BD}\u{00BC}\u{00A1}\u{00AB}\u{00BB}\
\u{2591}\u{2592}\u{2593}\u{2502}\u{2524}\u{2561}\u{2562}\u{2556}\u{2555}\u{2563}\u{2551}\u{2557}\u{255D}\u{255C}\u{255B}\u{2510}\
\u{2514}\u{2534}\u{252C}\u{251C}\u{2500}\u{253C}\u{255E}\u{255F}\u{255A}\u{2554}\u{2569}\u{2566}\u{2560}\u{2550}\u{256C}\u{2567}\
\u{2568}\u{2564}\u{2565}\u{2559}\u{2558}\u{2552}\u{2553}\u{256B}\u{256A}\u{2518}\u{250C}\u{2588}\u{2584}\u{258C}\u{2590}\u{2580}\
\u{03B1}\u{00DF}\u{0393}\u{03C0}\u{03A3}\u{03C3}\u{00B5}\u{03C4}\u{03A6}\u{0398}\u{03A9}\u{03B4}\u{221E}\u{03C6}\u{03B5}\u{2229}\
\u{2261}\u{00B1}\u{2265}\u{2264}\u{2320}\u{2321}\u{00F7}\u{2248}\u{00B0}\u{2219}\u{00B7}\u{221A}\u{207F}\u{00B2}\u{25A0}\u{00A0}";

/// Windows-1252, bytes 0x80 to 0x9F (0xA0 to 0xFF are Latin-1); `None` where the code
/// page defines no character.
const WINDOWS_1252_C1: [Option<char>; 32] = [
    Some('\u{20AC}'),
    None,
    Some('\u{201A}'),
    Some('\u{0192}'),
    Some('\u{201E}'),
    Some('\u{2026}'),
    Some('\u{2020}'),
    Some('\u{2021}'),
    Some('\u{02C6}'),
    Some('\u{2030}'),
    Some('\u{0160}'),
    Some('\u{2039}'),
    Some('\u{0152}'),
    None,
    Some('\u{017D}'),
    None,
    None,
    Some('\u{2018}'),
    Some('\u{2019}'),
    Some('\u{201C}'),
    Some('\u{201D}'),
    Some('\u{2022}'),
    Some('\u{2013}'),
    Some('\u{2014}'),
    Some('\u{02DC}'),
    Some('\u{2122}'),
    Some('\u{0161}'),
    Some('\u{203A}'),
    Some('\u{0153}'),
    None,
    Some('\u{017E}'),
    Some('\u{0178}'),
];

/// Decodes a whole file in `encoding`. A byte-order mark that agrees is dropped; one
/// that disagrees, an undecodable byte or a NUL byte is an error at its line.
pub fn decode(bytes: &[u8], encoding: Encoding) -> Result<String, DecodeError> {
    let declared = encoding.name();
    if encoding != Encoding::Utf16 && (bytes.starts_with(UTF16_LE_BOM) || bytes.starts_with(UTF16_BE_BOM)) {
        return Err(DecodeError {
            line: 1,
            message: format!("the file starts with a UTF-16 byte-order mark, but the mapping says `{declared}`"),
            help: Some("set `encoding = \"utf-16\"` for this file".to_string()),
        });
    }
    if encoding != Encoding::Utf8 && bytes.starts_with(UTF8_BOM) {
        return Err(DecodeError {
            line: 1,
            message: format!("the file starts with a UTF-8 byte-order mark, but the mapping says `{declared}`"),
            help: Some("set `encoding = \"utf-8\"` for this file".to_string()),
        });
    }
    let text = match encoding {
        Encoding::Utf8 => decode_utf8(bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes))?,
        Encoding::Utf16 => decode_utf16(bytes)?,
        Encoding::Windows1252 => decode_single_byte(bytes, declared, |byte| match byte {
            0x80..=0x9F => WINDOWS_1252_C1.get(usize::from(byte - 0x80)).copied().flatten(),
            _ => Some(char::from(byte)),
        })?,
        Encoding::Latin1 => decode_single_byte(bytes, declared, |byte| Some(char::from(byte)))?,
        Encoding::Cp437 => decode_single_byte(bytes, declared, |byte| match byte {
            0x00..=0x7F => Some(char::from(byte)),
            _ => CP437_HIGH.chars().nth(usize::from(byte - 0x80)),
        })?,
    };
    if let Some(offset) = text.find('\0') {
        return Err(DecodeError {
            line: line_of(text.get(..offset).unwrap_or("")),
            message: "a NUL character: this is not a text file in the declared encoding".to_string(),
            help: Some(format!("the mapping says `{declared}`; a UTF-16 file without a byte-order mark also reads like this: check what wrote the file")),
        });
    }
    Ok(text)
}

/// The 1-based line at the end of `before`.
fn line_of(before: &str) -> u64 {
    before.bytes().filter(|b| *b == b'\n').count() as u64 + 1
}

fn decode_utf8(bytes: &[u8]) -> Result<String, DecodeError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.to_string()),
        Err(error) => {
            let valid = bytes.get(..error.valid_up_to()).unwrap_or(&[]);
            let line = valid.iter().filter(|b| **b == b'\n').count() as u64 + 1;
            let bad = bytes.get(error.valid_up_to()).copied().unwrap_or(0);
            Err(DecodeError {
                line,
                message: format!("byte 0x{bad:02X} is not UTF-8, but the mapping says `utf-8`"),
                help: Some("name the file's encoding in the mapping, e.g. `encoding = \"windows-1252\"` (Excel on Windows) or `encoding = \"cp437\"` (older DOS-era tools)".to_string()),
            })
        }
    }
}

fn decode_utf16(bytes: &[u8]) -> Result<String, DecodeError> {
    let (big_endian, body) = if let Some(body) = bytes.strip_prefix(UTF16_LE_BOM) {
        (false, body)
    } else if let Some(body) = bytes.strip_prefix(UTF16_BE_BOM) {
        (true, body)
    } else {
        return Err(DecodeError {
            line: 1,
            message: "the mapping says `utf-16`, but the file has no UTF-16 byte-order mark".to_string(),
            help: Some("the importer does not guess the byte order: save the file with a byte-order mark, or name its real encoding".to_string()),
        });
    };
    if body.len() % 2 != 0 {
        return Err(DecodeError {
            line: 1,
            message: "a UTF-16 file with an odd number of bytes".to_string(),
            help: Some("the file is cut short or is not UTF-16".to_string()),
        });
    }
    let units = body.chunks_exact(2).map(|pair| match pair {
        [a, b] if big_endian => u16::from_be_bytes([*a, *b]),
        [a, b] => u16::from_le_bytes([*a, *b]),
        _ => 0,
    });
    let mut text = String::with_capacity(body.len() / 2);
    for unit in char::decode_utf16(units) {
        match unit {
            Ok(c) => text.push(c),
            Err(error) => {
                return Err(DecodeError {
                    line: line_of(&text),
                    message: format!("an unpaired UTF-16 surrogate 0x{:04X}", error.unpaired_surrogate()),
                    help: Some("the file is damaged or is not UTF-16".to_string()),
                })
            }
        }
    }
    Ok(text)
}

fn decode_single_byte(bytes: &[u8], declared: &str, table: impl Fn(u8) -> Option<char>) -> Result<String, DecodeError> {
    let mut text = String::with_capacity(bytes.len());
    for byte in bytes {
        match table(*byte) {
            Some(c) => text.push(c),
            None => {
                return Err(DecodeError {
                    line: line_of(&text),
                    message: format!("byte 0x{byte:02X} has no character in `{declared}`"),
                    help: Some("check the file's real encoding and name it in the mapping".to_string()),
                })
            }
        }
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for (encoding, names) in Encoding::NAMES {
            for name in names {
                assert_eq!(Encoding::from_name(name), Some(encoding));
                assert_eq!(Encoding::from_name(&name.to_uppercase()), Some(encoding));
            }
            assert_eq!(Encoding::from_name(encoding.name()), Some(encoding));
        }
        assert_eq!(Encoding::from_name("ebcdic"), None);
    }

    #[test]
    fn cp437_decodes_the_superstore_bytes() {
        assert_eq!(CP437_HIGH.chars().count(), 128);
        // ü é ä à ö and the no-break space of Sample_Superstore's product names.
        let bytes = [0x81, 0x82, 0x84, 0x85, 0x94, 0xFF, b'x'];
        assert_eq!(decode(&bytes, Encoding::Cp437).unwrap(), "\u{fc}\u{e9}\u{e4}\u{e0}\u{f6}\u{a0}x");
        assert_eq!(decode(&[0xB0, 0xE1, 0x9E], Encoding::Cp437).unwrap(), "\u{2591}\u{df}\u{20a7}");
    }

    #[test]
    fn windows_1252_and_latin_1() {
        assert_eq!(decode(&[0x80, 0x93, b'a', 0x94, 0xE9], Encoding::Windows1252).unwrap(), "\u{20ac}\u{201c}a\u{201d}\u{e9}");
        let error = decode(b"a\nb\x81", Encoding::Windows1252).unwrap_err();
        assert_eq!(error.line, 2);
        assert!(error.message.contains("0x81"), "{}", error.message);
        assert_eq!(decode(&[0x80, 0xE9], Encoding::Latin1).unwrap(), "\u{80}\u{e9}");
    }

    #[test]
    fn utf8_with_and_without_bom_and_its_errors() {
        assert_eq!(decode(b"\xEF\xBB\xBFid\n", Encoding::Utf8).unwrap(), "id\n");
        assert_eq!(decode("caf\u{e9}".as_bytes(), Encoding::Utf8).unwrap(), "caf\u{e9}");
        let error = decode(b"a\r\nb\r\nc\xFF", Encoding::Utf8).unwrap_err();
        assert_eq!(error.line, 3);
        assert!(error.message.contains("0xFF"));
        assert!(error.help.unwrap().contains("cp437"));
    }

    #[test]
    fn utf16_needs_its_bom_and_byte_order_marks_are_never_ignored() {
        let le: Vec<u8> = [0xFF, 0xFE].into_iter().chain("id\n\u{e9}".encode_utf16().flat_map(u16::to_le_bytes)).collect();
        assert_eq!(decode(&le, Encoding::Utf16).unwrap(), "id\n\u{e9}");
        let be: Vec<u8> = [0xFE, 0xFF].into_iter().chain("x".encode_utf16().flat_map(u16::to_be_bytes)).collect();
        assert_eq!(decode(&be, Encoding::Utf16).unwrap(), "x");
        assert!(decode(b"ab", Encoding::Utf16).unwrap_err().message.contains("no UTF-16 byte-order mark"));
        assert!(decode(&le, Encoding::Utf8).unwrap_err().message.contains("UTF-16 byte-order mark"));
        assert!(decode(b"\xEF\xBB\xBFx", Encoding::Cp437).unwrap_err().message.contains("UTF-8 byte-order mark"));
        assert!(decode(b"a\n\0b", Encoding::Latin1).unwrap_err().message.contains("NUL"));
    }
}
