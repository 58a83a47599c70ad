//! The configuration checks of the S3 storage and the share links, `privates.E201`–`E211`: each
//! fires on its condition only, and its message names the key to fix and the fix.
//!
//! `E203` reads the environment; this binary never changes its own (no `unsafe`): the test of
//! `E203` reruns itself in child processes with the environment it needs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Command;

use common::HeaderUsers;
use loco_rs::app::Initializer;
use privates::{
    PrivatesConfig, PrivatesInitializer,
    checks::{self, CheckMessage, Environment, Level},
    config::{S3Credentials, S3StorageConfig, ShareConfig, StorageConfig},
    sendfile::Backend,
};

/// `0123456789abcdef0123456789abcdef`, base64: a valid 32-byte share key.
const SHARE_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

/// A valid S3 configuration (credentials set in code), read from YAML.
fn s3_ok(backend: &str) -> PrivatesConfig {
    let yaml = format!(
        "storage:\n  backend: s3\n  bucket: myapp-private\n  region: eu-west-1\n  endpoint: https://s3.example.internal:9000\n  prefix: private/\nsendfile:\n  backend: {backend}\n  expires: 60\n"
    );
    let mut config =
        PrivatesConfig::from_value(&serde_yaml::from_str::<serde_json::Value>(&yaml).unwrap())
            .unwrap();
    storage(&mut config).credentials = Some(S3Credentials {
        access_key_id: "AKIDEXAMPLE".to_string(),
        secret_access_key: "secret".to_string(),
        session_token: None,
    });
    config
}

fn storage(config: &mut PrivatesConfig) -> &mut S3StorageConfig {
    let Some(StorageConfig::S3(s3)) = &mut config.storage else {
        panic!("an s3 storage")
    };
    s3
}

fn ids(config: &PrivatesConfig) -> Vec<&'static str> {
    checks::run(config, &Environment::process())
        .messages
        .iter()
        .map(|m| m.id)
        .collect()
}

/// The single finding of `config`, which must be `id`, an error about `key`.
fn only(config: &PrivatesConfig, id: &str, key: &str) -> CheckMessage {
    let report = checks::run(config, &Environment::process());
    assert_eq!(
        report.messages.iter().map(|m| m.id).collect::<Vec<_>>(),
        [id],
        "{report}"
    );
    let message = report.messages[0].clone();
    assert_eq!(message.level, Level::Error, "{message}");
    assert_eq!(message.key, key, "{message}");
    assert!(report.has_errors());
    // The line printed at boot, in doctor and by the task names the id, the key and the fix.
    let text = report.to_string();
    assert!(text.contains(id), "{text}");
    assert!(text.contains(&format!("(key `{key}`)")), "{text}");
    assert!(text.contains(&format!("Fix: {}", message.hint)), "{text}");
    message
}

#[test]
fn a_good_s3_configuration_passes() {
    for backend in ["redirect", "stream"] {
        assert_eq!(ids(&s3_ok(backend)), Vec::<&str>::new(), "{backend}");
    }
    // No endpoint (AWS itself) and no prefix are fine too.
    let mut config = s3_ok("redirect");
    storage(&mut config).endpoint = None;
    storage(&mut config).prefix = None;
    assert_eq!(ids(&config), Vec::<&str>::new());
    // The local-storage checks do not apply: no `sendfile.root` (E002) or URL (E003) needed.
    assert!(config.sendfile.root.is_none() && config.sendfile.url.is_none());
}

#[test]
fn e201_no_bucket() {
    for bucket in [None, Some(String::new()), Some("  ".to_string())] {
        let mut config = s3_ok("redirect");
        storage(&mut config).bucket = bucket;
        let message = only(
            &config,
            "privates.E201",
            "initializers.privates.storage.bucket",
        );
        assert!(message.message.contains("no bucket"), "{message}");
        assert!(message.hint.contains("set `storage.bucket`"), "{message}");
    }
}

#[test]
fn e202_no_region() {
    for region in [None, Some(String::new())] {
        let mut config = s3_ok("stream");
        storage(&mut config).region = region;
        let message = only(
            &config,
            "privates.E202",
            "initializers.privates.storage.region",
        );
        assert!(message.message.contains("no region"), "{message}");
        assert!(
            message.hint.contains("set `storage.region`") && message.hint.contains("us-east-1"),
            "{message}"
        );
    }
}

/// The child processes of [`e203_no_credentials_in_the_config_or_the_environment`].
const CHILD: &str = "PRIVATES_S3_CHECKS_CHILD";
const E203_TEST: &str = "e203_no_credentials_in_the_config_or_the_environment";

#[test]
fn e203_no_credentials_in_the_config_or_the_environment() {
    let mut config = s3_ok("redirect");
    storage(&mut config).credentials = None;
    match std::env::var(CHILD).as_deref() {
        // In a child whose environment the parent set up (below).
        Ok("none" | "key-only" | "empty") => {
            let message = only(&config, "privates.E203", "AWS_ACCESS_KEY_ID");
            assert!(message.message.contains("no credentials"), "{message}");
            assert!(
                message.hint.contains("AWS_ACCESS_KEY_ID")
                    && message.hint.contains("AWS_SECRET_ACCESS_KEY")
                    && message.hint.contains("environment"),
                "{message}"
            );
            return;
        }
        Ok("both") => {
            assert_eq!(ids(&config), Vec::<&str>::new());
            return;
        }
        Ok(other) => panic!("unknown {CHILD}={other}"),
        Err(_) => {}
    }
    let cases: [(&str, &[(&str, &str)]); 4] = [
        ("none", &[]),
        (
            "key-only",
            &[(S3Credentials::ACCESS_KEY_ID_VAR, "AKIDEXAMPLE")],
        ),
        (
            "empty",
            &[
                (S3Credentials::ACCESS_KEY_ID_VAR, ""),
                (S3Credentials::SECRET_ACCESS_KEY_VAR, ""),
            ],
        ),
        (
            "both",
            &[
                (S3Credentials::ACCESS_KEY_ID_VAR, "AKIDEXAMPLE"),
                (S3Credentials::SECRET_ACCESS_KEY_VAR, "secret"),
            ],
        ),
    ];
    for (case, vars) in cases {
        let mut child = Command::new(std::env::current_exe().unwrap());
        child
            .args([
                E203_TEST,
                "--exact",
                "--include-ignored",
                "--test-threads=1",
            ])
            .env(CHILD, case)
            .env_remove(S3Credentials::ACCESS_KEY_ID_VAR)
            .env_remove(S3Credentials::SECRET_ACCESS_KEY_VAR)
            .env_remove(S3Credentials::SESSION_TOKEN_VAR);
        for (name, value) in vars {
            child.env(name, value);
        }
        let output = child.output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success() && stdout.contains("1 passed"),
            "case {case}:\n{stdout}\n{stderr}"
        );
    }
    // Credentials set in code need no environment.
    assert_eq!(ids(&s3_ok("redirect")), Vec::<&str>::new());
}

#[test]
fn e204_a_local_file_backend_over_s3() {
    for backend in [
        Backend::Development,
        Backend::Nginx,
        Backend::Apache,
        Backend::Lighttpd,
    ] {
        let mut config = s3_ok("redirect");
        config.sendfile.backend = backend;
        let message = only(
            &config,
            "privates.E204",
            "initializers.privates.sendfile.backend",
        );
        assert!(
            message
                .message
                .contains(&format!("`{}` sendfile backend", backend.name()))
                && message.message.contains("the storage is s3"),
            "{message}"
        );
        assert!(
            message.hint.contains("`sendfile.backend: redirect`")
                && message.hint.contains("`stream`"),
            "{message}"
        );
    }
}

#[test]
fn e205_an_object_store_backend_over_local_files() {
    for backend in ["redirect", "stream"] {
        let yaml = format!(
            "storage:\n  location: /srv/private\nsendfile:\n  backend: {backend}\n  root: /srv/private\n"
        );
        let config =
            PrivatesConfig::from_value(&serde_yaml::from_str::<serde_json::Value>(&yaml).unwrap())
                .unwrap();
        let message = only(
            &config,
            "privates.E205",
            "initializers.privates.sendfile.backend",
        );
        assert!(
            message
                .message
                .contains(&format!("`{backend}` sendfile backend"))
                && message.message.contains("the storage is local"),
            "{message}"
        );
        assert!(
            message.hint.contains("`nginx`") && message.hint.contains("`storage.backend: s3`"),
            "{message}"
        );
    }
}

#[test]
fn e206_expires_outside_sigv4_limits() {
    for expires in [0, 604_801, u64::MAX] {
        let mut config = s3_ok("redirect");
        config.sendfile.expires = expires;
        let message = only(
            &config,
            "privates.E206",
            "initializers.privates.sendfile.expires",
        );
        assert!(
            message.message.contains(&format!("{expires} s")),
            "{message}"
        );
        assert!(
            message.hint.contains("1..=604800 seconds") && message.hint.contains("default 60"),
            "{message}"
        );
    }
    // The bounds themselves are fine, with either object-store backend.
    for (expires, backend) in [(1, "redirect"), (604_800, "stream")] {
        let mut config = s3_ok(backend);
        config.sendfile.expires = expires;
        assert_eq!(ids(&config), Vec::<&str>::new(), "{expires}");
    }
}

#[test]
fn e207_a_malformed_or_short_share_key() {
    for (key, says) in [
        ("not a key!", "neither hex nor base64"),
        // 16 bytes, base64 and hex.
        ("MDEyMzQ1Njc4OWFiY2RlZg==", "16 bytes"),
        ("00112233445566778899aabbccddeeff", "16 bytes"),
    ] {
        let mut config = s3_ok("redirect");
        config.share = Some(ShareConfig {
            key: key.to_string(),
            max_ttl: 60,
        });
        let message = only(&config, "privates.E207", "initializers.privates.share.key");
        assert!(message.message.contains(says), "{key}: {message}");
        assert!(
            message.hint.contains("openssl rand -base64 32")
                && message.hint.contains("PRIVATES_SHARE_KEY"),
            "{message}"
        );
    }
    // 32 bytes, as base64, URL-safe base64 without padding, and hex.
    for key in [
        SHARE_KEY,
        "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY",
        "3031323334353637383961626364656630313233343536373839616263646566",
    ] {
        let mut config = s3_ok("redirect");
        config.share = Some(ShareConfig {
            key: key.to_string(),
            max_ttl: 60,
        });
        assert_eq!(ids(&config), Vec::<&str>::new(), "{key}");
    }
}

fn loco_with_jwt_secret(secret: &str) -> loco_rs::config::Config {
    let mut loco = loco_rs::tests_cfg::config::test_config();
    loco.auth = Some(loco_rs::config::Auth {
        jwt: Some(loco_rs::config::JWT {
            location: None,
            secret: secret.to_string(),
            expiration: 3600,
        }),
    });
    loco
}

#[test]
fn e208_the_share_key_is_the_jwt_secret() {
    let mut config = s3_ok("redirect");
    config.share = Some(ShareConfig {
        key: SHARE_KEY.to_string(),
        max_ttl: 60,
    });
    let report = checks::run(
        &config,
        &Environment::from_loco(&loco_with_jwt_secret(&format!(" {SHARE_KEY}\n")), &[]),
    );
    assert_eq!(
        report.messages.iter().map(|m| m.id).collect::<Vec<_>>(),
        ["privates.E208"],
        "{report}"
    );
    let message = &report.messages[0];
    assert_eq!(message.key, "initializers.privates.share.key");
    assert_eq!(message.level, Level::Error);
    assert!(message.message.contains("JWT secret"), "{message}");
    assert!(
        message.hint.contains("a key of their own") && message.hint.contains("openssl rand"),
        "{message}"
    );
    assert!(
        report.to_string().contains("Fix: give share links"),
        "{report}"
    );
    // Another secret, or no JWT at all, is fine.
    let other = "c2Vzc2lvbnMtaGF2ZS10aGVpci1vd24tc2VjcmV0LWtleS0xMjM0";
    assert!(
        !checks::run(
            &config,
            &Environment::from_loco(&loco_with_jwt_secret(other), &[])
        )
        .has_errors()
    );
    assert!(
        !checks::run(
            &config,
            &Environment::from_loco(&loco_rs::tests_cfg::config::test_config(), &[])
        )
        .has_errors()
    );
}

#[test]
fn e209_an_endpoint_that_is_not_an_http_url() {
    for endpoint in ["minio.internal:9000", "ftp://minio.internal", "s3://bucket"] {
        let mut config = s3_ok("stream");
        storage(&mut config).endpoint = Some(endpoint.to_string());
        let message = only(
            &config,
            "privates.E209",
            "initializers.privates.storage.endpoint",
        );
        assert!(
            message
                .message
                .contains(&format!("`{endpoint}` is not an http(s) URL")),
            "{message}"
        );
        assert!(message.hint.contains("https://"), "{message}");
    }
    // A blank endpoint is no endpoint (AWS itself), as for the storage.
    for endpoint in [
        "http://127.0.0.1:9000",
        "https://s3.eu-west-1.amazonaws.com",
        "",
        " ",
    ] {
        let mut config = s3_ok("stream");
        storage(&mut config).endpoint = Some(endpoint.to_string());
        assert_eq!(ids(&config), Vec::<&str>::new(), "{endpoint}");
    }
}

#[test]
fn every_s3_finding_is_reported_at_once_errors_sorted() {
    let mut config = s3_ok("redirect");
    storage(&mut config).bucket = None;
    storage(&mut config).region = None;
    storage(&mut config).endpoint = Some("minio:9000".to_string());
    config.sendfile.backend = Backend::Nginx;
    config.sendfile.expires = 0;
    config.share = Some(ShareConfig {
        key: "short".to_string(),
        max_ttl: 60,
    });
    assert_eq!(
        ids(&config),
        [
            "privates.E201",
            "privates.E202",
            "privates.E204",
            "privates.E206",
            "privates.E207",
            "privates.E209",
        ]
    );
}

#[tokio::test]
async fn boot_stops_on_nginx_over_s3_with_the_fix() {
    let mut ctx = loco_rs::tests_cfg::app::get_app_context().await;
    let block = "storage:\n  backend: s3\n  region: eu-west-1\nsendfile:\n  backend: nginx\n  url: /private-media/\n";
    ctx.config.initializers = Some(
        [(
            "privates".to_string(),
            serde_yaml::from_str::<serde_json::Value>(block).unwrap(),
        )]
        .into_iter()
        .collect(),
    );
    let err = PrivatesInitializer::new(HeaderUsers)
        .before_run(&ctx)
        .await
        .unwrap_err()
        .to_string();
    for needle in [
        "privates.E201",
        "initializers.privates.storage.bucket",
        "privates.E204",
        "the `nginx` sendfile backend serves local files, but the storage is s3",
        "Fix: use `sendfile.backend: redirect`",
    ] {
        assert!(err.contains(needle), "{needle} missing from: {err}");
    }
    assert!(privates::Privates::from_ctx(&ctx).is_err());
}

#[test]
fn e210_a_zero_s3_timeout() {
    let mut config = s3_ok("redirect");
    storage(&mut config).timeout = 0;
    let message = only(
        &config,
        "privates.E210",
        "initializers.privates.storage.timeout",
    );
    assert!(message.hint.contains("30"), "{message}");
    // One second is a (short) timeout, not an error.
    storage(&mut config).timeout = 1;
    assert_eq!(ids(&config), Vec::<&str>::new());
}

#[test]
fn e211_a_zero_share_max_ttl() {
    let mut config = s3_ok("redirect");
    config.share = Some(ShareConfig {
        key: SHARE_KEY.to_string(),
        max_ttl: 0,
    });
    let message = only(
        &config,
        "privates.E211",
        "initializers.privates.share.max_ttl",
    );
    assert!(message.hint.contains("remove `share`"), "{message}");
    config.share = Some(ShareConfig {
        key: SHARE_KEY.to_string(),
        max_ttl: 1,
    });
    assert_eq!(ids(&config), Vec::<&str>::new());
}
