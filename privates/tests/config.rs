//! The `initializers.privates` block: parsing, the checks, boot, doctor and the task.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::HeaderUsers;
use loco_rs::{
    app::{AppContext, Initializer},
    doctor::CheckStatus,
    task::{Task, Vars},
};
use privates::{
    Privates, PrivatesConfig, PrivatesInitializer,
    checks::{self, Environment, Level, StaticAssets},
    config::{LocalStorageConfig, StorageConfig},
    sendfile::Backend,
    task::PrivatesCheck,
};

fn yaml(text: &str) -> serde_json::Value {
    serde_yaml::from_str(text).unwrap()
}

fn parse(text: &str) -> Result<PrivatesConfig, String> {
    PrivatesConfig::from_value(&yaml(text)).map_err(|err| err.to_string())
}

/// A loco test context whose config carries `initializers.privates` = `block`.
async fn ctx_with(block: &str) -> AppContext {
    let mut ctx = loco_rs::tests_cfg::app::get_app_context().await;
    ctx.config.initializers = Some(
        [("privates".to_string(), yaml(block))]
            .into_iter()
            .collect(),
    );
    ctx
}

fn good_block(dir: &std::path::Path, backend: &str) -> String {
    format!(
        "storage:\n  location: {d}\n  base_url: /private-media/\nsendfile:\n  backend: {backend}\n  root: {d}\n  url: /private-media/\n",
        d = dir.display()
    )
}

#[test]
fn a_full_block_parses() {
    let config = parse(
        "storage:\n  location: storage/private\n  base_url: /protected/\nsendfile:\n  backend: nginx\n  root: storage/private\n  url: /protected/\nlogin_url: /auth/login\n",
    )
    .unwrap();
    assert_eq!(
        config.storage,
        Some(StorageConfig::Local(LocalStorageConfig {
            location: "storage/private".into(),
            base_url: "/protected/".to_string(),
        }))
    );
    assert_eq!(config.sendfile.backend, Backend::Nginx);
    assert_eq!(config.sendfile.url.as_deref(), Some("/protected/"));
    assert_eq!(config.login_url.as_deref(), Some("/auth/login"));
}

#[test]
fn defaults_are_documented_values() {
    let config = parse("storage:\n  location: x\n").unwrap();
    assert_eq!(
        config.storage.unwrap().as_local().unwrap().base_url,
        "/private-media/"
    );
    assert_eq!(config.sendfile.backend, Backend::Development);
    assert_eq!(config.login_url.as_deref(), Some("/login"));
    let off = parse("storage:\n  location: x\nlogin_url: null\n").unwrap();
    assert_eq!(off.login_url, None);
}

#[test]
fn malformed_blocks_name_the_key_to_fix() {
    let cases = [
        (
            "storage:\n  locaton: x\n",
            "initializers.privates.storage",
            "locaton",
        ),
        (
            "sendfile:\n  backend: ngnix\n",
            "initializers.privates.sendfile.backend",
            "ngnix",
        ),
        (
            "sendfile:\n  rot: x\n",
            "initializers.privates.sendfile",
            "rot",
        ),
        ("storage: 3\n", "initializers.privates.storage", "expected"),
        (
            "storage:\n  location: x\n  base_url: [1]\n",
            "initializers.privates.storage.base_url",
            "expected",
        ),
        (
            "login_url: {a: 1}\n",
            "initializers.privates.login_url",
            "expected",
        ),
        ("colour: blue\n", "initializers.privates", "colour"),
        ("[1, 2]\n", "initializers.privates", "expected"),
    ];
    for (block, key, word) in cases {
        let err = parse(block).unwrap_err();
        assert!(err.contains(&format!("`{key}")), "{block:?}: {err}");
        assert!(err.contains(word), "{block:?}: {err}");
    }
}

fn ids(config: &PrivatesConfig, assets: Option<&StaticAssets>) -> Vec<&'static str> {
    checks::run(
        config,
        &Environment {
            static_assets: assets.cloned(),
            ..Environment::default()
        },
    )
    .messages
    .iter()
    .map(|m| m.id)
    .collect()
}

#[test]
fn each_check_fires_on_its_condition_only() {
    let ok = parse(
        "storage:\n  location: /srv/private\nsendfile:\n  backend: nginx\n  root: /srv/private\n  url: /private-media/\n",
    )
    .unwrap();
    assert_eq!(ids(&ok, None), Vec::<&str>::new());

    assert_eq!(
        ids(&parse("sendfile:\n  root: /srv\n").unwrap(), None),
        ["privates.E001"]
    );
    // Unset, the root is the storage location and the URL its base_url: one key is a
    // complete config.
    let mut c = ok.clone();
    c.sendfile.root = None;
    assert_eq!(ids(&c, None), Vec::<&str>::new());
    let minimal =
        parse("storage:\n  location: /srv/private\nsendfile:\n  backend: nginx\n").unwrap();
    assert_eq!(ids(&minimal, None), Vec::<&str>::new());
    let mut c = ok.clone();
    c.sendfile.root = Some("".into());
    assert_eq!(ids(&c, None), ["privates.E002"]);
    let mut c = ok.clone();
    c.sendfile.root = Some("/srv/other".into());
    assert_eq!(ids(&c, None), ["privates.W002"]);
    let mut c = ok.clone();
    c.sendfile.url = None;
    assert_eq!(ids(&c, None), Vec::<&str>::new());
    c.sendfile.url = Some(String::new());
    assert_eq!(ids(&c, None), ["privates.E003"]);
    // Only nginx needs a URL.
    c.sendfile.backend = Backend::Apache;
    assert_eq!(ids(&c, None), Vec::<&str>::new());
    let mut c = ok.clone();
    c.sendfile.url = Some("/protected/".to_string());
    assert_eq!(ids(&c, None), ["privates.W003"]);
    let c = parse(
        "storage:\n  location: /srv/private\nsendfile:\n  root: /srv/private\npublic_media:\n  location: /srv/private/\n",
    )
    .unwrap();
    assert_eq!(ids(&c, None), ["privates.W001"]);
    let mut c = ok.clone();
    if let Some(StorageConfig::Local(local)) = &mut c.storage {
        local.base_url = "private-media".to_string();
    }
    assert_eq!(ids(&c, None), ["privates.E103", "privates.W003"]);
    let mut c = ok.clone();
    c.login_url = Some("https://evil.example/login".to_string());
    assert_eq!(ids(&c, None), ["privates.E103"]);
}

#[test]
fn static_assets_overlap_is_an_error() {
    let ok = parse(
        "storage:\n  location: /srv/app/assets/static/private\n  base_url: /static/private/\nsendfile:\n  root: /srv/app/assets/static/private\n",
    )
    .unwrap();
    let assets = StaticAssets {
        folder: "/srv/app/assets/static".into(),
        uri: "/static".to_string(),
    };
    assert_eq!(ids(&ok, Some(&assets)), ["privates.E101", "privates.E102"]);
    // The other way round: the static folder inside the private location.
    let assets = StaticAssets {
        folder: "/srv/app/assets/static/private/public".into(),
        uri: "/assets".to_string(),
    };
    assert_eq!(ids(&ok, Some(&assets)), ["privates.E101"]);
    // `..` does not hide an overlap.
    let assets = StaticAssets {
        folder: "/srv/app/x/../assets/static".into(),
        uri: "/".to_string(),
    };
    assert_eq!(ids(&ok, Some(&assets)), ["privates.E101"]);
    let apart = StaticAssets {
        folder: "/srv/app/assets/public".into(),
        uri: "/static-files".to_string(),
    };
    assert_eq!(ids(&ok, Some(&apart)), Vec::<&str>::new());
}

#[test]
fn messages_name_the_key_and_the_fix() {
    let report = checks::run(&PrivatesConfig::default(), &Environment::default());
    let text = report.to_string();
    assert!(text.contains("privates.E001"), "{text}");
    assert!(
        text.contains("initializers.privates.storage.location"),
        "{text}"
    );
    assert!(text.contains("Fix: add `storage:"), "{text}");
    assert!(report.has_errors());
    assert!(report.errors().all(|m| m.level == Level::Error));
}

#[tokio::test]
async fn boot_installs_the_handle() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = ctx_with(&good_block(dir.path(), "apache")).await;
    PrivatesInitializer::new(HeaderUsers)
        .before_run(&ctx)
        .await
        .unwrap();
    let privates = Privates::from_ctx(&ctx).unwrap();
    assert_eq!(privates.config().sendfile.backend, Backend::Apache);
    assert_eq!(privates.files().as_local().unwrap().location(), dir.path());
}

#[tokio::test]
async fn boot_stops_on_a_failed_check_naming_the_key() {
    let ctx = ctx_with("sendfile:\n  backend: nginx\n  root: ''\n  url: ''\n").await;
    let err = PrivatesInitializer::new(HeaderUsers)
        .before_run(&ctx)
        .await
        .unwrap_err()
        .to_string();
    for needle in [
        "privates.E001",
        "initializers.privates.storage.location",
        "privates.E002",
        "initializers.privates.sendfile.root",
        "privates.E003",
    ] {
        assert!(err.contains(needle), "{needle} missing from: {err}");
    }
    assert!(Privates::from_ctx(&ctx).is_err());
}

#[tokio::test]
async fn boot_stops_on_a_malformed_block() {
    let ctx = ctx_with("storage:\n  location: x\n  baseurl: /p/\n").await;
    let err = PrivatesInitializer::new(HeaderUsers)
        .before_run(&ctx)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("initializers.privates.storage"), "{err}");
    assert!(err.contains("baseurl"), "{err}");
}

#[tokio::test]
async fn doctor_reports_the_checks() {
    let dir = tempfile::tempdir().unwrap();
    let initializer = PrivatesInitializer::new(HeaderUsers);
    let ok = initializer
        .check(&ctx_with(&good_block(dir.path(), "nginx")).await)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ok.status, CheckStatus::Ok);
    let bad = initializer
        .check(&ctx_with("sendfile: {}\n").await)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bad.status, CheckStatus::NotOk);
    assert!(bad.description.unwrap().contains("privates.E001"));
}

#[tokio::test]
async fn the_task_fails_on_errors_and_passes_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let vars = Vars::default();
    assert_eq!(PrivatesCheck.task().name, "privates_check");
    PrivatesCheck
        .run(&ctx_with(&good_block(dir.path(), "lighttpd")).await, &vars)
        .await
        .unwrap();
    let err = PrivatesCheck
        .run(
            &ctx_with("storage:\n  location: x\nsendfile:\n  root: ''\n").await,
            &vars,
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("privates.E002"), "{err}");
}

/// Boot, `cargo loco doctor` and the task run one set of checks with loco's config: the share
/// key equal to loco's JWT secret (`privates.E208`) stops the boot too. The key is 32 bytes of
/// valid base64, so `privates.E207` cannot stand in for it.
#[tokio::test]
async fn boot_refuses_a_share_key_that_is_the_jwt_secret() {
    const KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
    let dir = tempfile::tempdir().unwrap();
    let block = format!(
        "{}share:\n  key: {KEY}\n",
        good_block(dir.path(), "development")
    );
    let with_secret = |secret: &str| {
        let secret = secret.to_string();
        let block = block.clone();
        async move {
            let mut ctx = ctx_with(&block).await;
            ctx.config.auth = Some(loco_rs::config::Auth {
                jwt: Some(loco_rs::config::JWT {
                    location: None,
                    secret,
                    expiration: 3600,
                }),
            });
            ctx
        }
    };
    let ctx = with_secret(KEY).await;
    let err = PrivatesInitializer::new(HeaderUsers)
        .before_run(&ctx)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("privates.E208"), "{err}");
    assert!(!err.contains("privates.E207"), "{err}");
    assert!(Privates::from_ctx(&ctx).is_err(), "nothing installed");
    let doctor = PrivatesInitializer::new(HeaderUsers)
        .check(&ctx)
        .await
        .unwrap()
        .unwrap();
    assert!(
        doctor
            .description
            .as_deref()
            .is_some_and(|d| d.contains("privates.E208")),
        "{:?}",
        doctor.description
    );
    // Another secret boots.
    let ctx = with_secret("c2Vzc2lvbnMtaGF2ZS10aGVpci1vd24tc2VjcmV0LWtleS0xMjM0").await;
    PrivatesInitializer::new(HeaderUsers)
        .before_run(&ctx)
        .await
        .unwrap();
    assert!(Privates::from_ctx(&ctx).is_ok());
}

/// A hand-written model whose `upload_to` the storage would refuse (the derive refuses it at
/// compile time).
#[derive(Debug)]
struct Handmade {
    id: i32,
    scan: String,
}

static ESCAPING: privates::FieldSpec = privates::FieldSpec {
    upload_to: privates::UploadTo::Pattern("../%Y/"),
    ..privates::FieldSpec::file("scan")
};
static HANDMADE_FIELDS: [privates::Field<Handmade>; 1] = [privates::Field {
    spec: &ESCAPING,
    get: |m| Some(m.scan.as_str()),
}];

impl privates::PrivateMedia for Handmade {
    type Pk = i32;
    const APP: &'static str = "docs";
    const MODEL: &'static str = "handmade";
    const PERMISSION: &'static str = "docs.can_change_handmade";
    fn fields() -> &'static [privates::Field<Self>] {
        &HANDMADE_FIELDS
    }
    fn pk(&self) -> i32 {
        self.id
    }
}

#[tokio::test]
async fn boot_checks_the_registered_models_upload_to() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = ctx_with(&good_block(dir.path(), "development")).await;
    let initializer = PrivatesInitializer::new(HeaderUsers).model::<Handmade>();
    let err = initializer.before_run(&ctx).await.unwrap_err().to_string();
    assert!(err.contains("privates.E301"), "{err}");
    assert!(err.contains("docs.handmade.scan"), "{err}");
    assert!(Privates::from_ctx(&ctx).is_err(), "nothing installed");
    let doctor = initializer.check(&ctx).await.unwrap().unwrap();
    assert_eq!(doctor.status, CheckStatus::NotOk);
    assert!(
        doctor
            .description
            .as_deref()
            .is_some_and(|d| d.contains("privates.E301")),
        "{:?}",
        doctor.description
    );
    // Unregistered, it is not judged (derived models were checked when they compiled).
    let _ = Handmade {
        id: 1,
        scan: String::new(),
    };
    PrivatesInitializer::new(HeaderUsers)
        .before_run(&ctx)
        .await
        .unwrap();
}

/// A misspelled block name is named, not read as "no storage configured".
#[tokio::test]
async fn a_misspelled_block_name_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut ctx = ctx_with(&good_block(dir.path(), "development")).await;
    let block = ctx
        .config
        .initializers
        .as_mut()
        .unwrap()
        .remove("privates")
        .unwrap();
    ctx.config
        .initializers
        .as_mut()
        .unwrap()
        .insert("privatse".to_string(), block);
    let err = PrivatesInitializer::new(HeaderUsers)
        .before_run(&ctx)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("initializers.privatse"), "{err}");
    assert!(err.contains("did you mean `privates`"), "{err}");
    assert!(!err.contains("privates.E001"), "{err}");
    // Another initializer's block is not mistaken for ours.
    let block = ctx
        .config
        .initializers
        .as_mut()
        .unwrap()
        .remove("privatse")
        .unwrap();
    ctx.config
        .initializers
        .as_mut()
        .unwrap()
        .insert("oauth2".to_string(), block);
    let err = PrivatesInitializer::new(HeaderUsers)
        .before_run(&ctx)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("privates.E001"), "{err}");
}
