//! Drawing a payment code as a QR code and a Code 128 barcode: for a terminal, as PNG images
//! and as SVG images.
//!
//! Both symbols hold exactly the 18 digits, nothing else, so any scanner that reads digits can
//! pass them on as an `auth_code`. The QR code uses error correction level Q (25 % of it may
//! be damaged) and still fits version 1, 21 by 21 modules. The barcode uses Code 128 character
//! set C, which packs two digits into each symbol: 9 symbols between start, checksum and stop,
//! 134 modules wide, about half the width of set B.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use barcoders::sym::code128::Code128;
use image::{GrayImage, ImageFormat, Luma};
use paycode_codec::PaymentCode;
use qrcode::render::unicode::Dense1x2;
use qrcode::{Color, EcLevel, QrCode};

use crate::limits::{
    BARCODE_HEIGHT_PIXELS, BARCODE_MODULE_PIXELS, BARCODE_QUIET_ZONE_MODULES, QR_MODULE_PIXELS,
    QR_QUIET_ZONE_MODULES, TERMINAL_BARCODE_LINES,
};
use crate::Error;

const BLACK: Luma<u8> = Luma([0]);
const WHITE: Luma<u8> = Luma([255]);

/// The colour of the terminal a code is drawn in.
///
/// Terminal characters can only draw in the foreground colour; the background shows through
/// the rest. Scanners expect dark modules on a light background, so on a dark terminal the
/// light modules (and the quiet zone around the symbol) are the ones drawn with `█`, and the
/// dark modules are left as background. On a light terminal it is the other way round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TerminalBackground {
    /// Light text on a dark background, the default of most terminals.
    #[default]
    Dark,
    /// Dark text on a light background.
    Light,
}

/// Where [`write_png`] and [`write_svg`] wrote the two images.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImagePaths {
    /// The QR code: the path that was asked for.
    pub qr: PathBuf,
    /// The barcode: a sibling named `<stem>-barcode.<extension>`.
    pub barcode: PathBuf,
}

/// The 18 digits grouped for reading aloud or typing: `81 2345 6789 0123 4567` (the prefix,
/// then four groups of four).
pub fn grouped_digits(code: &PaymentCode) -> String {
    let digits = code.to_string();
    let (prefix, payload) = digits.split_at(2);
    let mut grouped = prefix.to_owned();
    for group in payload.as_bytes().chunks(4) {
        grouped.push(' ');
        grouped.push_str(std::str::from_utf8(group).expect("digits are ASCII"));
    }
    grouped
}

/// Draws the code for a terminal with a dark background: see [`render_terminal_for`].
pub fn render_terminal(code: &PaymentCode) -> String {
    render_terminal_for(code, TerminalBackground::Dark)
}

/// Draws the code for a terminal: the QR code in Unicode half blocks (two modules per
/// character cell, quiet zone included), the barcode below it in half blocks too (two modules
/// per cell, so that its 154 modules with quiet zones fit 77 columns), and the digits grouped
/// for reading. The output uses only `█▀▄▌▐`, spaces, digits and newlines, and ends with a
/// newline.
pub fn render_terminal_for(code: &PaymentCode, background: TerminalBackground) -> String {
    // Which colour the foreground (the drawn block) stands for.
    let (dark_module, light_module) = match background {
        TerminalBackground::Dark => (Dense1x2::Light, Dense1x2::Dark),
        TerminalBackground::Light => (Dense1x2::Dark, Dense1x2::Light),
    };
    let qr = qr_code(code)
        .render::<Dense1x2>()
        .quiet_zone(true)
        .module_dimensions(1, 1)
        .dark_color(dark_module)
        .light_color(light_module)
        .build();
    let mut output = qr;
    output.push_str("\n\n");

    let modules = barcode_modules_with_quiet_zone(code);
    let draw_dark = background == TerminalBackground::Light;
    let bars: String = modules
        .chunks(2)
        .map(|pair| {
            let drawn = |module: Option<&bool>| module.is_some_and(|&dark| dark == draw_dark);
            match (drawn(pair.first()), drawn(pair.get(1))) {
                (true, true) => '█',
                (true, false) => '▌',
                (false, true) => '▐',
                (false, false) => ' ',
            }
        })
        .collect();
    for _ in 0..TERMINAL_BARCODE_LINES {
        output.push_str(&bars);
        output.push('\n');
    }
    let digits = grouped_digits(code);
    let indent = bars.chars().count().saturating_sub(digits.len()) / 2;
    let _ = writeln!(output, "{:indent$}{digits}", "");
    output
}

/// The QR code as a greyscale image: black modules of [`QR_MODULE_PIXELS`] pixels on white,
/// with a quiet zone of [`QR_QUIET_ZONE_MODULES`] modules.
pub fn qr_image(code: &PaymentCode) -> GrayImage {
    draw_qr(&qr_code(code))
}

pub(crate) fn draw_qr(qr: &QrCode) -> GrayImage {
    let modules = u32::try_from(qr.width()).expect("a QR code is at most 177 modules wide");
    let colors = qr.to_colors();
    let side = (modules + 2 * QR_QUIET_ZONE_MODULES) * QR_MODULE_PIXELS;
    let mut image = GrayImage::from_pixel(side, side, WHITE);
    for (index, color) in colors.iter().enumerate() {
        if *color == Color::Dark {
            let index = u32::try_from(index).expect("a QR code has few modules");
            let x = (index % modules + QR_QUIET_ZONE_MODULES) * QR_MODULE_PIXELS;
            let y = (index / modules + QR_QUIET_ZONE_MODULES) * QR_MODULE_PIXELS;
            fill(&mut image, x, y, QR_MODULE_PIXELS, QR_MODULE_PIXELS);
        }
    }
    image
}

/// The Code 128 barcode as a greyscale image: bars [`BARCODE_MODULE_PIXELS`] pixels per
/// module and [`BARCODE_HEIGHT_PIXELS`] high, with quiet zones of
/// [`BARCODE_QUIET_ZONE_MODULES`] modules on both sides.
pub fn barcode_image(code: &PaymentCode) -> GrayImage {
    let modules = barcode_modules_with_quiet_zone(code);
    let width = u32::try_from(modules.len()).expect("a barcode has few modules");
    let mut image =
        GrayImage::from_pixel(width * BARCODE_MODULE_PIXELS, BARCODE_HEIGHT_PIXELS, WHITE);
    for (x, _) in modules.iter().enumerate().filter(|(_, &dark)| dark) {
        let x = u32::try_from(x).expect("a barcode has few modules") * BARCODE_MODULE_PIXELS;
        fill(
            &mut image,
            x,
            0,
            BARCODE_MODULE_PIXELS,
            BARCODE_HEIGHT_PIXELS,
        );
    }
    image
}

/// The QR code as an SVG document, at the same size as [`qr_image`].
pub fn qr_svg(code: &PaymentCode) -> String {
    let qr = qr_code(code);
    let modules = qr.width();
    let quiet = QR_QUIET_ZONE_MODULES as usize;
    let side = modules + 2 * quiet;
    let mut path = String::new();
    for (index, color) in qr.to_colors().iter().enumerate() {
        if *color == Color::Dark {
            let (x, y) = (index % modules + quiet, index / modules + quiet);
            let _ = write!(path, "M{x} {y}h1v1h-1z");
        }
    }
    svg_document(side, side, QR_MODULE_PIXELS as usize, &path)
}

/// The barcode as an SVG document, at the same size as [`barcode_image`].
pub fn barcode_svg(code: &PaymentCode) -> String {
    let modules = barcode_modules_with_quiet_zone(code);
    let height = (BARCODE_HEIGHT_PIXELS / BARCODE_MODULE_PIXELS) as usize;
    let mut path = String::new();
    let mut x = 0;
    // One rectangle per bar, however many modules wide it is.
    for run in modules.chunk_by(|a, b| a == b) {
        if run[0] {
            let _ = write!(path, "M{x} 0h{}v{height}h-{}z", run.len(), run.len());
        }
        x += run.len();
    }
    svg_document(modules.len(), height, BARCODE_MODULE_PIXELS as usize, &path)
}

/// Writes the QR code as PNG to `path` and the barcode as PNG to the sibling
/// `<stem>-barcode.png` (see [`barcode_path`]), and returns both paths.
///
/// Two images rather than one keep each symbol alone in its picture, which is what scanners
/// and decoders cope with best.
pub fn write_png(code: &PaymentCode, path: &Path) -> Result<ImagePaths, Error> {
    let paths = ImagePaths {
        qr: path.to_owned(),
        barcode: barcode_path(path, "png"),
    };
    for (image, path) in [
        (qr_image(code), &paths.qr),
        (barcode_image(code), &paths.barcode),
    ] {
        image
            .save_with_format(path, ImageFormat::Png)
            .map_err(|error| Error::ImageWrite {
                path: path.clone(),
                reason: error.to_string(),
            })?;
    }
    Ok(paths)
}

/// Writes the QR code as SVG to `path` and the barcode as SVG to the sibling
/// `<stem>-barcode.svg`, and returns both paths.
pub fn write_svg(code: &PaymentCode, path: &Path) -> Result<ImagePaths, Error> {
    let paths = ImagePaths {
        qr: path.to_owned(),
        barcode: barcode_path(path, "svg"),
    };
    for (document, path) in [
        (qr_svg(code), &paths.qr),
        (barcode_svg(code), &paths.barcode),
    ] {
        std::fs::write(path, document).map_err(|error| Error::ImageWrite {
            path: path.clone(),
            reason: error.to_string(),
        })?;
    }
    Ok(paths)
}

/// The sibling of `path` that holds the barcode: `code.png` → `code-barcode.png`. A path
/// without an extension gets `default_extension`.
pub fn barcode_path(path: &Path, default_extension: &str) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default();
    let extension = path
        .extension()
        .map(|extension| extension.to_string_lossy().into_owned())
        .unwrap_or_else(|| default_extension.to_owned());
    path.with_file_name(format!("{stem}-barcode.{extension}"))
}

fn qr_code(code: &PaymentCode) -> QrCode {
    QrCode::with_error_correction_level(code.to_string(), EcLevel::Q)
        .expect("18 digits fit a version 1 QR code at level Q")
}

/// The barcode's modules, `true` for dark, with the quiet zone on both sides.
fn barcode_modules_with_quiet_zone(code: &PaymentCode) -> Vec<bool> {
    // `Ć` selects character set C, in which each pair of digits is one symbol.
    let barcode = Code128::new(format!("Ć{code}")).expect("18 digits are valid in set C");
    let quiet = vec![false; BARCODE_QUIET_ZONE_MODULES as usize];
    let mut modules = quiet.clone();
    modules.extend(barcode.encode().into_iter().map(|module| module == 1));
    modules.extend(quiet);
    modules
}

fn fill(image: &mut GrayImage, x: u32, y: u32, width: u32, height: u32) {
    for row in y..y + height {
        for column in x..x + width {
            image.put_pixel(column, row, BLACK);
        }
    }
}

fn svg_document(width: usize, height: usize, scale: usize, path: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{}\" height=\"{}\" \
         viewBox=\"0 0 {width} {height}\" shape-rendering=\"crispEdges\">\n\
         <rect width=\"{width}\" height=\"{height}\" fill=\"#fff\"/>\n\
         <path fill=\"#000\" d=\"{path}\"/>\n\
         </svg>\n",
        width * scale,
        height * scale
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code() -> PaymentCode {
        PaymentCode::parse("812345678901234567").unwrap()
    }

    #[test]
    fn digits_are_grouped_after_the_prefix_in_fours() {
        assert_eq!(grouped_digits(&code()), "81 2345 6789 0123 4567");
    }

    #[test]
    fn the_terminal_drawing_holds_the_digits_and_only_block_characters() {
        for background in [TerminalBackground::Dark, TerminalBackground::Light] {
            let drawing = render_terminal_for(&code(), background);
            assert!(drawing.contains("81 2345 6789 0123 4567"), "{drawing}");
            assert!(drawing.ends_with('\n'));
            let unexpected: Vec<char> = drawing
                .chars()
                .filter(|character| !" █▀▄▌▐\n0123456789".contains(*character))
                .collect();
            assert!(unexpected.is_empty(), "unexpected {unexpected:?}");
            // Version 1 with its quiet zone is 29 modules: 29 columns, 15 lines.
            let lines: Vec<&str> = drawing.lines().collect();
            assert_eq!(lines[0].chars().count(), 29);
            assert_eq!(lines[15], "");
            // 134 barcode modules and two quiet zones of 10, two modules per column.
            assert_eq!(lines[16].chars().count(), 77);
            assert!(drawing.lines().all(|line| line.chars().count() <= 80));
        }
    }

    #[test]
    fn on_a_dark_terminal_the_quiet_zones_are_drawn_and_on_a_light_one_they_are_not() {
        let dark = render_terminal(&code());
        let first_line = dark.lines().next().unwrap();
        assert!(
            first_line.chars().all(|character| character == '█'),
            "{first_line}"
        );
        let barcode_line = dark.lines().nth(16).unwrap();
        assert!(barcode_line.starts_with("█████"), "{barcode_line}");

        let light = render_terminal_for(&code(), TerminalBackground::Light);
        let first_line = light.lines().next().unwrap();
        assert!(
            first_line.chars().all(|character| character == ' '),
            "{first_line}"
        );
    }

    #[test]
    fn images_have_large_modules_and_quiet_zones() {
        let qr = qr_image(&code());
        assert_eq!(qr.dimensions(), (29 * 8, 29 * 8));
        // The quiet zone is white, the top-left finder pattern black.
        assert_eq!(qr.get_pixel(31, 31), &WHITE);
        assert_eq!(qr.get_pixel(32, 32), &BLACK);

        let barcode = barcode_image(&code());
        assert_eq!(barcode.dimensions(), (154 * 4, 120));
        assert_eq!(barcode.get_pixel(39, 60), &WHITE);
        assert_eq!(barcode.get_pixel(40, 60), &BLACK);
    }

    #[test]
    fn the_barcode_uses_character_set_c() {
        let modules = barcode_modules_with_quiet_zone(&code());
        // Start C is 11010011100.
        let start: Vec<bool> = "11010011100".chars().map(|bit| bit == '1').collect();
        assert_eq!(&modules[10..21], start.as_slice());
        assert_eq!(modules.len(), 10 + 11 + 9 * 11 + 11 + 13 + 10);
    }

    #[test]
    fn svg_images_draw_the_same_modules_as_the_png_images() {
        let qr = qr_svg(&code());
        assert!(qr.starts_with("<?xml") && qr.trim_end().ends_with("</svg>"));
        assert!(qr.contains("width=\"232\"") && qr.contains("viewBox=\"0 0 29 29\""));
        let dark_modules = qr_code(&code())
            .to_colors()
            .into_iter()
            .filter(|color| *color == Color::Dark)
            .count();
        assert_eq!(qr.matches('M').count(), dark_modules);

        let barcode = barcode_svg(&code());
        assert!(barcode.contains("viewBox=\"0 0 154 30\""));
        // Code 128 has 3 bars per symbol and 4 in the stop pattern: 11 symbols and a stop.
        assert_eq!(barcode.matches('M').count(), 11 * 3 + 4);
    }

    #[test]
    fn the_barcode_image_sits_beside_the_qr_image() {
        assert_eq!(
            barcode_path(Path::new("/tmp/code.png"), "png"),
            Path::new("/tmp/code-barcode.png")
        );
        assert_eq!(
            barcode_path(Path::new("code"), "svg"),
            Path::new("code-barcode.svg")
        );
    }
}
