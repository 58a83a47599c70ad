//! The body of a development-mode download: the file read in fixed-size chunks, so memory
//! stays constant whatever the file size (hyper polls the next chunk only once the previous one
//! is written to the socket).

use std::{
    io,
    path::PathBuf,
    pin::Pin,
    task::{Context, Poll},
};

use bytes::Bytes;
use futures_util::Stream;
use tokio::io::{AsyncReadExt, Take};
use tokio_util::io::ReaderStream;

/// Bytes read per chunk. tower-http's `ServeFile` uses 64 KiB; each chunk costs one hop to
/// tokio's blocking pool, so larger chunks move more bytes per hop (see `benches/download.rs`
/// for the measurements behind this value). Memory in flight stays at a few chunks.
pub(crate) const CHUNK_SIZE: usize = 256 * 1024;

/// At most `len` bytes of `file` from its current offset, as a stream of chunks.
pub(crate) struct FileStream {
    inner: ReaderStream<Take<tokio::fs::File>>,
    path: PathBuf,
}

impl FileStream {
    pub(crate) fn new(file: std::fs::File, len: u64, path: PathBuf) -> Self {
        // `take` stops at the length announced in Content-Length even if the file grows
        // meanwhile; if it shrinks, hyper notices the short body and aborts the connection
        // rather than sending a truncated file as complete.
        let reader = tokio::fs::File::from_std(file).take(len);
        Self {
            inner: ReaderStream::with_capacity(reader, chunk_capacity(len)),
            path,
        }
    }
}

/// A small file (or range) gets a buffer of its own size, not a full chunk.
fn chunk_capacity(len: u64) -> usize {
    usize::try_from(len).map_or(CHUNK_SIZE, |len| len.clamp(1, CHUNK_SIZE))
}

impl Stream for FileStream {
    type Item = io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let poll = Pin::new(&mut self.inner).poll_next(cx);
        if let Poll::Ready(Some(Err(err))) = &poll {
            // The status line is long gone: the connection is aborted, so say why here.
            tracing::error!(path = ?self.path, error = %err, "sendfile: reading the file failed mid-stream");
        }
        poll
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}
