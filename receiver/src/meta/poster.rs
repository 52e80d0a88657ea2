//! Posters in the library: `<content_id>.jpg` as fetched, and `<content_id>.card.jpg`, resized
//! once to 342 px wide, for the cards of a listing.

use std::io::Cursor;

use image::ImageFormat;
use image::codecs::jpeg::JpegEncoder;
use store::config::Root;
use store::{ContentId, FileKind, NewLibraryFile, layout};

/// The width of the poster on cards.
pub const CARD_WIDTH: u32 = 342;

#[derive(Debug, thiserror::Error)]
pub enum PosterError {
    #[error("the poster is not an image: {0}")]
    Decode(#[from] image::ImageError),
    #[error("writing the poster: {0}")]
    Io(#[from] std::io::Error),
}

/// Writes the poster and its card version (atomically) and answers their rows, to record.
pub fn store_poster(
    root: &Root,
    id: &ContentId,
    bytes: &[u8],
) -> Result<[NewLibraryFile; 2], PosterError> {
    let format = image::guess_format(bytes)?;
    let img = image::load_from_memory(bytes)?;
    let full = if format == ImageFormat::Jpeg {
        bytes.to_vec()
    } else {
        encode(&img)?
    };
    let card = if img.width() > CARD_WIDTH {
        encode(&img.resize(CARD_WIDTH, u32::MAX, image::imageops::FilterType::Triangle))?
    } else {
        full.clone()
    };
    std::fs::create_dir_all(root.path.join(layout::title_dir(id)))?;
    let row = |kind, path: String, bytes: &[u8]| -> Result<NewLibraryFile, PosterError> {
        crate::disk::write_atomic(&root.path.join(&path), bytes)?;
        Ok(NewLibraryFile {
            content_id: id.clone(),
            kind,
            label: String::new(),
            root: root.name.clone(),
            size: bytes.len() as u64,
            mtime: store::now(),
            path,
        })
    };
    Ok([
        row(FileKind::Poster, layout::poster(id), &full)?,
        row(FileKind::Card, layout::card(id), &card)?,
    ])
}

fn encode(img: &image::DynamicImage) -> Result<Vec<u8>, PosterError> {
    let mut out = Cursor::new(Vec::new());
    img.to_rgb8()
        .write_with_encoder(JpegEncoder::new_with_quality(&mut out, 82))?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poster_and_its_card() {
        let dir = tempfile::tempdir().expect("dir");
        let img = image::RgbImage::from_fn(600, 900, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
        });
        let mut png = Cursor::new(Vec::new());
        img.write_to(&mut png, ImageFormat::Png).expect("png");
        let id = ContentId::parse("tt0133093").expect("id");
        let root = Root {
            name: "1".into(),
            path: dir.path().to_path_buf(),
        };
        let [poster, card] = store_poster(&root, &id, png.get_ref()).expect("store");
        let rel = poster.path;
        assert_eq!(card.path, layout::card(&id));
        assert_eq!(rel, "tt0133093/tt0133093.jpg");
        let full = image::open(dir.path().join(&rel)).expect("full");
        let card = image::open(dir.path().join(layout::card_of_poster(&rel))).expect("card");
        assert_eq!((full.width(), card.width(), card.height()), (600, 342, 513));
        assert!(store_poster(&root, &id, b"<html>not an image</html>").is_err());
    }
}
