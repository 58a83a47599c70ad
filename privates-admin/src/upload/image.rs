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

use std::{
    io::{BufReader, Cursor},
    sync::Arc,
    time::Duration,
};

use image::{ImageDecoder, ImageError, ImageFormat, ImageReader, Limits, error::LimitErrorKind};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

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
        /// The bytes its decoded pixels take.
        decoded_bytes: u64,
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
            Header::Valid {
                dimensions,
                decoded_bytes: decoder.total_bytes(),
            }
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

/// The memory all image validations of an app share: a semaphore counting kibibytes of
/// decoded pixels. Before the full decode of an upload ([`ImageRules::verify_pixels`]), the
/// image's decoded size (read from its header, at most the whole budget) is reserved; an
/// upload that cannot get it within [`wait`](Self::wait) is refused with 503
/// ([`UploadError::Busy`](super::UploadError::Busy)) and its temporary file removed, so
/// concurrent uploads never decode more than the budget at once. Sized by
/// `initializers.privates_admin.image.decode_memory` (256 MiB by default) and shared by every
/// admin of the app through [`AdminState`](crate::settings::AdminState).
///
/// ```
/// use std::time::Duration;
/// use privates_admin::upload::DecodeBudget;
///
/// let budget = DecodeBudget::new(64 * 1024 * 1024, Duration::from_secs(5));
/// assert_eq!(budget.bytes(), 64 * 1024 * 1024);
/// assert_eq!(budget.available(), 64 * 1024 * 1024);
/// ```
#[derive(Clone, Debug)]
pub struct DecodeBudget {
    semaphore: Arc<Semaphore>,
    kib: u32,
    wait: Duration,
}

/// Two handles are equal when they share one budget.
impl PartialEq for DecodeBudget {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.semaphore, &other.semaphore)
    }
}

impl Eq for DecodeBudget {}

/// No decoding memory became free in time.
#[derive(Debug, thiserror::Error)]
#[error("no image decoding memory became free within {0:?}")]
pub(crate) struct Busy(pub(crate) Duration);

impl DecodeBudget {
    /// A budget of `bytes` (rounded up to KiB, at least 1 KiB), waited for up to `wait`.
    #[must_use]
    pub fn new(bytes: u64, wait: Duration) -> Self {
        let kib = u32::try_from(bytes.div_ceil(1024))
            .unwrap_or(u32::MAX)
            .clamp(1, u32::MAX);
        Self {
            semaphore: Arc::new(Semaphore::new(usize::try_from(kib).unwrap_or(usize::MAX))),
            kib,
            wait,
        }
    }

    /// The whole budget, in bytes.
    #[must_use]
    pub fn bytes(&self) -> u64 {
        u64::from(self.kib) * 1024
    }

    /// What is free right now, in bytes.
    #[must_use]
    pub fn available(&self) -> u64 {
        u64::try_from(self.semaphore.available_permits()).unwrap_or(u64::MAX) * 1024
    }

    /// How long an upload waits for memory.
    #[must_use]
    pub fn wait(&self) -> Duration {
        self.wait
    }

    /// Reserves `bytes` (at most the whole budget), waiting up to [`wait`](Self::wait); for
    /// the blocking pool (it blocks the thread while it waits). Released when the permit
    /// drops.
    pub(crate) fn reserve_blocking(&self, bytes: u64) -> Result<OwnedSemaphorePermit, Busy> {
        let need = u32::try_from(bytes.div_ceil(1024))
            .unwrap_or(u32::MAX)
            .clamp(1, self.kib);
        if let Ok(permit) = self.semaphore.clone().try_acquire_many_owned(need) {
            return Ok(permit);
        }
        if self.wait.is_zero() {
            return Err(Busy(self.wait));
        }
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| Busy(self.wait))?;
        match runtime.block_on(tokio::time::timeout(
            self.wait,
            self.semaphore.clone().acquire_many_owned(need),
        )) {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(Busy(self.wait)),
        }
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::time::{Duration, Instant};

    use super::DecodeBudget;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_budget_bounds_concurrent_decodes_and_waits_a_bounded_time() {
        let budget = DecodeBudget::new(100 * 1024, Duration::from_millis(300));
        let held = budget.reserve_blocking(60 * 1024).unwrap();
        assert_eq!(budget.available(), 40 * 1024);
        let (second, third) = {
            let budget = budget.clone();
            tokio::task::spawn_blocking(move || {
                let started = Instant::now();
                let refused = budget.reserve_blocking(60 * 1024).is_err();
                let waited = started.elapsed();
                (
                    refused && waited >= Duration::from_millis(250),
                    budget.reserve_blocking(1),
                )
            })
            .await
            .unwrap()
        };
        assert!(second, "over the budget: refused after waiting");
        assert!(third.is_ok(), "what fits is granted");
        drop(third);
        // Once the memory is released, a waiting reservation gets it.
        let waiter = {
            let budget = budget.clone();
            tokio::task::spawn_blocking(move || budget.reserve_blocking(90 * 1024).is_ok())
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(held);
        assert!(waiter.await.unwrap());
        // More than the whole budget takes the whole budget.
        assert!(budget.reserve_blocking(u64::MAX).is_ok());
    }
}
