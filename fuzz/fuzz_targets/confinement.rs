//! A fuzzed name, in a root with symlinks planted to the outside, never resolves outside it.
#![no_main]

use std::{io::Read, path::PathBuf, sync::OnceLock};

use libfuzzer_sys::fuzz_target;
use privates::storage::LocalStorage;

struct Planted {
    _dir: tempfile::TempDir,
    root: PathBuf,
    storage: LocalStorage,
    runtime: tokio::runtime::Runtime,
}

fn planted() -> &'static Planted {
    static PLANTED: OnceLock<Planted> = OnceLock::new();
    PLANTED.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("root");
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(root.join("inside")).expect("root");
        std::fs::create_dir_all(&outside).expect("outside");
        std::fs::write(root.join("inside/file"), b"inside").expect("file");
        std::fs::write(outside.join("secret"), b"SECRET").expect("secret");
        std::os::unix::fs::symlink(outside.join("secret"), root.join("link_out")).expect("link");
        std::os::unix::fs::symlink("../outside", root.join("dir_out")).expect("dir link");
        let storage = LocalStorage::new(&root, "/p/").expect("storage");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let root = root.canonicalize().expect("canonical root");
        Planted { _dir: dir, root, storage, runtime }
    })
}

fuzz_target!(|name: &str| {
    let fx = planted();
    fx.runtime.block_on(async {
        if let Ok(mut opened) = fx.storage.open(name).await {
            let mut bytes = Vec::new();
            let _ = opened.file.read_to_end(&mut bytes);
            assert_ne!(bytes, b"SECRET", "{name:?} reached the outside file");
            let real = opened.path.canonicalize().expect("opened path exists");
            assert!(real.starts_with(&fx.root), "{name:?} -> {real:?}");
        }
        if let Ok(path) = fx.storage.path(name).await {
            assert!(path.starts_with(fx.storage.location()), "{name:?} -> {path:?}");
        }
    });
});
