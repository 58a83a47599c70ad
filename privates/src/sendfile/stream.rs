//! The body of a development-mode download: the file read in fixed-size chunks, so memory
//! stays constant whatever the file size (hyper polls the next chunk only once the previous one
//! is written to the socket).
//!
//! A chunk that is already in the page cache is read right away on the request's thread
//! (`preadv2` with `RWF_NOWAIT`, which copies cached pages and never waits for the disk); only
//! a chunk that needs the disk goes to tokio's blocking pool. The round trip to the pool (two
//! thread switches and a second copy of every byte through `tokio::fs::File`'s buffer) cost
//! more than reading a cached chunk: about a third of the app's CPU time on a 1 MiB download.

use std::{
    fs::File,
    future::Future,
    io,
    path::PathBuf,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll, ready},
};

use bytes::{Bytes, BytesMut};
use futures_util::Stream;
use tokio::task::JoinHandle;

/// Bytes read per chunk. tower-http's `ServeFile` uses 64 KiB; larger chunks move more bytes
/// per system call and per trip to the blocking pool (see `benches/download.rs` for the
/// measurements behind this value). Memory in flight stays at a few chunks.
pub(crate) const CHUNK_SIZE: usize = 256 * 1024;

/// At most `len` bytes of `file` from `start`, as a stream of chunks.
pub(crate) struct FileStream {
    file: Arc<File>,
    offset: u64,
    remaining: u64,
    /// The read waiting for the disk on the blocking pool.
    pending: Option<JoinHandle<io::Result<Bytes>>>,
    /// Whether to try the page cache first (off once the file system refuses `RWF_NOWAIT`).
    try_cached: bool,
    path: PathBuf,
}

impl FileStream {
    /// The stream stops after `len` bytes even if the file grows meanwhile; if it shrinks, the
    /// stream ends early, hyper notices the body is shorter than its Content-Length and aborts
    /// the connection rather than sending a truncated file as complete.
    pub(crate) fn new(file: File, start: u64, len: u64, path: PathBuf) -> Self {
        Self {
            file: Arc::new(file),
            offset: start,
            remaining: len,
            pending: None,
            try_cached: true,
            path,
        }
    }

    /// The size of the next chunk.
    fn next_len(&self) -> usize {
        usize::try_from(self.remaining).map_or(CHUNK_SIZE, |left| left.min(CHUNK_SIZE))
    }

    /// Counts a chunk as sent; an empty one means the file ended early.
    fn advance(&mut self, chunk: io::Result<Bytes>) -> Option<io::Result<Bytes>> {
        match chunk {
            Ok(chunk) if chunk.is_empty() => {
                self.remaining = 0;
                None
            }
            Ok(chunk) => {
                let read = chunk.len() as u64;
                self.offset += read;
                self.remaining = self.remaining.saturating_sub(read);
                Some(Ok(chunk))
            }
            Err(err) => {
                // The status line is long gone: the connection is aborted, so say why here.
                tracing::error!(path = ?self.path, error = %err, "sendfile: reading the file failed mid-stream");
                self.remaining = 0;
                Some(Err(err))
            }
        }
    }
}

impl Stream for FileStream {
    type Item = io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if let Some(pending) = &mut this.pending {
            let read = ready!(Pin::new(pending).poll(cx))
                .unwrap_or_else(|join| Err(io::Error::other(join)));
            this.pending = None;
            return Poll::Ready(this.advance(read));
        }
        if this.remaining == 0 {
            return Poll::Ready(None);
        }
        let len = this.next_len();
        if this.try_cached {
            match read_cached(&this.file, this.offset, len) {
                Ok(Some(chunk)) => return Poll::Ready(this.advance(Ok(chunk))),
                // Not (all) in the page cache: the disk it is.
                Ok(None) => {}
                Err(err) if err.kind() == io::ErrorKind::Unsupported => this.try_cached = false,
                Err(err) => return Poll::Ready(this.advance(Err(err))),
            }
        }
        let file = Arc::clone(&this.file);
        let offset = this.offset;
        this.pending = Some(tokio::task::spawn_blocking(move || {
            read_at(&file, offset, len)
        }));
        // Poll the new read once so that its completion wakes this task.
        self.poll_next(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let chunks = usize::try_from(self.remaining.div_ceil(CHUNK_SIZE as u64)).ok();
        (0, chunks)
    }
}

/// Up to `len` bytes at `offset` (fewer at the end of the file; none past it), waiting for
/// the disk if need be.
fn read_at(file: &File, offset: u64, len: usize) -> io::Result<Bytes> {
    let mut buf = Vec::with_capacity(len);
    loop {
        // Reads into the spare capacity: no zeroing of a buffer about to be overwritten.
        match rustix::io::pread(file, rustix::buffer::spare_capacity(&mut buf), offset) {
            Ok(_) => return Ok(Bytes::from(buf)),
            Err(rustix::io::Errno::INTR) => {}
            Err(errno) => return Err(errno.into()),
        }
    }
}

/// Up to `len` bytes at `offset` if they are in the page cache (`Ok(None)` if not, an empty
/// chunk at the end of the file), without ever waiting for the disk. `Unsupported` when the
/// file system cannot answer that question.
#[cfg(target_os = "linux")]
fn read_cached(file: &File, offset: u64, len: usize) -> io::Result<Option<Bytes>> {
    use rustix::io::{Errno, ReadWriteFlags, preadv2};

    let mut buf = BytesMut::zeroed(len);
    match preadv2(
        file,
        &mut [io::IoSliceMut::new(&mut buf)],
        offset,
        ReadWriteFlags::NOWAIT,
    ) {
        Ok(read) => {
            buf.truncate(read);
            Ok(Some(buf.freeze()))
        }
        Err(Errno::AGAIN | Errno::INTR) => Ok(None),
        // Kernels before 4.14, and file systems without non-blocking reads.
        Err(Errno::OPNOTSUPP | Errno::NOSYS | Errno::INVAL) => {
            Err(io::ErrorKind::Unsupported.into())
        }
        Err(errno) => Err(errno.into()),
    }
}

#[cfg(not(target_os = "linux"))]
fn read_cached(_file: &File, _offset: u64, _len: usize) -> io::Result<Option<Bytes>> {
    Err(io::ErrorKind::Unsupported.into())
}
