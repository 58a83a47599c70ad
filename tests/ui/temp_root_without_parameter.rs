use privates_testing::temp_private_root;

#[temp_private_root]
fn needs_the_guard_parameter() {}

#[temp_private_root]
fn takes_one_guard_only(a: privates_testing::TempPrivateRoot, b: privates_testing::TempPrivateRoot) {}

#[temp_private_root(krate = "x")]
fn unknown_argument(root: privates_testing::TempPrivateRoot) {}

#[temp_private_root]
fn wrong_guard_type(root: String) {}

fn main() {}
