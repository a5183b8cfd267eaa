//! `paycode admin`.

use anyhow::Result;
use clap::Subcommand;

use crate::Outcome;

#[derive(Debug, Subcommand)]
pub enum AdminCommand {}

pub fn run(command: AdminCommand) -> Result<Outcome> {
    match command {}
}
