//! The `paycode wallet`, `paycode pos` and `paycode admin` commands, run as separate processes
//! against a real `paycode serve`, as a shop would run them.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

const ADMIN_KEY: &str = "admin-key-for-the-cli-tests";
const PASSWORD: &str = "correct horse battery";
/// Payments above 50.00 need the PIN; the other limits are the spec's.
const CONFIG: &str = "pin_free_limit = 5000\nuser_paying_timeout_seconds = 30\n";
/// How long a server may take to answer `/healthz` after it was started.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);
/// Environment variables of the commands that a developer's shell could leak into a test.
const PAYCODE_VARIABLES: [&str; 7] = [
    "PAYCODE_SERVER",
    "PAYCODE_WALLET",
    "PAYCODE_WALLET_PASSPHRASE",
    "PAYCODE_MERCHANT_KEY",
    "PAYCODE_ADMIN_KEY",
    "PAYCODE_ADMIN_KEY_FILE",
    "PAYCODE_CONFIG",
];

/// A `paycode serve` process on a free port; killed when dropped.
struct Server {
    child: Option<Child>,
    url: String,
}

impl Server {
    /// Starts a server on a free port. The port is found by binding port 0 and letting it go,
    /// so another process may take it first: then the server exits and another port is tried.
    fn start(dir: &Path) -> Server {
        for _ in 0..3 {
            if let Some(server) = Server::try_start(dir) {
                return server;
            }
        }
        panic!(
            "the server did not start; see the logs in {}",
            dir.display()
        );
    }

    fn try_start(dir: &Path) -> Option<Server> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let log = File::create(dir.join(format!("server-{port}.log"))).unwrap();
        // The admin key comes from a file, so that it never shows in `ps`.
        std::fs::write(dir.join("admin.key"), format!("{ADMIN_KEY}\n")).unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_paycode"));
        for variable in PAYCODE_VARIABLES {
            command.env_remove(variable);
        }
        let child = command
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .arg("--data-dir")
            .arg(dir.join("data"))
            .arg("--config")
            .arg(dir.join("paycode.toml"))
            .arg("--admin-key-file")
            .arg(dir.join("admin.key"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("the paycode binary starts");
        let mut server = Server {
            child: Some(child),
            url: format!("http://127.0.0.1:{port}"),
        };
        server.wait_until_healthy(port).then_some(server)
    }

    /// Whether the server answered `/healthz`; false if it exited first.
    fn wait_until_healthy(&mut self, port: u16) -> bool {
        let started = Instant::now();
        while started.elapsed() < STARTUP_TIMEOUT {
            if self.child.as_mut().unwrap().try_wait().unwrap().is_some() {
                return false;
            }
            if healthz(port) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the server did not become healthy within {STARTUP_TIMEOUT:?}");
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

fn healthz(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let request = "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    let mut response = String::new();
    stream.write_all(request.as_bytes()).is_ok()
        && stream.read_to_string(&mut response).is_ok()
        && response.starts_with("HTTP/1.1 200")
}

/// A shop open for the day: a server, a user with money and an enrolled wallet, a merchant.
struct Shop {
    dir: TempDir,
    server: Server,
    merchant_key: String,
    wallet_file: PathBuf,
}

impl Shop {
    fn open() -> Shop {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("paycode.toml"), CONFIG).unwrap();
        let server = Server::start(dir.path());
        let mut shop = Shop {
            wallet_file: dir.path().join("wallet.json"),
            dir,
            server,
            merchant_key: String::new(),
        };
        let user = json(&shop.admin(&[
            "create-user",
            "--username",
            "alice",
            "--password",
            PASSWORD,
            "--json",
        ]));
        let merchant = json(&shop.admin(&["create-merchant", "--name", "Canteen", "--json"]));
        shop.merchant_key = merchant["api_key"].as_str().unwrap().to_owned();
        let user_id = user["id"].to_string();
        success(&shop.admin(&[
            "topup",
            "--user",
            &user_id,
            "--amount",
            "500.00",
            "--reference",
            "day-1",
        ]));
        success(&shop.wallet_with_server(&[
            "login",
            "--username",
            "alice",
            "--password",
            PASSWORD,
        ]));
        success(&shop.wallet_with_server(&["enroll", "--name", "phone", "--password", PASSWORD]));
        shop
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn admin(&self, arguments: &[&str]) -> Output {
        run(
            &[&["admin"], arguments, &["--server", &self.server.url]].concat(),
            &[(
                "PAYCODE_ADMIN_KEY_FILE",
                self.path("admin.key").to_str().unwrap(),
            )],
        )
    }

    fn pos(&self, arguments: &[&str]) -> Output {
        self.pos_command(arguments).output().unwrap()
    }

    fn pos_command(&self, arguments: &[&str]) -> Command {
        command(
            &[&["pos"], arguments].concat(),
            &[
                ("PAYCODE_SERVER", self.server.url.as_str()),
                ("PAYCODE_MERCHANT_KEY", self.merchant_key.as_str()),
            ],
        )
    }

    /// A wallet command on the shop's wallet file, with no server named: offline ones must
    /// not need one, and online ones use the server stored at login.
    fn wallet(&self, arguments: &[&str]) -> Output {
        let file = self.wallet_file.to_str().unwrap();
        run(
            &[&["wallet"], arguments, &["--wallet-file", file]].concat(),
            &[],
        )
    }

    fn wallet_with_server(&self, arguments: &[&str]) -> Output {
        self.wallet(&[arguments, &["--server", &self.server.url]].concat())
    }

    /// A fresh offline code from the wallet file, made without the network.
    fn code(&self) -> String {
        let shown = json(&self.wallet(&["code", "--json"]));
        let code = shown["code"].as_str().unwrap().to_owned();
        assert_valid_code(&code);
        code
    }

    fn merchant_balance(&self) -> i64 {
        json(&self.pos(&["balance", "--json"]))["balance"]
            .as_i64()
            .unwrap()
    }
}

fn command(arguments: &[&str], environment: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_paycode"));
    for variable in PAYCODE_VARIABLES {
        command.env_remove(variable);
    }
    command
        .args(arguments)
        .envs(environment.iter().copied())
        .stdin(Stdio::null());
    command
}

fn run(arguments: &[&str], environment: &[(&str, &str)]) -> Output {
    command(arguments, environment).output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn success(output: &Output) -> &Output {
    assert!(
        output.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        output.status.code(),
        stdout(output),
        stderr(output)
    );
    output
}

/// The one JSON object a successful `--json` command prints.
fn json(output: &Output) -> Value {
    let text = stdout(success(output));
    serde_json::from_str(text.trim()).unwrap_or_else(|error| panic!("{error}: {text:?}"))
}

fn assert_valid_code(code: &str) {
    assert_eq!(code.len(), 18, "{code}");
    assert!(code.bytes().all(|byte| byte.is_ascii_digit()), "{code}");
    assert!(code.starts_with("81"), "not an offline code: {code}");
}

fn assert_exit(output: &Output, code: i32, needle: &str) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        stdout(output),
        stderr(output)
    );
    assert!(
        stderr(output).contains(needle),
        "{needle:?} not in {}",
        stderr(output)
    );
}

#[test]
fn a_shop_day_pays_with_a_code_made_while_the_server_was_unreachable() {
    let mut shop = Shop::open();
    let file_mode = std::fs::metadata(&shop.wallet_file)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(file_mode & 0o777, 0o600);

    // The wallet loses the server: first a wrong address, then the server is gone altogether.
    shop.server.stop();
    let unreachable = json(&shop.wallet(&["code", "--json", "--server", "http://127.0.0.1:1"]));
    let first = unreachable["code"].as_str().unwrap().to_owned();
    assert_valid_code(&first);
    assert!(unreachable["seconds_left"].as_u64().unwrap() <= 30);
    let second = shop.code();
    assert_ne!(first, second, "two showings in a step must differ");
    assert_exit(&shop.wallet(&["balance"]), 2, "could not reach the server");

    // The shop's server comes back on the same data.
    shop.server = Server::start(shop.dir.path());
    let paid = json(&shop.pos(&["charge", "--code", &first, "--amount", "12.50", "--json"]));
    assert_eq!(paid["status"], "SUCCESS");
    assert_eq!(paid["amount"], 1250);
    let again = shop.pos(&["charge", "--code", &first, "--amount", "12.50"]);
    assert_exit(&again, 1, "refused: CODE_USED");
    let second_paid = shop.pos(&[
        "charge",
        "--code",
        &second,
        "--amount",
        "1.00",
        "--subject",
        "tea",
    ]);
    assert!(stdout(success(&second_paid)).starts_with("SUCCESS  1.00 CNY"));

    let balance = json(&shop.wallet_with_server(&["balance", "--json"]));
    assert_eq!(balance["balance"], 50_000 - 1250 - 100);
    let check = json(&shop.admin(&["ledger-check", "--json"]));
    assert_eq!(check["ok"], true);
    success(&shop.admin(&["ledger-check"]));
}

#[test]
fn the_png_images_of_a_code_decode_to_its_digits_and_pay() {
    let shop = Shop::open();
    let qr_path = shop.path("code.png");
    let shown = json(&shop.wallet(&["code", "--json", "--png", qr_path.to_str().unwrap()]));
    let code = shown["code"].as_str().unwrap();
    let barcode_path = PathBuf::from(shown["png"]["barcode"].as_str().unwrap());
    assert_eq!(PathBuf::from(shown["png"]["qr"].as_str().unwrap()), qr_path);
    let from_barcode = paycode_wallet::decode_image(&barcode_path).unwrap();
    assert_eq!(from_barcode.to_string(), code);

    let paid = json(&shop.pos(&[
        "charge",
        "--image",
        qr_path.to_str().unwrap(),
        "--amount",
        "3.20",
        "--json",
    ]));
    assert_eq!(paid["status"], "SUCCESS");

    // A second code, charged from its barcode this time.
    let next_path = shop.path("next.png");
    let next = json(&shop.wallet(&["code", "--json", "--png", next_path.to_str().unwrap()]));
    let next_barcode = next["png"]["barcode"].as_str().unwrap();
    let paid = json(&shop.pos(&[
        "charge",
        "--image",
        next_barcode,
        "--amount",
        "1.00",
        "--json",
    ]));
    assert_eq!(paid["status"], "SUCCESS");

    let svg_path = shop.path("code.svg");
    let shown = json(&shop.wallet(&["code", "--json", "--svg", svg_path.to_str().unwrap()]));
    for path in [&shown["svg"]["qr"], &shown["svg"]["barcode"]] {
        let document = std::fs::read_to_string(path.as_str().unwrap()).unwrap();
        assert!(document.starts_with("<?xml") && document.contains("<svg"));
    }
    assert_eq!(shop.merchant_balance(), 420);
}

#[test]
fn a_payment_above_the_pin_free_limit_waits_for_the_wallet_or_is_cancelled() {
    let shop = Shop::open();
    success(&shop.wallet_with_server(&["set-pin", "--pin", "123456"]));

    let code = shop.code();
    let pos = shop
        .pos_command(&[
            "charge",
            "--code",
            &code,
            "--amount",
            "60.00",
            "--out-trade-no",
            "big-1",
            "--timeout-seconds",
            "20",
            "--poll-seconds",
            "1",
            "--json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let trade_no = wait_for_pending(&shop, "big-1");
    let wrong = shop.wallet_with_server(&["confirm", &trade_no, "--pin", "654321"]);
    assert_exit(&wrong, 1, "FORBIDDEN");
    let confirmed =
        json(&shop.wallet_with_server(&["confirm", &trade_no, "--pin", "123456", "--json"]));
    assert_eq!(confirmed["status"], "SUCCESS");
    let pos = pos.wait_with_output().unwrap();
    let trade = json(&pos);
    assert_eq!(trade["status"], "SUCCESS");
    assert_eq!(trade["out_trade_no"], "big-1");
    assert!(stderr(&pos).contains("waiting for the customer's confirmation"));

    // Nobody confirms this one: the POS gives up after its timeout and cancels.
    let code = shop.code();
    let started = Instant::now();
    let unconfirmed = shop.pos(&[
        "charge",
        "--code",
        &code,
        "--amount",
        "60.00",
        "--out-trade-no",
        "big-2",
        "--timeout-seconds",
        "3",
        "--poll-seconds",
        "1",
        "--json",
    ]);
    assert!(started.elapsed() >= Duration::from_secs(3));
    assert_exit(&unconfirmed, 1, "CLOSED");
    let trade: Value = serde_json::from_str(stdout(&unconfirmed).trim()).unwrap();
    assert_eq!(trade["status"], "CLOSED");
    let queried = json(&shop.pos(&["query", "big-2", "--json"]));
    assert_eq!(queried["status"], "CLOSED");
    assert_eq!(shop.merchant_balance(), 6000);
    success(&shop.admin(&["ledger-check"]));
}

/// The trade number of the merchant's `out_trade_no` once the wallet lists it as pending.
fn wait_for_pending(shop: &Shop, out_trade_no: &str) -> String {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(15) {
        let pending = json(&shop.wallet_with_server(&["pending", "--json"]));
        let found = pending["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|trade| trade["out_trade_no"] == out_trade_no)
            .map(|trade| trade["trade_no"].as_str().unwrap().to_owned());
        if let Some(trade_no) = found {
            return trade_no;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("{out_trade_no} never became pending");
}

#[test]
fn a_wallet_file_is_private_and_with_a_passphrase_holds_no_secret_in_plain_text() {
    let shop = Shop::open();
    let encrypted = shop.path("encrypted.json");
    let file = encrypted.to_str().unwrap();
    let passphrase = [("PAYCODE_WALLET_PASSPHRASE", "open sesame, please")];
    let wallet = |arguments: &[&str], environment: &[(&str, &str)]| {
        run(
            &[&["wallet"], arguments, &["--wallet-file", file]].concat(),
            environment,
        )
    };
    success(&wallet(
        &[
            "login",
            "--username",
            "alice",
            "--password",
            PASSWORD,
            "--server",
            &shop.server.url,
        ],
        &passphrase,
    ));
    success(&wallet(
        &[
            "enroll",
            "--passphrase",
            "open sesame, please",
            "--password",
            PASSWORD,
        ],
        &[],
    ));
    let mode = std::fs::metadata(&encrypted).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    let opened = paycode_wallet::WalletFile::load(&encrypted, Some("open sesame, please")).unwrap();
    let uri = opened.devices()[0].key_uri().to_owned();
    let parameter = |name: &str| {
        uri.split(['?', '&'])
            .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
            .unwrap()
            .to_owned()
    };
    let token = opened.session().unwrap().token().to_owned();
    let must_not_appear = [
        parameter("secret"),
        parameter("codekey"),
        token,
        "otpauth".to_owned(),
        "\"secret\"".to_owned(),
    ];
    let assert_sealed = || {
        let bytes = std::fs::read(&encrypted).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for needle in &must_not_appear {
            assert!(!text.contains(needle.as_str()), "the file holds {needle}");
        }
    };
    assert_sealed();

    let refused = wallet(&["code"], &[]);
    assert_exit(
        &refused,
        2,
        "is encrypted: give its passphrase with --passphrase",
    );
    assert!(stdout(&refused).is_empty());
    let wrong = wallet(&["code", "--passphrase", "open sesame"], &[]);
    assert_exit(&wrong, 2, "passphrase is wrong");
    let shown = json(&wallet(&["code", "--json"], &passphrase));
    assert_valid_code(shown["code"].as_str().unwrap());
    // Saving the new code index kept the file encrypted.
    assert_sealed();
}

#[test]
fn amounts_that_are_not_exact_decimals_are_refused_before_anything_is_charged() {
    let shop = Shop::open();
    let code = shop.code();
    for amount in ["12.505", "-1", "abc", "1e3", "0"] {
        let refused = shop.pos(&["charge", "--code", &code, "--amount", amount]);
        assert_exit(&refused, 2, &format!("invalid --amount {amount:?}"));
    }
    let refused = shop.admin(&[
        "topup",
        "--user",
        "1",
        "--amount",
        "-5",
        "--reference",
        "bad",
    ]);
    assert_exit(&refused, 2, "cannot be negative");
    assert_eq!(shop.merchant_balance(), 0);
    // The code was never sent, so it still pays.
    let paid = json(&shop.pos(&["charge", "--code", &code, "--amount", "0.05", "--json"]));
    assert_eq!(paid["amount"], 5);
}

#[test]
fn scanned_lines_are_charged_one_by_one_and_refunds_follow() {
    let shop = Shop::open();
    let (first, second) = (shop.code(), shop.code());
    let mut pos = shop
        .pos_command(&["charge", "--scan", "--amount", "2.00", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let typed = format!("{first}\n\n  {second}  \nnot a code\n{first}\n");
    pos.stdin
        .take()
        .unwrap()
        .write_all(typed.as_bytes())
        .unwrap();
    let scanned = pos.wait_with_output().unwrap();
    assert_exit(&scanned, 1, "scanned 4: 2 paid, 2 not paid");
    let lines: Vec<Value> = stdout(&scanned)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "two trades and one refusal: {lines:?}");
    assert_eq!(
        (&lines[0]["status"], &lines[1]["status"]),
        (&"SUCCESS".into(), &"SUCCESS".into())
    );
    assert_eq!(lines[2]["error"]["code"], "CODE_USED");
    assert_ne!(lines[0]["out_trade_no"], lines[1]["out_trade_no"]);

    let out_trade_no = lines[0]["out_trade_no"].as_str().unwrap();
    let refund = [
        "refund",
        out_trade_no,
        "--amount",
        "0.50",
        "--out-refund-no",
        "r-1",
        "--json",
    ];
    let refunded = json(&shop.pos(&refund));
    assert_eq!(refunded["amount"], 50);
    assert_eq!(json(&shop.pos(&refund))["refund_no"], refunded["refund_no"]);
    let too_much = shop.pos(&[
        "refund",
        out_trade_no,
        "--amount",
        "5.00",
        "--out-refund-no",
        "r-2",
    ]);
    assert_exit(&too_much, 1, "REFUND_EXCEEDS_PAYMENT");
    let refunds = json(&shop.pos(&["refunds", out_trade_no, "--json"]));
    assert_eq!(refunds["items"].as_array().unwrap().len(), 1);
    assert_eq!(shop.merchant_balance(), 350);
    let history = json(&shop.wallet_with_server(&["transactions", "--json", "--limit", "10"]));
    let kinds: Vec<&str> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["refund", "payment", "payment", "topup"]);
}

#[test]
fn the_operator_finds_a_user_sees_their_devices_and_revokes_a_lost_phone() {
    let shop = Shop::open();
    let found = json(success(
        &shop.admin(&["users", "--prefix", "ali", "--json"]),
    ));
    assert_eq!(found["items"][0]["username"], "alice");
    let user_id = found["items"][0]["id"].to_string();
    let overview = json(success(&shop.admin(&["show-user", &user_id, "--json"])));
    assert_eq!(overview["balance"], 50_000);
    assert_eq!(overview["devices"][0]["name"], "phone");
    let text = stdout(success(&shop.admin(&["show-user", &user_id])));
    assert!(text.contains("balance 500.00"), "{text}");

    let device_id = overview["devices"][0]["id"].to_string();
    let revoked = json(success(&shop.admin(&[
        "revoke-device",
        &device_id,
        "--json",
    ])));
    assert_eq!(revoked["status"], "revoked");
    let merchants = json(success(&shop.admin(&["merchants", "--json"])));
    let merchant_id = merchants["items"][0]["id"].to_string();
    let keys = json(success(&shop.admin(&["keys", &merchant_id, "--json"])));
    assert_eq!(keys.as_array().map(Vec::len), Some(1));
    assert!(keys[0]["revoked_at"].is_null());
    assert!(!stdout(&shop.admin(&["keys", &merchant_id])).contains("pk_"));
}

#[test]
fn the_days_trades_and_the_operators_summary_show_amounts_in_major_units() {
    let shop = Shop::open();
    let first_code = shop.code();
    let first = json(&shop.pos(&[
        "charge",
        "--code",
        &first_code,
        "--amount",
        "2.00",
        "--json",
    ]));
    let second = json(&shop.pos(&[
        "charge",
        "--code",
        &shop.code(),
        "--amount",
        "3.50",
        "--json",
    ]));
    let first_reference = first["out_trade_no"].as_str().unwrap();
    let second_reference = second["out_trade_no"].as_str().unwrap();
    success(&shop.pos(&[
        "refund",
        first_reference,
        "--amount",
        "0.50",
        "--out-refund-no",
        "r-1",
    ]));
    let replay = shop.pos(&["charge", "--code", &first_code, "--amount", "1.00"]);
    assert_exit(&replay, 1, "CODE_USED");
    // The server's days are UTC days; naming the trades' own day keeps the test true when it
    // runs across midnight.
    let date = &first["created_at"].as_str().unwrap()[..10];

    let day = json(&shop.pos(&["trades", "--date", date, "--json"]));
    let listed: Vec<&str> = day["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|trade| trade["out_trade_no"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [second_reference, first_reference], "newest first");
    assert_eq!(
        (&day["totals"]["gross"], &day["totals"]["net"]),
        (&550.into(), &500.into())
    );
    let text = stdout(success(&shop.pos(&["trades", "--date", date])));
    assert!(
        text.contains("gross 5.50 CNY, refunded 0.50 CNY, net 5.00 CNY"),
        "{text}"
    );
    assert!(
        text.contains("3.50 CNY") && text.contains(first_reference),
        "{text}"
    );
    let impossible = shop.pos(&["trades", "--date", "2026-02-30"]);
    assert!(!impossible.status.success());
    assert!(
        stderr(&impossible).contains("YYYY-MM-DD"),
        "{}",
        stderr(&impossible)
    );

    let found = json(&shop.admin(&["trades", "--status", "SUCCESS", "--json"]));
    let items = found["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(
        (&items[0]["merchant_name"], &items[0]["username"]),
        (&"Canteen".into(), &"alice".into())
    );
    let merchant_id = items[0]["merchant_id"].to_string();
    let one = json(&shop.admin(&[
        "trades",
        "--merchant-id",
        &merchant_id,
        "--out-trade-no",
        first_reference,
        "--json",
    ]));
    assert_eq!(one["items"][0]["amount"], 200);
    let without_merchant = shop.admin(&["trades", "--out-trade-no", first_reference]);
    assert!(!without_merchant.status.success());
    assert!(
        stderr(&without_merchant).contains("merchant_id"),
        "{}",
        stderr(&without_merchant)
    );
    let listed = stdout(success(&shop.admin(&["trades"])));
    assert!(listed.contains("2.00 CNY (refunded 0.50 CNY)"), "{listed}");

    let summary = json(&shop.admin(&["summary", "--date", date, "--json"]));
    assert_eq!(
        (&summary["payments"], &summary["volume"]),
        (&2.into(), &550.into())
    );
    assert_eq!(summary["refusals"]["CODE_USED"], 1);
    assert_eq!(
        (&summary["refunds"], &summary["refunded"]),
        (&1.into(), &50.into())
    );
    let text = stdout(success(&shop.admin(&["summary", "--date", date])));
    assert!(text.contains("payments 2, volume 5.50 CNY"), "{text}");
    assert!(text.contains("refusals: CODE_USED 1"), "{text}");
}

#[test]
fn the_days_statement_and_the_operators_settlement_agree() {
    let shop = Shop::open();
    let paid = json(&shop.pos(&[
        "charge",
        "--code",
        &shop.code(),
        "--amount",
        "4.00",
        "--json",
    ]));
    let reference = paid["out_trade_no"].as_str().unwrap();
    success(&shop.pos(&[
        "refund",
        reference,
        "--amount",
        "1.25",
        "--out-refund-no",
        "r-1",
    ]));
    let date = &paid["created_at"].as_str().unwrap()[..10];

    let statement = json(&shop.pos(&["statement", "--date", date, "--json"]));
    assert_eq!(statement["totals"]["gross"], 400);
    assert_eq!(statement["totals"]["refunds"], 125);
    assert_eq!(statement["totals"]["net"], 275);
    assert_eq!(statement["items"][1]["type"], "refund");
    let text = stdout(success(&shop.pos(&["statement", "--date", date])));
    assert!(
        text.contains("gross 4.00 CNY, refunds 1.25 CNY, net 2.75 CNY (2 movements)"),
        "{text}"
    );
    let csv = stdout(success(&shop.pos(&["statement", "--date", date, "--csv"])));
    assert!(csv.starts_with("type,transaction_id,at,"), "{csv}");
    assert!(csv.contains("\r\nnet,,,,,,,275\r\n"), "{csv}");

    let settlement = json(&shop.admin(&["settlement", "--date", date, "--json"]));
    assert_eq!(settlement["items"][0]["merchant_name"], "Canteen");
    assert_eq!(settlement["items"][0]["totals"], statement["totals"]);
    let text = stdout(success(&shop.admin(&["settlement", "--date", date])));
    assert!(text.contains("Canteen: gross 4.00 CNY"), "{text}");
    let impossible = shop.admin(&["settlement", "--date", "2026-02-30"]);
    assert!(!impossible.status.success());
}
