//! `paycode demo`: the whole story in one command.

use anyhow::Result;

use crate::Outcome;

pub fn run() -> Result<Outcome> {
    anyhow::bail!("the demo is not written yet")
}
