use privates::PrivateMedia;

#[derive(PrivateMedia)]
pub struct Doc {
    pub id: i32,
    #[private_media(file)]
    pub pdf: String,
}

fn main() {
    // Everything but the routes works without `FindByPk`.
    let doc = Doc { id: 1, pdf: "a.pdf".to_owned() };
    let _ = doc.pdf_url();
    let _ = privates::routing::model_routes::<Doc>();
}
