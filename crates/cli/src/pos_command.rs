//! `paycode pos`.

use anyhow::Result;
use clap::Subcommand;

use crate::Outcome;

#[derive(Debug, Subcommand)]
pub enum PosCommand {}

pub fn run(command: PosCommand) -> Result<Outcome> {
    match command {}
}
