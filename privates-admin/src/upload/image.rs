//! Real image validation for `image` fields, with limits against decompression bombs.
//!
//! Two steps, as Django's `ImageField` with Pillow does (`Image.open` then `verify`):
//! 1. **Before anything is stored**, the header is decoded from the first bytes of the
//!    upload with [`image::Limits`]: the format must be a compiled-in one, the dimensions
//!    within [`ImageRules::max_width`] / [`ImageRules::max_height`], and the decoded size
//!    within [`ImageRules::max_alloc`]. A 50000×50000 PNG of a few hundred bytes stops here.
//! 2. **Once written, before it is published** (when [`ImageRules::verify_pixels`] is on), the
//!    whole temporary file is decoded on the blocking pool under the same limits
//!    ([`Storage::save_checked`](privates::storage::Storage::save_checked), on
//!    local disk and S3 alike); a truncated or corrupt image is never stored under a real name.

use std::io::{BufReader, Cursor};

use image::{ImageDecoder, ImageError, ImageFormat, ImageReader, Limits, error::LimitErrorKind};

/// Limits applied to `image` uploads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageRules {
    /// The widest accepted image, in pixels.
    pub max_width: u32,
    /// The tallest accepted image, in pixels.
    pub max_height: u32,
    /// The most memory decoding may take, in bytes (the decoded pixels count).
    pub max_alloc: u64,
    /// How many leading bytes may be read to find the image's header (JPEG metadata segments
    /// can come before it); an image whose header is not found within them is refused.
    pub max_header_bytes: usize,
    /// Decode the whole image after storing it, to refuse truncated or corrupt files.
    pub verify_pixels: bool,
}

impl Default for ImageRules {
    /// 10 000 × 10 000 pixels, 128 MiB of decoding memory, a header within the first MiB,
    /// pixels verified.
    fn default() -> Self {
        Self {
            max_width: 10_000,
            max_height: 10_000,
            max_alloc: 128 * 1024 * 1024,
            max_header_bytes: 1024 * 1024,
            verify_pixels: true,
        }
    }
}

impl ImageRules {
    /// These rules as `image` crate limits.
    #[must_use]
    pub fn limits(&self) -> Limits {
        let mut limits = Limits::default();
        limits.max_image_width = Some(self.max_width);
        limits.max_image_height = Some(self.max_height);
        limits.max_alloc = Some(self.max_alloc);
        limits
    }
}

/// The outcome of looking at an image's header.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Header {
    /// A valid header within the limits.
    Valid {
        /// Width and height in pixels.
        dimensions: (u32, u32),
    },
    /// The bytes so far do not hold the whole header yet.
    NeedMore,
    /// Refused, with the message for the form.
    Invalid(String),
}

/// The image format of a sniffed content type.
pub(crate) fn format_of(mime: &str) -> Option<ImageFormat> {
    match mime {
        "image/png" => Some(ImageFormat::Png),
        "image/jpeg" => Some(ImageFormat::Jpeg),
        "image/gif" => Some(ImageFormat::Gif),
        "image/webp" => Some(ImageFormat::WebP),
        _ => None,
    }
}

/// Decodes the header in `prefix` (the first bytes of the upload; `complete` when they are the
/// whole file) and checks it against `rules`.
pub(crate) fn check_header(
    prefix: &[u8],
    complete: bool,
    format: ImageFormat,
    rules: &ImageRules,
) -> Header {
    let mut reader = ImageReader::with_format(Cursor::new(prefix), format);
    reader.limits(rules.limits());
    match reader.into_decoder() {
        Ok(decoder) => {
            let dimensions = decoder.dimensions();
            if decoder.total_bytes() > rules.max_alloc {
                return Header::Invalid(too_big(dimensions, rules));
            }
            Header::Valid { dimensions }
        }
        Err(ImageError::Limits(limit)) => match limit.kind() {
            LimitErrorKind::DimensionError | LimitErrorKind::InsufficientMemory => {
                Header::Invalid(too_big_unknown(rules))
            }
            _ => Header::Invalid(not_an_image()),
        },
        // The decoders report a header cut short in different ways; decide once the whole
        // file, or the most we read for a header, is here.
        Err(_) if !complete && prefix.len() < rules.max_header_bytes => Header::NeedMore,
        Err(_) if !complete => Header::Invalid(format!(
            "Upload a valid image: no image header was found in the first {} bytes.",
            rules.max_header_bytes
        )),
        Err(_) => Header::Invalid(not_an_image()),
    }
}

/// Decodes the whole stored image from `file` under `rules`' limits (blocking: run it on the
/// blocking pool).
///
/// # Errors
/// The message for the form.
pub(crate) fn verify_pixels(
    file: std::fs::File,
    format: ImageFormat,
    rules: &ImageRules,
) -> Result<(), String> {
    let mut reader = ImageReader::with_format(BufReader::new(file), format);
    reader.limits(rules.limits());
    match reader.decode() {
        Ok(_) => Ok(()),
        Err(ImageError::Limits(_)) => Err(too_big_unknown(rules)),
        Err(_) => Err(not_an_image()),
    }
}

fn not_an_image() -> String {
    "Upload a valid image. The file you uploaded was either not an image or a corrupted image."
        .to_owned()
}

fn too_big((width, height): (u32, u32), rules: &ImageRules) -> String {
    format!(
        "The image is {width}×{height} pixels, too large to process; the limit is {}×{} pixels \
         and {} MiB decoded.",
        rules.max_width,
        rules.max_height,
        rules.max_alloc / (1024 * 1024)
    )
}

fn too_big_unknown(rules: &ImageRules) -> String {
    format!(
        "The image is too large to process; the limit is {}×{} pixels and {} MiB decoded.",
        rules.max_width,
        rules.max_height,
        rules.max_alloc / (1024 * 1024)
    )
}
