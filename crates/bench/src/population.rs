//! The population a run pays with: merchants with their API keys, users topped up, and their
//! devices with the provisioning data a wallet makes offline codes from.
//!
//! Two ways to build it:
//! - [`populate_in_process`], for a server in this process: through the domain itself
//!   ([`Paycode::topup`], [`Paycode::enroll_device`], [`Paycode::create_merchant`]) on several
//!   threads, with no HTTP. Users are the one shortcut: they are inserted through the store in
//!   batches with one shared password hash, because an Argon2 hash per user would take longer
//!   than everything else (a million devices need 100,000 users).
//! - [`populate_over_http`], for a server given by URL: through the API, as an operator and
//!   the users' wallets would.
//!
//! A user holds at most [`DEVICES_PER_USER`] devices (the server's limit of active devices),
//! so `devices` devices need `ceil(devices / DEVICES_PER_USER)` users.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use paycode_api::DeviceProvisioning;
use paycode_client::{Client, Proof};
use paycode_codec::{CodeKey, DeviceSlot, OfflineCodec, Prefix};
use paycode_core::ids::{DeviceId, UserId};
use paycode_core::model::AccountKind;
use paycode_core::service::Provisioning;
use paycode_core::store::Store;
use paycode_core::Paycode;
use paycode_otp::{Algorithm, Secret};

use crate::error::Error;
use crate::limits::{
    DEVICES_PER_USER, POPULATION_THREADS, PROGRESS_INTERVAL, PROGRESS_POLL, TOPUP_PER_USER_MINOR,
    USERS_PER_TRANSACTION,
};

/// A device as its wallet knows it: enough to make offline codes.
pub struct BenchDevice {
    /// The device slot `D`.
    pub slot: DeviceSlot,
    /// The device secret.
    pub secret: Secret,
    /// The HMAC of its one-time passwords.
    pub algorithm: Algorithm,
    /// Its time step, in seconds.
    pub period_seconds: u32,
}

impl std::fmt::Debug for BenchDevice {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("BenchDevice")
            .field("slot", &self.slot)
            .finish_non_exhaustive()
    }
}

/// A merchant and the API key its till presents.
#[derive(Clone)]
pub struct BenchMerchant {
    /// The merchant's id.
    pub id: i64,
    /// Its API key.
    pub api_key: String,
}

impl std::fmt::Debug for BenchMerchant {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("BenchMerchant")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// What to build: how many devices and merchants, and the run's tag that makes every name and
/// reference of this run unique on the server.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Devices to enroll.
    pub devices: u32,
    /// Merchants to create.
    pub merchants: u32,
    /// Unique per run: letters, digits and `-` only, so that it fits usernames and references.
    pub tag: String,
    /// Whether to print progress on standard error.
    pub progress: bool,
}

impl Plan {
    /// Users needed to hold the devices.
    pub fn users(&self) -> u32 {
        self.devices.div_ceil(DEVICES_PER_USER)
    }

    /// Devices of user number `user` (0-based): all hold [`DEVICES_PER_USER`] but the last.
    fn devices_of_user(&self, user: u32) -> u32 {
        let first = user * DEVICES_PER_USER;
        DEVICES_PER_USER.min(self.devices - first)
    }

    fn username(&self, user: u32) -> String {
        format!("{}-u{user}", self.tag)
    }

    fn topup_reference(&self, user: u32) -> String {
        format!("{}-topup-{user}", self.tag)
    }
}

/// The population built for a run.
#[derive(Debug)]
pub struct Population {
    /// Every device, each of which the load generator may pay with.
    pub devices: Vec<BenchDevice>,
    /// The merchants, the first of which takes every payment of the `hot` scenario.
    pub merchants: Vec<BenchMerchant>,
    /// The codec of the offline prefix the devices were enrolled under.
    pub codec: OfflineCodec,
    /// The time step of every device, in seconds.
    pub period_seconds: u32,
    /// How many users hold the devices.
    pub users: u32,
    /// How long building it took, in seconds.
    pub seconds: f64,
}

/// Counts enrolled devices and prints the count every second until dropped.
struct EnrollmentProgress {
    enrolled: Arc<AtomicU64>,
    done: Arc<AtomicBool>,
    printer: Option<std::thread::JoinHandle<()>>,
}

impl EnrollmentProgress {
    fn start(total: u32, print: bool) -> EnrollmentProgress {
        let enrolled = Arc::new(AtomicU64::new(0));
        let done = Arc::new(AtomicBool::new(false));
        let printer = print.then(|| {
            let (enrolled, done) = (Arc::clone(&enrolled), Arc::clone(&done));
            std::thread::spawn(move || {
                let started = Instant::now();
                let mut last = (0, Instant::now());
                // Bounded: stops when the population is done (or failed), which sets `done`.
                // It looks often and prints once a second, so that stopping it never waits.
                while !done.load(Ordering::Relaxed) {
                    std::thread::sleep(PROGRESS_POLL);
                    if last.1.elapsed() < PROGRESS_INTERVAL {
                        continue;
                    }
                    let now = enrolled.load(Ordering::Relaxed);
                    let rate = (now - last.0) as f64 / last.1.elapsed().as_secs_f64();
                    eprintln!(
                        "[population {:>4.0}s] {now}/{total} devices enrolled ({rate:.0}/s)",
                        started.elapsed().as_secs_f64(),
                    );
                    last = (now, Instant::now());
                }
            })
        });
        EnrollmentProgress {
            enrolled,
            done,
            printer,
        }
    }

    fn add(&self, devices: u64) {
        self.enrolled.fetch_add(devices, Ordering::Relaxed);
    }
}

impl Drop for EnrollmentProgress {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(printer) = self.printer.take() {
            let _ = printer.join();
        }
    }
}

/// Builds the population in a server of this process, through its domain and store. Blocking:
/// call it from a blocking context.
pub fn populate_in_process(
    paycode: &Arc<Paycode>,
    store: &Arc<dyn Store>,
    plan: &Plan,
) -> Result<Population, Error> {
    let started = Instant::now();
    let merchants = (0..plan.merchants)
        .map(|number| {
            let created = paycode.create_merchant(&format!("{} merchant {number}", plan.tag))?;
            Ok(BenchMerchant {
                id: created.merchant.id.0,
                api_key: created.api_key.key,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let users = insert_users(paycode, store.as_ref(), plan)?;
    let progress = EnrollmentProgress::start(plan.devices, plan.progress);
    let threads = POPULATION_THREADS.min(users.len()).max(1);
    let shares: Vec<Result<Enrolled, Error>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|thread| {
                let (users, progress) = (&users, &progress);
                scope.spawn(move || {
                    let mut enrolled = Enrolled::default();
                    for (number, &user) in users.iter().enumerate().skip(thread).step_by(threads) {
                        let number = u32::try_from(number).expect("users fit a u32");
                        paycode.topup(
                            user.0,
                            TOPUP_PER_USER_MINOR,
                            &plan.topup_reference(number),
                        )?;
                        for _ in 0..plan.devices_of_user(number) {
                            enrolled
                                .add_provisioning(paycode.enroll_device_unchecked(user, None)?)?;
                        }
                        progress.add(u64::from(plan.devices_of_user(number)));
                    }
                    Ok(enrolled)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|_| Err(Error::Panicked("an enrolling thread".to_owned())))
            })
            .collect()
    });
    drop(progress);
    let mut enrolled = Enrolled::default();
    for share in shares {
        enrolled.merge(share?)?;
    }
    let (devices, codec) = enrolled.finish()?;
    Ok(Population {
        period_seconds: period_of(&devices)?,
        devices,
        merchants,
        codec,
        users: plan.users(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Inserts the plan's users through the store, [`USERS_PER_TRANSACTION`] per transaction, all
/// with the hash of one random password (nobody logs in as a bench user). This is what
/// [`Paycode::create_user`] stores, less an Argon2 hash per user.
fn insert_users(paycode: &Paycode, store: &dyn Store, plan: &Plan) -> Result<Vec<UserId>, Error> {
    let password = paycode_core::crypto::new_token("bench_");
    let password_hash = paycode_core::crypto::hash_password(&password)?;
    let numbers: Vec<u32> = (0..plan.users()).collect();
    let mut users = Vec::with_capacity(numbers.len());
    for batch in numbers.chunks(USERS_PER_TRANSACTION) {
        let mut transaction = store.begin().map_err(paycode_core::Error::from)?;
        let now = paycode.clock().now();
        for &number in batch {
            let account = transaction
                .insert_account(AccountKind::User, now)
                .map_err(paycode_core::Error::from)?;
            let user = transaction
                .insert_user(&plan.username(number), &password_hash, account, now)
                .map_err(paycode_core::Error::from)?;
            users.push(user);
        }
        transaction.commit().map_err(paycode_core::Error::from)?;
    }
    Ok(users)
}

/// Builds the population through the HTTP API of the server at `url`, as its operator (with
/// `admin_key`) and its users' wallets would, on `connections` concurrent connections.
pub async fn populate_over_http(
    url: &str,
    admin_key: &str,
    plan: &Plan,
    connections: u32,
) -> Result<Population, Error> {
    let started = Instant::now();
    let admin = Client::new(url)?.with_bearer(admin_key);
    let mut merchants = Vec::new();
    for number in 0..plan.merchants {
        let merchant = admin
            .create_merchant(&format!("{} merchant {number}", plan.tag))
            .await?;
        let api_key = merchant
            .api_key
            .ok_or_else(|| Error::Provisioning("a new merchant came without its API key".into()))?;
        merchants.push(BenchMerchant {
            id: merchant.id,
            api_key,
        });
    }
    let password = paycode_core::crypto::new_token("bench_");
    let progress = Arc::new(EnrollmentProgress::start(plan.devices, plan.progress));
    let tasks = connections.min(plan.users()).max(1);
    let mut handles = Vec::new();
    for task in 0..tasks {
        let (plan, password, progress) = (plan.clone(), password.clone(), Arc::clone(&progress));
        // Each task has a client, and so a connection, of its own.
        let admin = Client::new(url)?.with_bearer(admin_key);
        handles.push(tokio::spawn(async move {
            let mut enrolled = Enrolled::default();
            for number in (task..plan.users()).step_by(tasks as usize) {
                for provisioning in enroll_user_over_http(&admin, &plan, number, &password).await? {
                    enrolled.add_wire(&provisioning)?;
                }
                progress.add(u64::from(plan.devices_of_user(number)));
            }
            Ok::<_, Error>(enrolled)
        }));
    }
    let mut enrolled = Enrolled::default();
    for handle in handles {
        enrolled.merge(handle.await??)?;
    }
    drop(progress);
    let (devices, codec) = enrolled.finish()?;
    Ok(Population {
        period_seconds: period_of(&devices)?,
        devices,
        merchants,
        codec,
        users: plan.users(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Creates user `number`, tops it up, logs in as it and enrolls its devices.
async fn enroll_user_over_http(
    admin: &Client,
    plan: &Plan,
    number: u32,
    password: &str,
) -> Result<Vec<DeviceProvisioning>, Error> {
    let username = plan.username(number);
    let user = admin.create_user(&username, password).await?;
    admin
        .topup(user.id, TOPUP_PER_USER_MINOR, &plan.topup_reference(number))
        .await?;
    let session = admin.login(&username, password).await?;
    let wallet = admin.with_bearer(session.token);
    let mut enrolled = Vec::new();
    for _ in 0..plan.devices_of_user(number) {
        enrolled.push(
            wallet
                .enroll_device(None, Proof::Password(password))
                .await?,
        );
    }
    Ok(enrolled)
}

/// Devices enrolled so far, each kept only as what its wallet needs (the provisioning's
/// records and key URI are dropped at once: for a million devices they would take gigabytes),
/// and the offline prefix and code key they were enrolled under.
#[derive(Default)]
struct Enrolled {
    devices: Vec<BenchDevice>,
    code_key: Option<(Prefix, CodeKey)>,
}

impl Enrolled {
    /// Keeps a device the domain enrolled.
    fn add_provisioning(&mut self, provisioning: Provisioning) -> Result<(), Error> {
        self.see_code_key(provisioning.prefix, provisioning.code_key)?;
        self.devices.push(BenchDevice {
            slot: slot_of(provisioning.device.id)?,
            algorithm: provisioning.device.algorithm,
            period_seconds: provisioning.device.period_seconds,
            secret: provisioning.secret,
        });
        Ok(())
    }

    /// Keeps a device enrolled over HTTP.
    fn add_wire(&mut self, provisioning: &DeviceProvisioning) -> Result<(), Error> {
        let invalid =
            |what: &str| Error::Provisioning(format!("device {}: {what}", provisioning.id));
        let prefix = provisioning
            .prefix
            .parse::<u8>()
            .ok()
            .and_then(|number| Prefix::new(number).ok())
            .ok_or_else(|| invalid("the prefix is not two digits"))?;
        let code_key =
            CodeKey::from_base32(&provisioning.code_key).map_err(|_| invalid("code key"))?;
        self.see_code_key(prefix, code_key)?;
        self.devices.push(BenchDevice {
            slot: slot_of(DeviceId(provisioning.slot))?,
            secret: Secret::from_base32(&provisioning.secret).map_err(|_| invalid("secret"))?,
            algorithm: provisioning
                .algorithm
                .parse()
                .map_err(|_| invalid("algorithm"))?,
            period_seconds: provisioning.period,
        });
        Ok(())
    }

    /// Every device must share one prefix and code key: new devices all get the server's
    /// first offline prefix, and a population spread over several would need a codec per
    /// device.
    fn see_code_key(&mut self, prefix: Prefix, code_key: CodeKey) -> Result<(), Error> {
        match &self.code_key {
            None => {
                self.code_key = Some((prefix, code_key));
                Ok(())
            }
            Some((known_prefix, known_key))
                if *known_prefix == prefix
                    && known_key.expose_bytes() == code_key.expose_bytes() =>
            {
                Ok(())
            }
            Some(_) => Err(Error::Provisioning(
                "the devices were enrolled under different offline prefixes".to_owned(),
            )),
        }
    }

    fn merge(&mut self, other: Enrolled) -> Result<(), Error> {
        if let Some((prefix, code_key)) = other.code_key {
            self.see_code_key(prefix, code_key)?;
        }
        self.devices.extend(other.devices);
        Ok(())
    }

    /// The devices and the codec of their prefix.
    fn finish(self) -> Result<(Vec<BenchDevice>, OfflineCodec), Error> {
        let (prefix, code_key) = self
            .code_key
            .ok_or_else(|| Error::Options("a run needs at least one device".to_owned()))?;
        Ok((self.devices, OfflineCodec::new(prefix, &code_key)))
    }
}

fn slot_of(device: DeviceId) -> Result<DeviceSlot, Error> {
    u32::try_from(device.0)
        .ok()
        .and_then(|slot| DeviceSlot::new(slot).ok())
        .ok_or_else(|| Error::Provisioning(format!("device {} has no valid slot", device.0)))
}

/// The one time step of every device. New devices all get the server's configured period.
fn period_of(devices: &[BenchDevice]) -> Result<u32, Error> {
    let period = devices
        .first()
        .map(|device| device.period_seconds)
        .ok_or_else(|| Error::Options("a run needs at least one device".to_owned()))?;
    if period == 0 || devices.iter().any(|device| device.period_seconds != period) {
        return Err(Error::Provisioning(
            "the devices do not share one positive time step".to_owned(),
        ));
    }
    Ok(period)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_of(devices: u32) -> Plan {
        Plan {
            devices,
            merchants: 1,
            tag: "bench-test".to_owned(),
            progress: false,
        }
    }

    #[test]
    fn devices_fill_users_up_to_the_server_limit() {
        let plan = plan_of(25);
        assert_eq!(plan.users(), 3);
        let held: Vec<u32> = (0..3).map(|user| plan.devices_of_user(user)).collect();
        assert_eq!(held, [10, 10, 5]);
        assert_eq!(plan_of(1_000_000).users(), 100_000);
        assert_eq!(plan_of(10_000).users(), 1_000);
    }

    #[test]
    fn names_and_references_are_valid_and_unique_per_user() {
        let plan = plan_of(20);
        assert_eq!(plan.username(1), "bench-test-u1");
        assert_ne!(plan.topup_reference(0), plan.topup_reference(1));
    }
}
