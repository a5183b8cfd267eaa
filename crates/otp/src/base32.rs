//! Base32 as RFC 4648 section 6 defines it, with the tolerance that people typing secrets need.
//!
//! Output is upper case without padding, the form key URIs use. Input is read leniently but
//! never guessed at:
//!
//! - lower case letters are read as upper case;
//! - ASCII spaces are ignored anywhere, because apps show secrets in groups of four;
//! - `=` padding is optional, but when present it must be at the end and must complete the last
//!   group to 8 characters, as RFC 4648 writes it;
//! - lengths that are not a multiple of 8 are accepted when they encode whole bytes (0, 2, 4, 5
//!   or 7 symbols after the last full group);
//! - unused low bits of the last symbol are ignored, as authenticator apps do, so a secret whose
//!   last symbol was chosen at random still imports.
//!
//! Anything else is an error naming the character and its position: other whitespace (tabs,
//! line breaks), hyphens and the digits `0`, `1`, `8` and `9` that RFC 4648 left out of the
//! alphabet on purpose. Accepting only spaces follows the specification; a tab or a hyphen is
//! more likely a copy-and-paste accident than a separator, and guessing would hide it.

use zeroize::Zeroizing;

use crate::Error;

/// Encodes bytes as upper-case Base32 without padding.
pub fn encode(bytes: &[u8]) -> String {
    data_encoding::BASE32_NOPAD.encode(bytes)
}

/// Decodes Base32 text with the tolerance described in the [module documentation](self).
///
/// The partly decoded output is zeroized if the input turns out to be invalid, because the
/// text is usually a secret.
pub fn decode(text: &str) -> Result<Vec<u8>, Error> {
    // Reserving the final size up front means the vector never reallocates, which would leave
    // an unzeroized copy of the secret's first bytes behind in freed memory.
    let mut output = Zeroizing::new(Vec::with_capacity(text.len() * 5 / 8 + 1));
    let mut buffer: u16 = 0;
    let mut buffered_bits: u32 = 0;
    let mut symbols = 0usize;
    let mut padding = 0usize;
    let mut first_padding_position: Option<usize> = None;

    for (position, character) in text.chars().enumerate() {
        if character == ' ' {
            continue;
        }
        if character == '=' {
            first_padding_position.get_or_insert(position);
            padding += 1;
            continue;
        }
        let value = symbol_value(character).ok_or(Error::InvalidBase32 {
            position,
            character,
        })?;
        if let Some(position) = first_padding_position {
            return Err(Error::MisplacedBase32Padding { position });
        }
        symbols += 1;
        buffer = (buffer << 5) | u16::from(value);
        buffered_bits += 5;
        if buffered_bits >= 8 {
            buffered_bits -= 8;
            // Truncation to the low byte is the point: the higher bits were already emitted.
            output.push((buffer >> buffered_bits) as u8);
            buffer &= (1 << buffered_bits) - 1;
        }
    }

    check_length(symbols, padding)?;
    Ok(std::mem::take(&mut *output))
}

/// Checks that the symbols form whole bytes and that padding, if any, is exactly what
/// RFC 4648 would have written.
fn check_length(symbols: usize, padding: usize) -> Result<(), Error> {
    let tail = symbols % 8;
    if matches!(tail, 1 | 3 | 6) {
        return Err(Error::InvalidBase32Length { symbols });
    }
    let expected_padding = (8 - tail) % 8;
    if padding != 0 && padding != expected_padding {
        return Err(Error::InvalidBase32Padding { symbols, padding });
    }
    Ok(())
}

/// The 5-bit value of one symbol, or `None` for a character outside the alphabet.
fn symbol_value(character: char) -> Option<u8> {
    match character {
        'A'..='Z' => Some(character as u8 - b'A'),
        'a'..='z' => Some(character as u8 - b'a'),
        '2'..='7' => Some(character as u8 - b'2' + 26),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// RFC 4648 section 10, without and with padding.
    const RFC_4648_VECTORS: &[(&str, &str, &str)] = &[
        ("", "", ""),
        ("f", "MY", "MY======"),
        ("fo", "MZXQ", "MZXQ===="),
        ("foo", "MZXW6", "MZXW6==="),
        ("foob", "MZXW6YQ", "MZXW6YQ="),
        ("fooba", "MZXW6YTB", "MZXW6YTB"),
        ("foobar", "MZXW6YTBOI", "MZXW6YTBOI======"),
    ];

    #[test]
    fn the_rfc_4648_vectors_encode_and_decode() {
        for &(plain, unpadded, padded) in RFC_4648_VECTORS {
            assert_eq!(encode(plain.as_bytes()), unpadded, "encoding {plain:?}");
            assert_eq!(
                decode(unpadded).as_deref(),
                Ok(plain.as_bytes()),
                "decoding {unpadded:?}"
            );
            assert_eq!(
                decode(padded).as_deref(),
                Ok(plain.as_bytes()),
                "decoding {padded:?}"
            );
        }
    }

    #[test]
    fn lower_case_is_read_as_upper_case() {
        assert_eq!(decode("mzxw6ytboi").unwrap(), b"foobar");
        assert_eq!(decode("MzXw6YtBoI").unwrap(), b"foobar");
    }

    #[test]
    fn spaces_are_ignored_anywhere() {
        assert_eq!(decode("MZXW 6YTB OI").unwrap(), b"foobar");
        assert_eq!(decode("  mzxw6ytb oi  ").unwrap(), b"foobar");
        assert_eq!(decode("MZXW6YTBOI ====== ").unwrap(), b"foobar");
        assert_eq!(decode("   ").unwrap(), b"");
    }

    #[test]
    fn lengths_that_are_not_a_multiple_of_eight_decode_without_padding() {
        // 2, 4, 5 and 7 symbols after the last full group encode 1, 2, 3 and 4 bytes.
        assert_eq!(decode("MZXW6YTBOI").unwrap(), b"foobar");
        assert_eq!(decode("MZXW6YTBOJXA").unwrap(), b"foobarn");
        assert_eq!(decode("MZXW6YTBOJXGK").unwrap(), b"foobarne");
        assert_eq!(decode("MZXW6YTBOJXGK4Y").unwrap(), b"foobarnes");
        assert_eq!(
            decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap().len(),
            20
        );
    }

    #[test]
    fn non_zero_unused_bits_in_the_last_symbol_are_ignored() {
        // "MY" is canonical for "f"; "MZ" and "M3" set unused low bits of the last symbol.
        assert_eq!(decode("MY").unwrap(), b"f");
        assert_eq!(decode("MZ").unwrap(), b"f");
        assert_eq!(decode("M3").unwrap(), b"f");
        assert_eq!(decode("M4").unwrap(), b"g");
    }

    #[test]
    fn characters_outside_the_alphabet_are_errors_naming_character_and_position() {
        let cases: &[(&str, usize, char)] = &[
            ("MZXW1YTB", 4, '1'),
            ("0ZXW6YTB", 0, '0'),
            ("MZXW6YT8", 7, '8'),
            ("MZXW6YT9", 7, '9'),
            ("MZ!W6YTB", 2, '!'),
            ("MZXW\t6YTB", 4, '\t'),
            ("MZXW-6YTB", 4, '-'),
            ("MZXW\n6YTB", 4, '\n'),
            ("MZ é", 3, 'é'),
        ];
        for &(text, position, character) in cases {
            assert_eq!(
                decode(text),
                Err(Error::InvalidBase32 {
                    position,
                    character
                }),
                "decoding {text:?}"
            );
        }
        let message = decode("MZXW1YTB").unwrap_err().to_string();
        assert!(
            message.contains("'1'") && message.contains("position 4"),
            "{message}"
        );
    }

    #[test]
    fn padding_followed_by_data_is_an_error() {
        assert_eq!(
            decode("MY=A"),
            Err(Error::MisplacedBase32Padding { position: 2 })
        );
        assert_eq!(
            decode("=MZXW6YTB"),
            Err(Error::MisplacedBase32Padding { position: 0 })
        );
        assert_eq!(
            decode("MZXW6YTB========MZXW6YTB"),
            Err(Error::MisplacedBase32Padding { position: 8 })
        );
    }

    #[test]
    fn padding_that_does_not_complete_the_group_is_an_error() {
        assert_eq!(
            decode("MY="),
            Err(Error::InvalidBase32Padding {
                symbols: 2,
                padding: 1
            })
        );
        assert_eq!(
            decode("MY======="),
            Err(Error::InvalidBase32Padding {
                symbols: 2,
                padding: 7
            })
        );
        assert_eq!(
            decode("MZXW6YTB========"),
            Err(Error::InvalidBase32Padding {
                symbols: 8,
                padding: 8
            })
        );
        assert!(decode("=").is_err());
    }

    #[test]
    fn lengths_that_cannot_hold_whole_bytes_are_errors() {
        for (text, symbols) in [("M", 1), ("MZX", 3), ("MZXW6Y", 6), ("MZXW6YTBO", 9)] {
            assert_eq!(
                decode(text),
                Err(Error::InvalidBase32Length { symbols }),
                "decoding {text:?}"
            );
        }
        assert_eq!(
            decode("M======="),
            Err(Error::InvalidBase32Length { symbols: 1 })
        );
    }

    proptest! {
        #[test]
        fn decoding_an_encoding_gives_back_the_bytes(
            bytes in proptest::collection::vec(any::<u8>(), 0..100),
        ) {
            let text = encode(&bytes);
            prop_assert!(!text.contains('='));
            prop_assert_eq!(text.to_ascii_uppercase(), text.clone());
            prop_assert_eq!(decode(&text).unwrap(), bytes);
        }

        #[test]
        fn lower_case_spaced_and_padded_forms_decode_to_the_same_bytes(
            bytes in proptest::collection::vec(any::<u8>(), 0..100),
            group in 1usize..9,
        ) {
            let text = encode(&bytes);
            let padded = data_encoding::BASE32.encode(&bytes);
            let spaced: String = text
                .to_ascii_lowercase()
                .chars()
                .enumerate()
                .flat_map(|(index, symbol)| {
                    let separator = (index > 0 && index % group == 0).then_some(' ');
                    separator.into_iter().chain(std::iter::once(symbol))
                })
                .collect();
            prop_assert_eq!(decode(&padded).unwrap(), bytes.clone());
            prop_assert_eq!(decode(&spaced).unwrap(), bytes);
        }
    }
}
