//! `paycode wallet`: the phone's part (SPEC section 4, wallet). It logs in, enrolls devices
//! into a wallet file, shows offline codes with no network (see [`crate::wallet_code`]), and
//! confirms payments that need the PIN.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use paycode_api::{Device, DeviceProvisioning, Trade, TradeList};
use paycode_client::{Client, ClientError, Proof};
use paycode_codec::PaymentCode;
use paycode_wallet::{format_amount, DeviceEntry, Session, WalletFile};
use serde::Serialize;
use serde_json::json;

use crate::display::{device_status, money, trade_lines, MINOR_DIGITS};
use crate::prompt::{can_prompt, flag_or_prompt};
use crate::remote::{self, print_json};
use crate::wallet_code::{self, CodeArguments};
use crate::Outcome;

/// What to fix when the server does not accept the wallet's session.
const UNAUTHENTICATED_HINT: &str =
    "the session expired or was revoked: run `paycode wallet login` again";

/// Largest page of `wallet transactions`, as the server allows.
const MAX_TRANSACTIONS_PAGE: u32 = 100;

/// Where the wallet file and the server are, shared by every `paycode wallet` command.
#[derive(Debug, Args)]
pub struct WalletOptions {
    /// Base URL of the paycode server (default: the one the wallet logged in to).
    #[arg(long, env = "PAYCODE_SERVER")]
    server: Option<String>,
    /// The wallet file (default: paycode/wallet.json in the user's configuration directory).
    #[arg(long, env = "PAYCODE_WALLET")]
    wallet_file: Option<PathBuf>,
    /// Passphrase of the wallet file. Given to an unencrypted wallet, it encrypts the file
    /// (Argon2id and AES-256-GCM) when the command saves it.
    #[arg(long, env = "PAYCODE_WALLET_PASSPHRASE", hide_env_values = true)]
    passphrase: Option<String>,
    /// Print one JSON object on stdout instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum WalletCommand {
    /// Log in, and keep the session, server and username in the wallet file.
    Login {
        #[command(flatten)]
        options: WalletOptions,
        /// The login name.
        #[arg(long)]
        username: String,
        /// The password (prompted for when missing on a terminal).
        #[arg(long)]
        password: Option<String>,
    },
    /// Enroll this wallet as a new device and store its secret in the wallet file.
    Enroll {
        #[command(flatten)]
        options: WalletOptions,
        /// A name to recognise the device by, such as "phone".
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        proof: ProofArgs,
    },
    /// List the user's devices; `*` marks those in this wallet file.
    Devices {
        #[command(flatten)]
        options: WalletOptions,
    },
    /// Revoke a device: its codes never pay again.
    Revoke {
        #[command(flatten)]
        options: WalletOptions,
        /// The device's id.
        device_id: i64,
    },
    /// Give a device a new secret (for example after the wallet file was copied somewhere).
    Rotate {
        #[command(flatten)]
        options: WalletOptions,
        /// The device's id.
        device_id: i64,
        #[command(flatten)]
        proof: ProofArgs,
    },
    /// Show the balance.
    Balance {
        #[command(flatten)]
        options: WalletOptions,
    },
    /// Show the history of the balance, newest first.
    Transactions {
        #[command(flatten)]
        options: WalletOptions,
        /// Entries per page, 1 to 100 (default: the server's, 20).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_TRANSACTIONS_PAGE)))]
        limit: Option<u32>,
        /// Only entries older than this transaction id (the `next_before` of the last page).
        #[arg(long)]
        before: Option<i64>,
    },
    /// List the payments waiting for the PIN.
    Pending {
        #[command(flatten)]
        options: WalletOptions,
    },
    /// Pay a payment that waits for the PIN.
    Confirm {
        #[command(flatten)]
        options: WalletOptions,
        /// The trade number shown by `wallet pending`.
        trade_no: String,
        /// The PIN (prompted for when missing on a terminal).
        #[arg(long)]
        pin: Option<String>,
    },
    /// Refuse a payment that waits for the PIN.
    Decline {
        #[command(flatten)]
        options: WalletOptions,
        /// The trade number shown by `wallet pending`.
        trade_no: String,
    },
    /// Set or change the PIN that confirms large payments.
    SetPin {
        #[command(flatten)]
        options: WalletOptions,
        /// The new PIN, 6 to 12 digits (prompted for when missing on a terminal).
        #[arg(long)]
        pin: Option<String>,
        /// The PIN in force, needed to change it (prompted for when needed on a terminal).
        #[arg(long)]
        current_pin: Option<String>,
    },
    /// Ask the server for an online code (needs the network, unlike `code`).
    OnlineCode {
        #[command(flatten)]
        options: WalletOptions,
        /// Tie the code to this device.
        #[arg(long)]
        device: Option<i64>,
    },
    /// Show an offline payment code as digits, QR code and barcode; works with no network.
    Code(CodeArguments),
}

pub fn run(command: WalletCommand) -> Result<Outcome> {
    match command {
        WalletCommand::Code(arguments) => wallet_code::run(arguments),
        WalletCommand::Login {
            options,
            username,
            password,
        } => login(&options, &username, password),
        WalletCommand::Enroll {
            options,
            name,
            proof,
        } => enroll(&options, name.as_deref(), proof),
        WalletCommand::Devices { options } => devices(&options),
        WalletCommand::Revoke { options, device_id } => revoke(&options, device_id),
        WalletCommand::Rotate {
            options,
            device_id,
            proof,
        } => rotate(&options, device_id, proof),
        WalletCommand::Balance { options } => {
            let wallet = options.open_existing()?;
            let result = wallet.call(|client| async move { client.balance().await })?;
            finish(result, &options, |balance| {
                println!("{}", money(balance.balance, &balance.currency));
            })
        }
        WalletCommand::Transactions {
            options,
            limit,
            before,
        } => transactions(&options, limit, before),
        WalletCommand::Pending { options } => pending(&options),
        WalletCommand::Confirm {
            options,
            trade_no,
            pin,
        } => {
            let wallet = options.open_existing()?;
            let pin = flag_or_prompt(pin, "--pin", "PIN")?;
            let result = wallet
                .call(|client| async move { client.confirm_payment(&trade_no, &pin).await })?;
            finish(result, &options, |trade| println!("{}", trade_lines(trade)))
        }
        WalletCommand::Decline { options, trade_no } => {
            let wallet = options.open_existing()?;
            let result =
                wallet.call(|client| async move { client.decline_payment(&trade_no).await })?;
            finish(result, &options, |trade| println!("{}", trade_lines(trade)))
        }
        WalletCommand::SetPin {
            options,
            pin,
            current_pin,
        } => set_pin(&options, pin, current_pin),
        WalletCommand::OnlineCode { options, device } => online_code(&options, device),
    }
}

/// A wallet file read from disk, with what is needed to save it back the same way.
pub struct OpenWallet {
    /// The wallet's content.
    pub file: WalletFile,
    path: PathBuf,
    passphrase: Option<String>,
    server_flag: Option<String>,
    /// True when a passphrase was given for a file stored unencrypted: saving encrypts it.
    encrypts_on_save: bool,
}

impl WalletOptions {
    fn path(&self) -> Result<PathBuf> {
        match &self.wallet_file {
            Some(path) => Ok(path.clone()),
            None => Ok(WalletFile::default_path()?),
        }
    }

    /// Opens the wallet file, which must exist.
    pub fn open_existing(&self) -> Result<OpenWallet> {
        let path = self.path()?;
        if !path.exists() {
            bail!(
                "there is no wallet file at {}: run `paycode wallet login` first, \
                 or give --wallet-file",
                path.display()
            );
        }
        self.open_at(path)
    }

    /// Opens the wallet file, or starts an empty wallet if there is none yet.
    fn open_or_create(&self) -> Result<OpenWallet> {
        let path = self.path()?;
        if path.exists() {
            return self.open_at(path);
        }
        Ok(OpenWallet {
            file: WalletFile::new(None, None),
            path,
            passphrase: self.passphrase.clone(),
            server_flag: self.server.clone(),
            encrypts_on_save: false,
        })
    }

    fn open_at(&self, path: PathBuf) -> Result<OpenWallet> {
        let encrypted = WalletFile::is_encrypted(&path)?;
        let passphrase = match &self.passphrase {
            Some(passphrase) => Some(passphrase.clone()),
            None if encrypted && can_prompt() => Some(flag_or_prompt(
                None,
                "--passphrase",
                "passphrase of the wallet file",
            )?),
            None if encrypted => bail!(
                "the wallet file {} is encrypted: give its passphrase with --passphrase \
                 or PAYCODE_WALLET_PASSPHRASE",
                path.display()
            ),
            None => None,
        };
        let file = WalletFile::load(&path, passphrase.as_deref())?;
        Ok(OpenWallet {
            file,
            encrypts_on_save: passphrase.is_some() && !encrypted,
            path,
            passphrase,
            server_flag: self.server.clone(),
        })
    }
}

impl OpenWallet {
    /// Writes the wallet file back: atomically, mode 0600, encrypted if a passphrase is known.
    pub fn save(&mut self) -> Result<()> {
        self.file.save(&self.path, self.passphrase.as_deref())?;
        if std::mem::take(&mut self.encrypts_on_save) {
            eprintln!(
                "paycode: the wallet file {} is now encrypted with the passphrase",
                self.path.display()
            );
        }
        Ok(())
    }

    fn path(&self) -> &Path {
        &self.path
    }

    /// The server: the --server flag, or the one the wallet logged in to.
    fn server(&self) -> Result<&str> {
        self.server_flag
            .as_deref()
            .or(self.file.server_url.as_deref())
            .context("no server: give --server URL or PAYCODE_SERVER")
    }

    /// A client of the server with the wallet's session.
    fn client(&self) -> Result<Client> {
        let session = self
            .file
            .session()
            .context("the wallet is not logged in: run `paycode wallet login` first")?;
        remote::client(self.server()?, session.token())
    }

    /// Makes one call with the wallet's session on a runtime of its own.
    fn call<T, F, Fut>(&self, call: F) -> Result<Result<T, ClientError>>
    where
        F: FnOnce(Client) -> Fut,
        Fut: std::future::Future<Output = Result<T, ClientError>>,
    {
        let client = self.client()?;
        Ok(remote::runtime()?.block_on(call(client)))
    }
}

fn finish<T: Serialize>(
    result: Result<T, ClientError>,
    options: &WalletOptions,
    show: impl FnOnce(&T),
) -> Result<Outcome> {
    remote::finish(result, options.json, UNAUTHENTICATED_HINT, show)
}

fn refused(error: ClientError, options: &WalletOptions) -> Result<Outcome> {
    Ok(remote::classify(error, UNAUTHENTICATED_HINT)?.report(options.json))
}

fn login(options: &WalletOptions, username: &str, password: Option<String>) -> Result<Outcome> {
    let mut wallet = options.open_or_create()?;
    if let Some(owner) = wallet.file.username.as_deref() {
        if owner != username && !wallet.file.devices().is_empty() {
            bail!(
                "the wallet file {} holds devices of {owner}; give another --wallet-file \
                 for {username}",
                wallet.path().display()
            );
        }
    }
    let server = wallet.server()?.to_owned();
    let password = flag_or_prompt(password, "--password", "password")?;
    let client = paycode_client::Client::new(&server)
        .with_context(|| format!("invalid server URL {server:?}"))?;
    let session = match remote::runtime()?.block_on(client.login(username, &password)) {
        Ok(session) => session,
        Err(error) => return refused(error, options),
    };
    wallet.file.server_url = Some(server.clone());
    wallet.file.username = Some(username.to_owned());
    wallet.file.set_session(Some(Session::new(
        session.token,
        Some(session.expires_at.clone()),
    )));
    wallet.save()?;
    if options.json {
        print_json(&json!({
            "username": username,
            "server": server,
            "expires_at": session.expires_at,
            "wallet_file": wallet.path().display().to_string(),
        }));
    } else {
        println!(
            "logged in as {username} at {server}; the session lasts until {} and is kept in {}",
            session.expires_at,
            wallet.path().display()
        );
    }
    Ok(Outcome::Success)
}

/// How the user proves who they are when enrolling or rotating a device: the PIN, or the
/// password while no PIN is set (the server refuses a session alone).
#[derive(Debug, clap::Args)]
pub struct ProofArgs {
    /// The user's PIN.
    #[arg(long, conflicts_with = "password")]
    pin: Option<String>,
    /// The user's password, while no PIN is set.
    #[arg(long)]
    password: Option<String>,
}

impl ProofArgs {
    /// The PIN or password given, or typed at a prompt: six to twelve digits are taken as the
    /// PIN, anything else as the password.
    fn resolve(self) -> Result<(Option<String>, Option<String>)> {
        match (self.pin, self.password) {
            (Some(pin), _) => Ok((Some(pin), None)),
            (None, Some(password)) => Ok((None, Some(password))),
            (None, None) => {
                let typed = flag_or_prompt(
                    None,
                    "--pin or --password",
                    "PIN (or password while no PIN is set)",
                )?;
                let is_pin = (6..=12).contains(&typed.len())
                    && typed.bytes().all(|byte| byte.is_ascii_digit());
                Ok(if is_pin {
                    (Some(typed), None)
                } else {
                    (None, Some(typed))
                })
            }
        }
    }
}

fn proof<'a>(pin: &'a Option<String>, password: &'a Option<String>) -> Proof<'a> {
    match (pin, password) {
        (Some(pin), _) => Proof::Pin(pin),
        (None, password) => Proof::Password(password.as_deref().unwrap_or_default()),
    }
}

fn enroll(options: &WalletOptions, name: Option<&str>, proof_args: ProofArgs) -> Result<Outcome> {
    let mut wallet = options.open_existing()?;
    let name = name.map(str::to_owned);
    let (pin, password) = proof_args.resolve()?;
    let provisioning = match wallet.call(|client| async move {
        client
            .enroll_device(name.as_deref(), proof(&pin, &password))
            .await
    })? {
        Ok(provisioning) => provisioning,
        Err(error) => return refused(error, options),
    };
    store_device(&mut wallet, &provisioning)?;
    show_device_stored(&wallet, &provisioning, options, "enrolled");
    Ok(Outcome::Success)
}

fn rotate(options: &WalletOptions, device_id: i64, proof_args: ProofArgs) -> Result<Outcome> {
    let mut wallet = options.open_existing()?;
    let (pin, password) = proof_args.resolve()?;
    let provisioning = match wallet.call(|client| async move {
        client
            .rotate_device(device_id, proof(&pin, &password))
            .await
    })? {
        Ok(provisioning) => provisioning,
        Err(error) => return refused(error, options),
    };
    store_device(&mut wallet, &provisioning)?;
    show_device_stored(&wallet, &provisioning, options, "rotated the secret of");
    Ok(Outcome::Success)
}

/// Puts the provisioning into the wallet file. The server already holds the new secret, so a
/// failure here is reported with what to do about the device it leaves behind.
fn store_device(wallet: &mut OpenWallet, provisioning: &DeviceProvisioning) -> Result<()> {
    let stored = (|| -> Result<()> {
        let mut entry = DeviceEntry::from_uri(&provisioning.uri)?.with_id(provisioning.id);
        if let Some(name) = &provisioning.name {
            entry = entry.with_name(name.clone())?;
        }
        if entry.has_weak_secret() {
            eprintln!("paycode: warning: the server gave a secret of under 128 bits");
        }
        wallet.file.add_device(entry)?;
        wallet.save()
    })();
    stored.with_context(|| {
        format!(
            "device {} exists on the server but could not be stored in the wallet file; \
             revoke it with `paycode wallet revoke {}`",
            provisioning.id, provisioning.id
        )
    })
}

/// Says which device was stored, never its secret, code key or key URI.
fn show_device_stored(
    wallet: &OpenWallet,
    provisioning: &DeviceProvisioning,
    options: &WalletOptions,
    verb: &str,
) {
    if options.json {
        print_json(&json!({
            "id": provisioning.id,
            "slot": provisioning.slot,
            "name": provisioning.name,
            "algorithm": provisioning.algorithm,
            "digits": provisioning.digits,
            "period": provisioning.period,
            "prefix": provisioning.prefix,
            "wallet_file": wallet.path().display().to_string(),
        }));
        return;
    }
    println!(
        "{verb} device {} (slot {}{}): {}, {} digits, {} s steps, prefix {}",
        provisioning.id,
        provisioning.slot,
        provisioning
            .name
            .as_deref()
            .map(|name| format!(", {name:?}"))
            .unwrap_or_default(),
        provisioning.algorithm,
        provisioning.digits,
        provisioning.period,
        provisioning.prefix
    );
    println!(
        "its secret is in {}; show a code with `paycode wallet code`, no network needed",
        wallet.path().display()
    );
}

fn devices(options: &WalletOptions) -> Result<Outcome> {
    let wallet = options.open_existing()?;
    let devices = match wallet.call(|client| async move { client.devices().await })? {
        Ok(devices) => devices,
        Err(error) => return refused(error, options),
    };
    let in_file = |device: &Device| wallet.file.device(device.id).is_some();
    if options.json {
        let items: Vec<serde_json::Value> = devices
            .iter()
            .map(|device| {
                let mut value = serde_json::to_value(device).expect("wire types serialize");
                value["in_wallet_file"] = in_file(device).into();
                value
            })
            .collect();
        print_json(&json!({ "items": items }));
        return Ok(Outcome::Success);
    }
    if devices.is_empty() {
        println!("no devices; enroll one with `paycode wallet enroll`");
    }
    for device in &devices {
        println!("{}", device_line(device, in_file(device)));
    }
    Ok(Outcome::Success)
}

fn device_line(device: &Device, in_file: bool) -> String {
    let status = device_status(device);
    format!(
        "{} device {} (slot {}){}: {status}, enrolled {}, last paid {}",
        if in_file { "*" } else { " " },
        device.id,
        device.slot,
        device
            .name
            .as_deref()
            .map(|name| format!(" {name:?}"))
            .unwrap_or_default(),
        device.created_at,
        device.last_used_at.as_deref().unwrap_or("never"),
    )
}

fn revoke(options: &WalletOptions, device_id: i64) -> Result<Outcome> {
    let mut wallet = options.open_existing()?;
    let device = match wallet.call(|client| async move { client.revoke_device(device_id).await })? {
        Ok(device) => device,
        Err(error) => return refused(error, options),
    };
    // Its secret is useless now; keeping it would only tempt `wallet code` to show dead codes.
    if wallet.file.remove_device(device_id).is_some() {
        wallet.save()?;
    }
    if options.json {
        print_json(&device);
    } else {
        println!("{}", device_line(&device, false));
    }
    Ok(Outcome::Success)
}

fn transactions(
    options: &WalletOptions,
    limit: Option<u32>,
    before: Option<i64>,
) -> Result<Outcome> {
    let wallet = options.open_existing()?;
    let result = wallet.call(|client| async move { client.transactions(before, limit).await })?;
    finish(result, options, |page| {
        if page.items.is_empty() {
            println!("no transactions");
        }
        for item in &page.items {
            println!(
                "{:>8}  {:<8} {:>14}  {}  {}",
                item.transaction_id,
                item.kind,
                format_amount(item.amount, MINOR_DIGITS),
                item.created_at,
                item.reference
            );
        }
        if let Some(next) = page.next_before {
            println!("more: --before {next}");
        }
    })
}

fn pending(options: &WalletOptions) -> Result<Outcome> {
    let wallet = options.open_existing()?;
    let result = wallet
        .call(|client| async move { client.pending_payments().await })?
        .map(|items| TradeList { items });
    finish(result, options, |list| {
        if list.items.is_empty() {
            println!("no payments wait for the PIN");
        }
        for trade in &list.items {
            println!("{}", pending_line(trade));
        }
    })
}

fn pending_line(trade: &Trade) -> String {
    format!(
        "{}  {}{}{}  confirm with `paycode wallet confirm {}`",
        trade.trade_no,
        money(trade.amount, &trade.currency),
        trade
            .subject
            .as_deref()
            .map(|subject| format!(" for {subject:?}"))
            .unwrap_or_default(),
        trade
            .confirm_deadline
            .as_deref()
            .map(|deadline| format!(" until {deadline}"))
            .unwrap_or_default(),
        trade.trade_no
    )
}

fn set_pin(
    options: &WalletOptions,
    pin: Option<String>,
    current_pin: Option<String>,
) -> Result<Outcome> {
    let wallet = options.open_existing()?;
    let prompted = pin.is_none();
    let pin = flag_or_prompt(pin, "--pin", "new PIN")?;
    if prompted && flag_or_prompt(None, "--pin", "new PIN again")? != pin {
        bail!("the two PINs typed differ; nothing was changed");
    }
    let attempt = |current: Option<String>| {
        let pin = pin.clone();
        wallet.call(|client| async move { client.set_pin(&pin, current.as_deref()).await })
    };
    let mut result = attempt(current_pin.clone())?;
    // Changing a PIN needs the current one; ask for it only when the server says so.
    if let Err(ClientError::Api { code, .. }) = &result {
        if code == paycode_api::ErrorCode::Forbidden.as_str()
            && current_pin.is_none()
            && can_prompt()
        {
            let current = flag_or_prompt(None, "--current-pin", "current PIN")?;
            result = attempt(Some(current))?;
        }
    }
    let done = result.map(|()| json!({"pin_set": true}));
    finish(done, options, |_| println!("PIN set"))
}

fn online_code(options: &WalletOptions, device: Option<i64>) -> Result<Outcome> {
    let wallet = options.open_existing()?;
    let code = match wallet.call(|client| async move { client.online_code(device).await })? {
        Ok(code) => code,
        Err(error) => return refused(error, options),
    };
    if options.json {
        print_json(&code);
        return Ok(Outcome::Success);
    }
    let parsed = PaymentCode::parse(&code.code).context("the server sent a malformed code")?;
    print!("{}", wallet_code::draw(&parsed, false));
    println!("online code, valid once until {}", code.expires_at);
    Ok(Outcome::Success)
}
