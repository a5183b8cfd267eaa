//! `paycode keys`: maintenance of the master key file of a stopped deployment.

use anyhow::Result;
use clap::Subcommand;
use paycode_server::ServeOptions;

use crate::serve_command::ServeArguments;
use crate::Outcome;

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Add a new master key, make it current and re-encrypt every device secret and sealed
    /// setting under it. Stop every server first; copy the key file to every instance after.
    Rotate(ServeArguments),
}

pub fn run(command: KeysCommand) -> Result<Outcome> {
    match command {
        KeysCommand::Rotate(arguments) => {
            let options: ServeOptions = arguments.into_options()?;
            let resealed = paycode_server::rotate_master_key(&options)?;
            println!(
                "added a new current master key to {}; re-encrypted {resealed} secrets",
                options
                    .data_dir
                    .join(paycode_server::MASTER_KEY_FILE)
                    .display()
            );
            Ok(Outcome::Success)
        }
    }
}
