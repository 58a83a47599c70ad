use loco_rs::app::AppContext;
use privates::{FindByPk, PrivateMedia};

#[derive(PrivateMedia)]
pub struct Doc {
    pub id: i32,
    #[private_media(file)]
    pub pdf: String,
}

#[async_trait::async_trait]
impl FindByPk for Doc {
    async fn find_by_pk(_: &AppContext, _: &i32) -> loco_rs::Result<Option<Self>> {
        Ok(None)
    }
}

fn main() {
    let _ = Doc::PFD;
    let doc = Doc { id: 1, pdf: String::new() };
    let _ = doc.pfd_url();
}
