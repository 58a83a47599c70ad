//! The test tools: the temporary private root and the response assertions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Doc, HeaderUsers, World};
use privates::{Privates, PrivatesConfig, routing::model_routes, sendfile::Backend};
use privates_testing::{
    TempPrivateRoot, assert_offloaded, assert_streams, assert_x_accel_redirect, assert_x_sendfile,
};

#[test]
fn the_root_is_removed_on_drop() {
    let root = TempPrivateRoot::new().unwrap();
    let path = root.path().to_path_buf();
    std::fs::write(path.join("a.pdf"), b"x").unwrap();
    assert!(path.is_dir());
    drop(root);
    assert!(!path.exists());
}

#[test]
fn the_root_is_removed_when_the_test_panics() {
    let (tx, rx) = std::sync::mpsc::channel();
    let outcome = std::thread::spawn(move || {
        let root = TempPrivateRoot::new().unwrap();
        std::fs::write(root.path().join("a.pdf"), b"x").unwrap();
        tx.send(root.path().to_path_buf()).unwrap();
        panic!("the test failed");
    })
    .join();
    assert!(outcome.is_err());
    let path = rx.recv().unwrap();
    assert!(!path.exists(), "{} outlived the panic", path.display());
}

#[test]
fn parallel_roots_never_share_a_folder() {
    let roots: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..16)
            .map(|_| scope.spawn(|| TempPrivateRoot::new().unwrap()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut paths: Vec<_> = roots.iter().map(|r| r.path().to_path_buf()).collect();
    paths.sort();
    paths.dedup();
    assert_eq!(paths.len(), 16);
}

#[tokio::test]
async fn install_moves_the_installed_handle_into_the_root() {
    let ctx = loco_rs::tests_cfg::app::get_app_context().await;
    let first = TempPrivateRoot::new().unwrap();
    let mut config = PrivatesConfig::default();
    config.sendfile.backend = Backend::Nginx;
    first.apply(&mut config);
    Privates::new(config, HeaderUsers).unwrap().install(&ctx);

    let second = TempPrivateRoot::new().unwrap();
    let moved = second.install(&ctx).unwrap();
    assert_eq!(moved.files().as_local().unwrap().location(), second.path());
    assert_eq!(moved.config().sendfile.backend, Backend::Nginx);
    assert_eq!(
        Privates::from_ctx(&ctx)
            .unwrap()
            .files()
            .as_local()
            .unwrap()
            .location(),
        second.path()
    );
    let saved = moved
        .files()
        .save(
            "a.txt",
            futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from_static(
                b"hello",
            ))]),
        )
        .await
        .unwrap();
    assert_eq!(std::fs::read(second.path().join(saved)).unwrap(), b"hello");
}

#[tokio::test]
async fn install_without_a_handle_says_what_to_do() {
    let ctx = loco_rs::tests_cfg::app::get_app_context().await;
    let err = TempPrivateRoot::new().unwrap().install(&ctx).unwrap_err();
    assert!(err.to_string().contains("PrivatesInitializer"), "{err}");
}

async fn doc_world(backend: Backend) -> World {
    let world = World::start(backend, model_routes::<Doc>()).await;
    world.write("docs/a b.pdf", b"%PDF a");
    world.write("docs/other.pdf", b"%PDF other");
    world.table(vec![(
        "1".to_string(),
        Doc {
            id: 1,
            pdf: Some("docs/a b.pdf".to_string()),
            scan: "docs/other.pdf".to_string(),
            secret: String::new(),
        },
    )]);
    world
}

async fn fetch(world: &World) -> (http::response::Parts, Vec<u8>) {
    let response = world
        .get("/admin/docs/iddocument/1/pdf/", Some("clerk"), &[])
        .await;
    let mut builder = http::Response::builder().status(response.status());
    for (name, value) in response.headers() {
        builder = builder.header(name, value);
    }
    let body = response.bytes().await.unwrap().to_vec();
    let (parts, ()) = builder.body(()).unwrap().into_parts();
    (parts, body)
}

#[tokio::test]
async fn offload_assertions_pass_for_the_served_file() {
    let world = doc_world(Backend::Nginx).await;
    let (parts, _) = fetch(&world).await;
    assert_x_accel_redirect(&parts, &world.privates, "docs/a b.pdf").await;
    assert_offloaded(&parts, &world.privates, "docs/a b.pdf").await;

    let world = doc_world(Backend::Apache).await;
    let (parts, _) = fetch(&world).await;
    assert_x_sendfile(&parts, &world.privates, "docs/a b.pdf").await;
}

#[tokio::test]
#[should_panic(expected = "expected `x-accel-redirect")]
async fn offload_assertion_fails_for_another_file() {
    let world = doc_world(Backend::Nginx).await;
    let (parts, _) = fetch(&world).await;
    assert_x_accel_redirect(&parts, &world.privates, "docs/other.pdf").await;
}

#[tokio::test]
#[should_panic(expected = "expected a 200")]
async fn offload_assertion_fails_for_a_refusal() {
    let world = doc_world(Backend::Nginx).await;
    let response = world
        .get("/admin/docs/iddocument/1/pdf/", Some("viewer"), &[])
        .await;
    let (parts, ()) = http::Response::builder()
        .status(response.status())
        .body(())
        .unwrap()
        .into_parts();
    assert_offloaded(&parts, &world.privates, "docs/a b.pdf").await;
}

#[tokio::test]
async fn stream_assertion_passes_for_the_bytes() {
    let world = doc_world(Backend::Development).await;
    let (parts, body) = fetch(&world).await;
    assert_streams(&parts, &body, &world.privates, "docs/a b.pdf").await;
}

#[tokio::test]
#[should_panic(expected = "differs from the bytes")]
async fn stream_assertion_fails_for_other_bytes() {
    let world = doc_world(Backend::Development).await;
    let (parts, _) = fetch(&world).await;
    assert_streams(&parts, b"%PDF-x", &world.privates, "docs/a b.pdf").await;
}

mod decorator {
    use privates_testing::{TempPrivateRoot, temp_private_root};

    #[temp_private_root]
    #[test]
    fn gives_the_test_its_own_root(root: TempPrivateRoot) {
        assert!(root.path().is_dir());
        let name = root
            .path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_string();
        assert!(name.starts_with("privates-test-"), "{name}");
    }

    #[temp_private_root]
    #[tokio::test]
    async fn works_with_tokio_tests(root: TempPrivateRoot) {
        tokio::fs::write(root.path().join("a.txt"), b"x")
            .await
            .unwrap();
        assert!(root.path().join("a.txt").is_file());
    }

    // The guard of a panicking test is dropped during unwinding: the folder goes too.
    static LEFT_BEHIND: std::sync::Mutex<Option<std::path::PathBuf>> = std::sync::Mutex::new(None);

    #[temp_private_root]
    fn panics_with_a_root(root: TempPrivateRoot) {
        *LEFT_BEHIND.lock().unwrap() = Some(root.path().to_path_buf());
        panic!("boom");
    }

    #[test]
    fn the_decorated_root_goes_when_the_test_panics() {
        assert!(std::panic::catch_unwind(panics_with_a_root).is_err());
        let path = LEFT_BEHIND.lock().unwrap().clone().unwrap();
        assert!(!path.exists(), "{} survived", path.display());
    }
}
