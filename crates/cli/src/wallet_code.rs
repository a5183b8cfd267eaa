//! `paycode wallet code`: the offline code on screen, as a phone shows it at the till. It never
//! touches the network: the code comes from the device secret in the wallet file and the
//! clock alone, so it works in a basement canteen with no signal.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Result;
use clap::Args;
use paycode_codec::PaymentCode;
use paycode_otp::totp;
use paycode_wallet::{
    render_terminal_for, write_png, write_svg, ImagePaths, ShownCode, TerminalBackground,
};
use serde_json::json;

use crate::remote::print_json;
use crate::wallet_command::{OpenWallet, WalletOptions};
use crate::{unix_now, Outcome};

/// ANSI escapes that clear the screen and move the cursor to the top left corner.
const CLEAR_SCREEN: &str = "\x1b[2J\x1b[H";
/// Longest `--watch-seconds`: a day.
const MAX_WATCH_SECONDS: u64 = 86_400;

/// Flags of `paycode wallet code`.
#[derive(Debug, Args)]
pub struct CodeArguments {
    #[command(flatten)]
    options: WalletOptions,
    /// The device whose code to show (needed only when the wallet holds several).
    #[arg(long)]
    device: Option<i64>,
    /// Keep the screen up: draw a fresh code each time the step changes, until
    /// --watch-seconds pass or Ctrl-C.
    #[arg(long, conflicts_with = "json")]
    watch: bool,
    /// How long --watch keeps drawing codes, in seconds.
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=MAX_WATCH_SECONDS))]
    watch_seconds: u64,
    /// Also write the QR code as a PNG image to this file, and the barcode beside it
    /// (`<name>-barcode.png`).
    #[arg(long)]
    png: Option<PathBuf>,
    /// Also write the QR code as an SVG image to this file, and the barcode beside it
    /// (`<name>-barcode.svg`).
    #[arg(long)]
    svg: Option<PathBuf>,
    /// Draw for a terminal with a light background (dark text on white).
    #[arg(long)]
    light_background: bool,
}

pub fn run(arguments: CodeArguments) -> Result<Outcome> {
    let mut wallet = arguments.options.open_existing()?;
    if arguments.watch {
        return watch(&mut wallet, &arguments);
    }
    let shown = next_code(&mut wallet, arguments.device)?;
    let images = write_images(&shown.code, &arguments)?;
    if arguments.options.json {
        print_json(&code_json(&shown, &images));
    } else {
        print!("{}", draw(&shown.code, arguments.light_background));
        println!("{}", describe(&shown));
        print_image_paths(&images);
    }
    Ok(Outcome::Success)
}

/// Makes the next fresh code and saves the wallet file before anyone sees the code: if the
/// save fails or the process dies after it, the next run uses the next index instead of
/// showing a code that may already have paid.
fn next_code(wallet: &mut OpenWallet, device: Option<i64>) -> Result<ShownCode> {
    let shown = wallet
        .file
        .next_code(device, unix_now())
        .map_err(|error| match error {
            paycode_wallet::Error::SeveralDevices { .. } => {
                anyhow::Error::new(error).context("choose the device with --device")
            }
            other => other.into(),
        })?;
    wallet.save()?;
    Ok(shown)
}

/// The images asked for with --png and --svg.
fn write_images(
    code: &PaymentCode,
    arguments: &CodeArguments,
) -> Result<Vec<(&'static str, ImagePaths)>> {
    let mut written = Vec::new();
    if let Some(path) = &arguments.png {
        written.push(("png", write_png(code, path)?));
    }
    if let Some(path) = &arguments.svg {
        written.push(("svg", write_svg(code, path)?));
    }
    Ok(written)
}

/// The QR code, the barcode and the grouped digits, drawn for the terminal.
pub fn draw(code: &PaymentCode, light_background: bool) -> String {
    let background = if light_background {
        TerminalBackground::Light
    } else {
        TerminalBackground::Dark
    };
    render_terminal_for(code, background)
}

fn describe(shown: &ShownCode) -> String {
    format!(
        "offline code {} of this step from device {}; {} s left in the step",
        shown.index + 1,
        shown.device_id,
        shown.seconds_left
    )
}

fn print_image_paths(images: &[(&'static str, ImagePaths)]) {
    for (_, paths) in images {
        println!(
            "QR code written to {}, barcode to {}",
            paths.qr.display(),
            paths.barcode.display()
        );
    }
}

fn code_json(shown: &ShownCode, images: &[(&'static str, ImagePaths)]) -> serde_json::Value {
    let mut object = json!({
        "code": shown.code.to_string(),
        "seconds_left": shown.seconds_left,
        "step": shown.step,
        "index": shown.index,
        "device_id": shown.device_id,
    });
    for (format, paths) in images {
        object[*format] = json!({
            "qr": paths.qr.display().to_string(),
            "barcode": paths.barcode.display().to_string(),
        });
    }
    object
}

/// Redraws a fresh code at each new step and counts down the seconds in between, until the
/// time is up. Ctrl-C ends it at once, which is safe: each code was saved before it was drawn.
fn watch(wallet: &mut OpenWallet, arguments: &CodeArguments) -> Result<Outcome> {
    let end = Instant::now() + Duration::from_secs(arguments.watch_seconds);
    let mut stdout = std::io::stdout();
    loop {
        let shown = next_code(wallet, arguments.device)?;
        let images = write_images(&shown.code, arguments)?;
        print!(
            "{CLEAR_SCREEN}{}",
            draw(&shown.code, arguments.light_background)
        );
        print_image_paths(&images);
        let period_seconds = wallet
            .file
            .device(shown.device_id)
            .map(|device| device.params().period_seconds)
            .expect("the device that made the code is in the wallet");
        loop {
            if Instant::now() >= end {
                println!();
                return Ok(Outcome::Success);
            }
            let now = unix_now();
            if totp::step(now, period_seconds) != shown.step {
                break;
            }
            print!(
                "\rdevice {} · code {} of this step · {:>4} s left (Ctrl-C stops) ",
                shown.device_id,
                shown.index + 1,
                totp::seconds_left(now, period_seconds)
            );
            stdout.flush()?;
            sleep_to_next_second();
        }
    }
}

/// Sleeps until the wall clock's next whole second, when the countdown changes.
fn sleep_to_next_second() {
    let into_second = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.subsec_nanos())
        .unwrap_or(0);
    let rest = Duration::from_secs(1) - Duration::from_nanos(u64::from(into_second));
    // A few milliseconds more, so that the clock is surely past the boundary when read.
    std::thread::sleep(rest + Duration::from_millis(5));
}
