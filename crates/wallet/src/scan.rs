//! Reading a payment code from a picture, for a POS that is given an image file instead of a
//! scanner: QR codes with `rqrr`, Code 128 barcodes with `rxing` (a port of ZXing).
//!
//! The QR code is tried first because it carries its own error correction; the barcode only a
//! checksum. Whatever is found must be exactly 18 digits (surrounding whitespace aside) and is
//! then read with [`PaymentCode::parse`].

use std::collections::HashSet;
use std::fs::File;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

use image::{GrayImage, ImageReader, Limits};
use paycode_codec::PaymentCode;
use rxing::common::HybridBinarizer;
use rxing::{
    BarcodeFormat, BinaryBitmap, DecodeHints, Luma8LuminanceSource, MultiFormatReader, Reader,
};

use crate::limits::{MAX_IMAGE_FILE_BYTES, MAX_IMAGE_SIDE_PIXELS};
use crate::Error;

/// Longest symbol content quoted in an error, in characters.
const MAX_QUOTED_CHARACTERS: usize = 40;

/// Reads the payment code in a PNG or JPEG file: a QR code first, then a Code 128 barcode.
pub fn decode_image(path: &Path) -> Result<PaymentCode, Error> {
    let file = File::open(path).map_err(Error::io("open the image", path))?;
    let mut bytes = Vec::new();
    file.take(MAX_IMAGE_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(Error::io("read the image", path))?;
    if bytes.len() as u64 > MAX_IMAGE_FILE_BYTES {
        return Err(Error::ImageRead {
            path: path.to_owned(),
            reason: format!("it has more than {MAX_IMAGE_FILE_BYTES} bytes"),
        });
    }
    decode_bytes(&bytes, path)
}

/// Reads the payment code in a PNG or JPEG image held in memory.
pub fn decode_image_bytes(bytes: &[u8]) -> Result<PaymentCode, Error> {
    decode_bytes(bytes, Path::new("<memory>"))
}

/// Reads the payment code in a greyscale image: a QR code first, then a Code 128 barcode.
pub fn decode_gray_image(image: &GrayImage) -> Result<PaymentCode, Error> {
    decode_luma(image, Path::new("<memory>"))
}

fn decode_bytes(bytes: &[u8], path: &Path) -> Result<PaymentCode, Error> {
    let unreadable = |reason: String| Error::ImageRead {
        path: path.to_owned(),
        reason,
    };
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|error| unreadable(error.to_string()))?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE_PIXELS);
    limits.max_image_height = Some(MAX_IMAGE_SIDE_PIXELS);
    reader.limits(limits);
    let image = reader
        .decode()
        .map_err(|error| unreadable(format!("{error} (PNG and JPEG images are read)")))?;
    decode_luma(&image.to_luma8(), path)
}

fn decode_luma(image: &GrayImage, path: &Path) -> Result<PaymentCode, Error> {
    let mut first_refusal = None;
    let found = [
        ("QR code", read_qr_codes(image)),
        (
            "Code 128 barcode",
            read_barcode(image).into_iter().collect(),
        ),
    ];
    for (symbology, contents) in found {
        for content in contents {
            match parse_content(&content) {
                Ok(code) => return Ok(code),
                Err(reason) => {
                    first_refusal.get_or_insert_with(|| Error::NotAPaymentCode {
                        path: path.to_owned(),
                        symbology,
                        reason,
                    });
                }
            }
        }
    }
    Err(first_refusal.unwrap_or_else(|| Error::NoCodeInImage {
        path: PathBuf::from(path),
    }))
}

/// The contents of every QR code found in the image that decodes.
fn read_qr_codes(image: &GrayImage) -> Vec<String> {
    let mut prepared = rqrr::PreparedImage::prepare(image.clone());
    prepared
        .detect_grids()
        .into_iter()
        .filter_map(|grid| grid.decode().ok())
        .map(|(_, content)| content)
        .collect()
}

/// The content of a Code 128 barcode in the image, if one is found.
fn read_barcode(image: &GrayImage) -> Option<String> {
    let (width, height) = image.dimensions();
    let source = Luma8LuminanceSource::new(image.as_raw().clone(), width, height).ok()?;
    let mut bitmap = BinaryBitmap::new(HybridBinarizer::new(source));
    let hints = DecodeHints {
        PossibleFormats: Some(HashSet::from([BarcodeFormat::CODE_128])),
        // Look at more rows and also try the image turned by 90 degrees.
        TryHarder: Some(true),
        ..DecodeHints::default()
    };
    let result = MultiFormatReader::default()
        .decode_with_hints(&mut bitmap, &hints)
        .ok()?;
    Some(result.getText().to_owned())
}

/// Reads a symbol's content as a payment code, or says why it is not one.
fn parse_content(content: &str) -> Result<PaymentCode, String> {
    let trimmed = content.trim();
    PaymentCode::parse(trimmed).map_err(|error| {
        let quoted: String = trimmed.chars().take(MAX_QUOTED_CHARACTERS).collect();
        let ellipsis = if trimmed.chars().count() > MAX_QUOTED_CHARACTERS {
            "..."
        } else {
            ""
        };
        format!("it holds {quoted:?}{ellipsis}, and {error}")
    })
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use image::codecs::jpeg::JpegEncoder;
    use image::{ImageFormat, Luma};
    use proptest::prelude::*;
    use qrcode::QrCode;

    use super::*;
    use crate::render::{barcode_image, qr_image, write_png};

    fn any_code() -> impl Strategy<Value = PaymentCode> {
        "[0-9]{18}".prop_map(|digits| PaymentCode::parse(&digits).unwrap())
    }

    fn png_bytes(image: &GrayImage) -> Vec<u8> {
        let mut bytes = Vec::new();
        image
            .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
            .unwrap();
        bytes
    }

    fn jpeg_bytes(image: &GrayImage, quality: u8) -> Vec<u8> {
        let mut bytes = Vec::new();
        JpegEncoder::new_with_quality(&mut bytes, quality)
            .encode_image(image)
            .unwrap();
        bytes
    }

    /// The barcode alone: the QR code must not be what is read.
    fn decode_barcode_only(image: &GrayImage) -> PaymentCode {
        assert!(read_qr_codes(image).is_empty());
        decode_image_bytes(&png_bytes(image)).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]

        #[test]
        fn a_qr_png_decodes_to_the_same_digits(code in any_code()) {
            prop_assert_eq!(decode_image_bytes(&png_bytes(&qr_image(&code))).unwrap(), code);
        }

        #[test]
        fn a_barcode_png_decodes_to_the_same_digits(code in any_code()) {
            prop_assert_eq!(decode_barcode_only(&barcode_image(&code)), code);
        }

        #[test]
        fn jpeg_images_decode_to_the_same_digits(code in any_code()) {
            prop_assert_eq!(decode_image_bytes(&jpeg_bytes(&qr_image(&code), 75)).unwrap(), code);
            let barcode = jpeg_bytes(&barcode_image(&code), 75);
            prop_assert_eq!(decode_image_bytes(&barcode).unwrap(), code);
        }
    }

    #[test]
    fn written_png_files_decode_to_the_same_digits() {
        let directory = tempfile::tempdir().unwrap();
        let code = PaymentCode::parse("810000000000000001").unwrap();
        let paths = write_png(&code, &directory.path().join("code.png")).unwrap();
        assert_eq!(paths.barcode, directory.path().join("code-barcode.png"));
        assert_eq!(decode_image(&paths.qr).unwrap(), code);
        assert_eq!(decode_image(&paths.barcode).unwrap(), code);
    }

    #[test]
    fn a_barcode_in_a_larger_noisy_photo_is_still_read() {
        let code = PaymentCode::parse("819876543210987654").unwrap();
        let barcode = barcode_image(&code);
        let mut photo = GrayImage::from_pixel(1000, 500, Luma([200]));
        image::imageops::overlay(&mut photo, &barcode, 150, 180);
        for (index, pixel) in photo.pixels_mut().enumerate() {
            // Deterministic speckle of +-20 grey levels.
            let noise = (index * 7919 % 41) as i16 - 20;
            pixel.0[0] = (i16::from(pixel.0[0]) + noise).clamp(0, 255) as u8;
        }
        assert_eq!(decode_image_bytes(&jpeg_bytes(&photo, 60)).unwrap(), code);
    }

    /// Paints text as a dark terminal shows it: each character cell 2 pixels wide and 4 high
    /// (a terminal cell is about twice as high as wide), background black, blocks white.
    fn paint_dark_terminal(lines: &[&str], scale: u32) -> GrayImage {
        let columns = lines.iter().map(|line| line.chars().count()).max().unwrap();
        let (width, height) = (columns as u32 * 2, lines.len() as u32 * 4);
        let mut painted = GrayImage::from_pixel(width, height, Luma([0]));
        for (row, line) in lines.iter().enumerate() {
            for (column, character) in line.chars().enumerate() {
                // Which of the cell's 2 columns and 2 half-heights are drawn.
                let (left, right, top, bottom) = match character {
                    '█' => (true, true, true, true),
                    '▀' => (true, true, true, false),
                    '▄' => (true, true, false, true),
                    '▌' => (true, false, true, true),
                    '▐' => (false, true, true, true),
                    _ => continue,
                };
                for (dx, drawn_column) in [(0, left), (1, right)] {
                    for (dy, drawn_row) in [(0, top), (1, top), (2, bottom), (3, bottom)] {
                        if drawn_column && drawn_row {
                            let (x, y) = (column as u32 * 2 + dx, row as u32 * 4 + dy);
                            painted.put_pixel(x, y, Luma([255]));
                        }
                    }
                }
            }
        }
        image::imageops::resize(
            &painted,
            width * scale,
            height * scale,
            image::imageops::FilterType::Nearest,
        )
    }

    #[test]
    fn the_terminal_drawing_scans_as_the_same_code_on_a_dark_terminal() {
        let code = PaymentCode::parse("815555666677778888").unwrap();
        let drawing = crate::render::render_terminal(&code);
        let lines: Vec<&str> = drawing.lines().collect();
        // Lines 0..15 are the QR code, 16..20 the barcode.
        let qr = paint_dark_terminal(&lines[..15], 4);
        assert_eq!(read_qr_codes(&qr), vec![code.to_string()]);
        let barcode = paint_dark_terminal(&lines[16..20], 4);
        assert_eq!(read_barcode(&barcode), Some(code.to_string()));
    }

    /// Paints the SVG documents this crate writes: a white rectangle and one path of
    /// `M x y h w v h h-w z` rectangles.
    fn paint_svg(document: &str, scale: u32) -> GrayImage {
        let view_box = document.split("viewBox=\"0 0 ").nth(1).unwrap();
        let mut size = view_box.split('"').next().unwrap().split(' ');
        let width: u32 = size.next().unwrap().parse().unwrap();
        let height: u32 = size.next().unwrap().parse().unwrap();
        let mut painted = GrayImage::from_pixel(width * scale, height * scale, Luma([255]));
        let path = document
            .split(" d=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        for rectangle in path.split('M').filter(|part| !part.is_empty()) {
            let numbers: Vec<u32> = rectangle
                .split(|character: char| !character.is_ascii_digit())
                .filter(|number| !number.is_empty())
                .map(|number| number.parse().unwrap())
                .collect();
            let [x, y, w, h, _] = numbers[..] else {
                panic!("unexpected rectangle {rectangle}");
            };
            for row in y * scale..(y + h) * scale {
                for column in x * scale..(x + w) * scale {
                    painted.put_pixel(column, row, Luma([0]));
                }
            }
        }
        painted
    }

    #[test]
    fn svg_images_decode_to_the_same_digits_once_painted() {
        let directory = tempfile::tempdir().unwrap();
        let code = PaymentCode::parse("810123456789012345").unwrap();
        let paths = crate::render::write_svg(&code, &directory.path().join("code.svg")).unwrap();
        let qr = std::fs::read_to_string(&paths.qr).unwrap();
        let barcode = std::fs::read_to_string(&paths.barcode).unwrap();
        assert_eq!(decode_gray_image(&paint_svg(&qr, 8)).unwrap(), code);
        let barcode = paint_svg(&barcode, 4);
        assert!(read_qr_codes(&barcode).is_empty());
        assert_eq!(decode_gray_image(&barcode).unwrap(), code);
    }

    #[test]
    fn an_image_without_a_code_is_refused_clearly() {
        let blank = GrayImage::from_pixel(300, 200, Luma([255]));
        let error = decode_image_bytes(&png_bytes(&blank)).unwrap_err();
        assert!(matches!(error, Error::NoCodeInImage { .. }), "{error}");
        assert_eq!(
            error.to_string(),
            "no QR code or Code 128 barcode was found in the image <memory>"
        );
    }

    #[test]
    fn a_qr_code_that_is_not_a_payment_code_is_refused_clearly() {
        let qr = QrCode::new("https://example.com/not-a-code").unwrap();
        let image = crate::render::draw_qr(&qr);
        let error = decode_gray_image(&image).unwrap_err();
        assert!(matches!(error, Error::NotAPaymentCode { .. }), "{error}");
        let message = error.to_string();
        assert!(
            message.contains("QR code") && message.contains("18 digits"),
            "{message}"
        );
    }

    #[test]
    fn files_that_are_not_images_are_refused_clearly() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("code.png");
        std::fs::write(&path, b"not an image").unwrap();
        let error = decode_image(&path).unwrap_err();
        assert!(matches!(error, Error::ImageRead { .. }), "{error}");
        let missing = decode_image(&directory.path().join("absent.png")).unwrap_err();
        assert!(matches!(missing, Error::Io { .. }), "{missing}");
    }

    #[test]
    fn symbol_content_is_trimmed_and_must_be_exactly_18_digits() {
        assert!(parse_content(" 812345678901234567\n").is_ok());
        assert!(parse_content("8123456789012345678").is_err());
        let long = parse_content(&"x".repeat(100)).unwrap_err();
        assert!(long.contains("...") && long.len() < 200, "{long}");
    }
}
