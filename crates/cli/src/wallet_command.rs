//! `paycode wallet`.

use anyhow::Result;
use clap::Subcommand;

use crate::Outcome;

#[derive(Debug, Subcommand)]
pub enum WalletCommand {}

pub fn run(command: WalletCommand) -> Result<Outcome> {
    match command {}
}
