//! The URL shapes privates accepts and builds (`privates::urls`).

use privates::urls::{UrlShape, check_url_path, field_path, file_url, login_redirect};

#[test]
fn url_shapes() {
    for url in ["/", "/private-media/", "/a%20b/"] {
        assert_eq!(check_url_path(url, UrlShape::Folder), Ok(()), "{url}");
    }
    for url in [
        "private/",
        "/private",
        "",
        "/a b/",
        "/a?b/",
        "/a#/",
        "/é/",
        "/a\r\n/",
        "//x/",
        "/\\evil.example/",
    ] {
        assert!(check_url_path(url, UrlShape::Folder).is_err(), "{url}");
    }
    for url in ["/login", "/login?x=1", "/"] {
        assert_eq!(check_url_path(url, UrlShape::Page), Ok(()), "{url}");
    }
    for url in ["login", "//evil", "/\\evil", "/log in", "https://x/login"] {
        assert!(check_url_path(url, UrlShape::Page).is_err(), "{url}");
    }
}

#[test]
fn paths() {
    assert_eq!(
        field_path("/admin/", "docs", "doc", "a%2Fb", "pdf"),
        "/admin/docs/doc/a%2Fb/pdf/"
    );
    assert_eq!(field_path("", "a b", "m", "{pk}", "f"), "/a%20b/m/{pk}/f/");
    assert_eq!(file_url("/p/", "é.txt"), "/p/%C3%A9.txt");
    assert_eq!(
        login_redirect("/login", "/a/b?c"),
        "/login?next=%2Fa%2Fb%3Fc"
    );
    assert_eq!(login_redirect("/login?x=1", "/"), "/login?x=1&next=%2F");
}
